"""Market simulator: shares of preference, first choice and randomized first choice.

Products are dicts of attribute levels (``{"name": "Plus", "delivery":
"same_day", "fee": 59}``); numeric attributes (the price) may take any value
within the tested range and are interpolated linearly between the design's
points. Utilities come from :class:`cvkit.choice.Utilities`, so the simulator
works on cvkit's HB / MNL / latent-class estimates and on imported utilities.

Methods
-------
``"share"``
    Share of preference: logit probabilities of ``scale x utility`` per
    respondent, averaged (weighted). Suffers from IIA within a respondent.
``"first_choice"``
    Each respondent picks the highest-utility product (ties split).
``"rfc"``
    Randomized first choice (Huber, Orme & Miller 1999): first choice repeated
    over ``draws`` with Gumbel error added to each *level* (shared by products
    with that level, which corrects IIA for similar products) and to each
    *product*; shares are averaged over draws.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from cvkit.choice.utilities import Utilities
from cvkit.choice.spec import level_key

__all__ = ["Simulator", "Product"]

Product = Mapping[str, Any]
_METHODS = ("share", "first_choice", "rfc")


class Simulator:
    """What-if market simulations on respondent-level utilities.

    Parameters
    ----------
    utilities : Utilities
        Respondent part-worths (level basis).
    weights : ndarray, shape (N,), optional
        Respondent weights (default: the utilities' weights, else equal).
    """

    def __init__(self, utilities: Utilities, weights: np.ndarray | None = None):
        self.utilities = utilities
        self.spec = utilities.spec
        self.U = np.ascontiguousarray(utilities.values.to_numpy(float))
        w = weights if weights is not None else utilities.weights
        w = np.ones(len(self.U)) if w is None else np.asarray(w, float)
        if w.shape != (len(self.U),) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"weights must be {len(self.U)} non-negative numbers, not all zero. Fix: give one "
                             "weight per respondent in the order of the utilities.")
        self.w = w / w.sum()
        self._cols = {c: i for i, c in enumerate(self.spec.level_columns)}

    # ------------------------------------------------------------------ products
    def _attribute_weights(self, attribute: str, value: Any, product: str) -> np.ndarray:
        """Weights over the attribute's levels (one-hot, or linear interpolation for numbers)."""
        levels = self.spec.levels(attribute)
        if self.spec.is_numeric(attribute) and levels:
            try:
                x = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{product}: {attribute} = {value!r} is not a number. Fix: give a value between "
                                 f"{min(levels)} and {max(levels)}.") from None
            pts = np.asarray(levels, float)
            order = np.argsort(pts)
            p = pts[order]
            if not p[0] - 1e-9 <= x <= p[-1] + 1e-9:
                raise ValueError(f"{product}: {attribute} = {value!r} is outside the tested range {p[0]:g}..{p[-1]:g}; "
                                 "utilities beyond the design are extrapolation. Fix: use a value within the range.")
            wts = np.zeros(len(p))
            k = int(np.clip(np.searchsorted(p, x, side="right") - 1, 0, len(p) - 2))
            t = (x - p[k]) / (p[k + 1] - p[k])
            wts[k], wts[k + 1] = 1 - t, t
            out = np.zeros(len(p))
            out[order] = wts
            return out
        keys = [level_key(x) for x in levels]
        key = level_key(value) if not isinstance(value, str) else value
        if key not in keys:
            raise ValueError(f"{product}: level {value!r} of attribute {attribute!r} is not in the design "
                             f"(levels: {levels}). Fix: pick one of those levels; a simulator cannot value "
                             "levels respondents never saw.")
        out = np.zeros(len(keys))
        out[keys.index(key)] = 1.0
        return out

    def design_rows(self, products: Sequence[Product]) -> tuple[np.ndarray, list[str]]:
        """Level-basis rows of the products.

        Returns
        -------
        D : ndarray, shape (P, L)
        names : list of str
        """
        spec = self.spec
        sl = spec.attribute_level_slices()
        D = np.zeros((len(products), len(spec.level_columns)))
        names = []
        for i, prod in enumerate(products):
            name = str(prod.get("name", f"Product {i + 1}"))
            names.append(name)
            unknown = [k for k in prod if k != "name" and k not in spec.attributes]
            if unknown:
                raise ValueError(f"{name}: unknown attribute(s) {unknown}. Fix: use {list(spec.attributes)}.")
            missing = [a for a in spec.attributes if a not in prod]
            if missing:
                raise ValueError(f"{name}: no level given for {missing}. Fix: every product needs one level per "
                                 "attribute.")
            wa = {a: self._attribute_weights(a, prod[a], name) for a in spec.attributes}
            for a, s in sl.items():
                D[i, s] = wa[a]
            for a, b in spec.interactions:
                start = self._cols[f"{a}.{level_key(spec.levels(a)[0])}:{b}.{level_key(spec.levels(b)[0])}"]
                cell = np.outer(wa[a], wa[b]).ravel()
                D[i, start:start + len(cell)] = cell
        if len(set(names)) != len(names):
            raise ValueError(f"product names {names} are not unique. Fix: give each product its own 'name'.")
        return D, names

    def product_utilities(self, products: Sequence[Product], none: bool = True) -> tuple[np.ndarray, list[str]]:
        """Utilities (N, P [+1 for none]) of every respondent for every product."""
        D, names = self.design_rows(products)
        V = self.U @ D.T
        if none:
            if not self.spec.none:
                raise ValueError("these utilities have no none option. Fix: call with none=False.")
            V = np.column_stack([V, self.U[:, self._cols["none"]]])
            names = names + ["None"]
        return V, names

    # ------------------------------------------------------------------ shares
    def shares(self, products: Sequence[Product], *, method: str = "share", none: bool | None = None,
               scale: float = 1.0, draws: int = 200, attribute_error: float = 0.3, product_error: float = 0.6,
               seed: int = 0, by_respondent: bool = False) -> pd.Series | pd.DataFrame:
        """Predicted shares of the products (and none).

        Parameters
        ----------
        products : list of dict
        method : {"share", "first_choice", "rfc"}
        none : bool, optional
            Include the none alternative (default: when the utilities have one).
        scale : float
            Multiplies utilities before the logit (share) or the errors' inverse
            (rfc); tune it on holdout tasks (1 = the estimated scale).
        draws : int
            RFC draws.
        attribute_error, product_error : float
            Gumbel scales of the RFC level and product errors, in utility units
            divided by ``scale``. The defaults add less noise than the logit, so
            RFC shares lie between first choice and share of preference.
        seed : int
        by_respondent : bool
            Return the (N, P) matrix of respondent choice probabilities instead.

        Returns
        -------
        Series
            Share (0-1) per product name (+ "None"), summing to 1.
        """
        if method not in _METHODS:
            raise ValueError(f"method {method!r} is unknown. Fix: use one of {_METHODS}.")
        none = self.spec.none if none is None else none
        V, names = self.product_utilities(products, none=none)
        if method == "share":
            P = _softmax(scale * V)
        elif method == "first_choice":
            P = _first_choice(V)
        else:
            D, _ = self.design_rows(products)
            P = self._rfc(V, D, none, scale, draws, attribute_error, product_error, seed)
        if by_respondent:
            return pd.DataFrame(P, index=self.utilities.values.index, columns=names)
        return pd.Series(self.w @ P, index=names, name="share")

    def _rfc(self, V, D, none, scale, draws, attribute_error, product_error, seed):
        bitgen = np.random.SFC64(seed)
        N, J = V.shape
        used = np.flatnonzero(np.abs(D).sum(axis=0) > 0)
        Du = D[:, used].T.astype(np.float32)                          # (L_used, P)
        if none:
            Du = np.column_stack([Du, np.zeros(len(used), np.float32)])
        # Gumbel errors have mean 0.5772 x scale; the level errors are centred so
        # products (which collect one per attribute) are not favoured over none.
        base = (V * scale).astype(np.float32)
        base -= np.float32(np.euler_gamma * attribute_error) * Du.sum(axis=0)[None, :]
        Du *= np.float32(attribute_error)
        counts = np.zeros(N * J)
        offsets = (np.arange(N) * J)[None, :]
        chunk = max(1, int(1_000_000 // max(1, N * (len(used) + J))))
        done = 0
        while done < draws:
            r = min(chunk, draws - done)
            U = _gumbel(bitgen, (r, N, J))
            U *= np.float32(product_error)
            U += base
            U += _gumbel(bitgen, (r, N, len(used))) @ Du
            best = U.argmax(axis=2)
            counts += np.bincount((best + offsets).ravel(), minlength=N * J)
            done += r
        return counts.reshape(N, J) / draws

    def compare(self, scenarios: Mapping[str, Sequence[Product]], **kwargs: Any) -> pd.DataFrame:
        """Shares of several scenarios side by side (e.g. ``{"base": [...], "test": [...]}``).

        Returns
        -------
        DataFrame
            Rows products (+ None), one column per scenario, and ``change``
            (last minus first scenario) in share points (0-1).
        """
        cols = {name: self.shares(prods, **kwargs) for name, prods in scenarios.items()}
        out = pd.DataFrame(cols)
        if len(cols) >= 2:
            names = list(cols)
            out["change"] = out[names[-1]].fillna(0) - out[names[0]].fillna(0)
        out.index.name = "product"
        return out

    # ------------------------------------------------------------------ money
    def _price(self, prod: Product) -> float:
        if self.spec.price is None:
            raise ValueError("no price attribute in the attribute definitions. Fix: set price='<attribute>'.")
        return float(prod[self.spec.price])

    def unit_cost(self, prod: Product, unit_costs: float | Mapping[str, float] | None) -> float:
        """Unit cost of a product: a number, or ``{"base": c0, "<attribute>.<level>": extra, ...}``."""
        if unit_costs is None:
            return 0.0
        if isinstance(unit_costs, (int, float)):
            return float(unit_costs)
        unknown = [k for k in unit_costs if k != "base" and k not in self._cols]
        if unknown:
            raise ValueError(f"unit cost keys {unknown} are not attribute levels. Fix: use 'base' and "
                             "'<attribute>.<level>' keys, e.g. 'delivery.same_day'.")
        cost = float(unit_costs.get("base", 0.0))
        for a in self.spec.attributes:
            if a == self.spec.price:
                continue
            v = prod[a]
            cost += float(unit_costs.get(f"{a}.{level_key(v) if not isinstance(v, str) else v}", 0.0))
        return cost

    def revenue(self, products: Sequence[Product], *, unit_costs: Sequence[float] | Mapping[str, float] | None
                = None, market_size: float = 1.0, **kwargs: Any) -> pd.DataFrame:
        """Share, revenue and profit per product.

        Parameters
        ----------
        unit_costs : list of float (one per product) or dict, optional
            See :meth:`unit_cost`.
        market_size : float
            Number of buyers the shares apply to (revenue per buyer when 1).

        Returns
        -------
        DataFrame
            ``share``, ``price``, ``unit_cost``, ``revenue`` and ``profit`` per
            product (currency of the price attribute).
        """
        s = self.shares(products, **kwargs)
        rows = []
        for i, prod in enumerate(products):
            name = s.index[i]
            cost = (float(unit_costs[i]) if isinstance(unit_costs, Sequence) and not isinstance(unit_costs, str)
                    else self.unit_cost(prod, unit_costs))
            price = self._price(prod)
            rows.append({"product": name, "share": s.iloc[i], "price": price, "unit_cost": cost,
                         "revenue": s.iloc[i] * price * market_size,
                         "profit": s.iloc[i] * (price - cost) * market_size})
        return pd.DataFrame(rows).set_index("product")

    def price_curve(self, products: Sequence[Product], product: int | str = 0, prices: Sequence[float] | None = None,
                    *, unit_costs: float | Mapping[str, float] | None = None, **kwargs: Any) -> pd.DataFrame:
        """Share (and revenue, profit) of one product as its price varies, others fixed.

        Returns
        -------
        DataFrame
            ``price``, ``share``, ``revenue`` (per buyer), ``profit`` (per buyer).
        """
        i = self._index(products, product)
        if prices is None:
            lv = np.asarray(self.spec.levels(self.spec.price), float)
            prices = np.linspace(lv.min(), lv.max(), 25)
        rows = []
        for p in prices:
            prods = [dict(x) for x in products]
            prods[i][self.spec.price] = float(p)
            s = float(self.shares(prods, **kwargs).iloc[i])
            cost = self.unit_cost(prods[i], unit_costs)
            rows.append({"price": float(p), "share": s, "revenue": s * p, "profit": s * (p - cost)})
        return pd.DataFrame(rows)

    def _index(self, products: Sequence[Product], product: int | str) -> int:
        if isinstance(product, str):
            names = [str(p.get("name", f"Product {k + 1}")) for k, p in enumerate(products)]
            if product not in names:
                raise ValueError(f"product {product!r} not in the scenario {names}.")
            return names.index(product)
        return int(product)

    def wtp_by_simulation(self, products: Sequence[Product], product: int | str, attribute: str, to_level: Any,
                          *, extrapolate: bool = True, **kwargs: Any) -> dict[str, Any]:
        """The price increase that brings an upgraded product back to its original share.

        Changes ``attribute`` of ``product`` to ``to_level`` and searches the price
        at which its share (against the other products and none) equals the
        share before the upgrade.

        Returns
        -------
        dict
            ``from_level``, ``to_level``, ``base_share``, ``upgraded_share``,
            ``wtp`` (currency; NaN when not found) and ``extrapolated`` (True
            when the price left the tested range, allowed for a linear price).
        """
        i = self._index(products, product)
        spec = self.spec
        price_attr = spec.price
        if price_attr is None:
            raise ValueError("no price attribute. Fix: set price='<attribute>' in the attribute definitions.")
        base = float(self.shares(products, **kwargs).iloc[i])
        up = [dict(x) for x in products]
        from_level = up[i][attribute]
        up[i][attribute] = to_level
        p0 = float(up[i][price_attr])
        lv = np.asarray(spec.levels(price_attr), float)
        linear = price_attr in spec.linear
        lo, hi = lv.min(), lv.max()
        if extrapolate and linear:
            span = hi - lo
            lo, hi = lo - 2 * span, hi + 2 * span
        slope = self._linear_price_slope() if linear else None

        def gap(p: float) -> float:
            prods = [dict(x) for x in up]
            if linear and not (lv.min() <= p <= lv.max()):
                # evaluate at the nearest tested price and add the linear price utility beyond it
                q = float(np.clip(p, lv.min(), lv.max()))
                prods[i][price_attr] = q
                V, _ = self.product_utilities(prods, none=kwargs.get("none", spec.none))
                V[:, i] += slope * (p - q)
                return float(self.w @ _softmax(kwargs.get("scale", 1.0) * V)[:, i]) - base
            prods[i][price_attr] = p
            return float(self.shares(prods, **kwargs).iloc[i]) - base

        upgraded = gap(p0) + base
        try:
            if gap(p0) * gap(hi) <= 0 and gap(p0) > 0:
                p_star = optimize.brentq(gap, p0, hi, xtol=1e-6)
            elif gap(p0) < 0 and gap(lo) >= 0:
                p_star = optimize.brentq(gap, lo, p0, xtol=1e-6)
            else:
                p_star = np.nan
        except ValueError:
            p_star = np.nan
        return {"attribute": attribute, "from_level": from_level, "to_level": to_level, "base_share": base,
                "upgraded_share": upgraded, "wtp": p_star - p0 if np.isfinite(p_star) else np.nan,
                "extrapolated": bool(np.isfinite(p_star) and not (lv.min() <= p_star <= lv.max()))}

    def _linear_price_slope(self) -> np.ndarray:
        from cvkit.choice.utilities import price_slope
        return price_slope(self.spec, self.U)

    # ------------------------------------------------------------------ search
    def best_configuration(self, products: Sequence[Product], product: int | str = 0, *,
                           attributes: Sequence[str] | None = None, objective: str = "share",
                           unit_costs: float | Mapping[str, float] | None = None, prices: Sequence[float] | None
                           = None, max_combinations: int = 20000, **kwargs: Any) -> pd.DataFrame:
        """Search the levels of one product that maximise its share, revenue or profit.

        Exhaustive over all level combinations when there are at most
        ``max_combinations``, otherwise coordinate ascent (one attribute at a
        time until nothing improves: fast but may stop at a local optimum).

        Parameters
        ----------
        attributes : list of str, optional
            Attributes to vary (default all; the price over ``prices``, default
            its design levels).
        objective : {"share", "revenue", "profit"}

        Returns
        -------
        DataFrame
            The 10 best configurations found, best first, with ``share``,
            ``revenue``, ``profit`` per buyer and the search ``method``.
        """
        if objective not in ("share", "revenue", "profit"):
            raise ValueError(f"objective {objective!r} is unknown. Fix: use 'share', 'revenue' or 'profit'.")
        i = self._index(products, product)
        spec = self.spec
        attributes = list(spec.attributes) if attributes is None else list(attributes)
        options = {}
        for a in attributes:
            if a == spec.price and prices is not None:
                options[a] = list(prices)
            else:
                options[a] = spec.levels(a)
        n_comb = int(np.prod([len(v) for v in options.values()]))

        def evaluate(configs: list[dict]) -> pd.DataFrame:
            return self._evaluate_configurations(products, i, configs, unit_costs, kwargs)

        if n_comb <= max_combinations:
            configs = [dict(zip(options, combo)) for combo in itertools.product(*options.values())]
            res = evaluate(configs)
            res["method"] = "exhaustive"
        else:
            res = _coordinate_ascent(evaluate, options, {a: products[i][a] for a in options}, objective)
            res = res.drop_duplicates(subset=list(spec.attributes))
            res["method"] = "coordinate_ascent"
        return res.sort_values(objective, ascending=False, ignore_index=True).head(10)

    def _evaluate_configurations(self, products: Sequence[Product], i: int, configs: list[dict],
                                 unit_costs: float | Mapping[str, float] | None,
                                 kwargs: Mapping[str, Any]) -> pd.DataFrame:
        """Share, revenue and profit per buyer of product ``i`` in each candidate configuration, others fixed.

        Returns
        -------
        DataFrame
            One row per configuration (in order): every attribute's level, ``share``, ``revenue``, ``profit``.
        """
        spec = self.spec
        prods_base = [dict(x) for x in products]
        share = self._candidate_shares(prods_base, i, configs, kwargs)
        rows = []
        for c, s in zip(configs, share):
            prod = {**prods_base[i], **c}
            price = float(prod[spec.price]) if spec.price else np.nan
            cost = self.unit_cost(prod, unit_costs) if spec.price else np.nan
            rows.append({**{a: prod[a] for a in spec.attributes}, "share": float(s),
                         "revenue": float(s) * price, "profit": float(s) * (price - cost)})
        return pd.DataFrame(rows)

    def _candidate_shares(self, prods_base: list[dict], i: int, configs: list[dict],
                          kwargs: Mapping[str, Any]) -> np.ndarray:
        """Share of product ``i`` in each configuration, shape (n_configs,).

        The logit share rule is vectorised (all candidates' utilities at once against the fixed
        competition); other share rules go through :meth:`shares` one configuration at a time.
        """
        spec = self.spec
        if kwargs.get("method", "share") != "share":
            return np.array([float(self.shares([{**p} for p in prods_base[:i]] + [{**prods_base[i], **c}]
                                               + [{**p} for p in prods_base[i + 1:]], **kwargs).iloc[i])
                             for c in configs])
        others = [p for k, p in enumerate(prods_base) if k != i]
        none = kwargs.get("none", spec.none)
        if others or none:
            V_o, _ = self.product_utilities(others, none=none)
        else:
            V_o = np.zeros((len(self.U), 0))
        sc = kwargs.get("scale", 1.0)
        cand = [{**prods_base[i], **c} for c in configs]
        D, _ = self.design_rows([{**p, "name": f"c{k}"} for k, p in enumerate(cand)])
        Vc = sc * (self.U @ D.T)
        if not V_o.size:
            return np.ones(len(configs))
        m = np.maximum(Vc.max(axis=1), (sc * V_o).max(axis=1))
        denom_o = np.exp(sc * V_o - m[:, None]).sum(axis=1)
        ec = np.exp(Vc - m[:, None])
        return self.w @ (ec / (ec + denom_o[:, None]))


def _coordinate_ascent(evaluate: Callable[[list[dict]], pd.DataFrame], options: Mapping[str, list],
                       start: dict, objective: str, rounds: int = 20) -> pd.DataFrame:
    """Improve one attribute at a time until nothing improves (at most ``rounds`` passes).

    Fast but may stop at a local optimum. Returns every configuration evaluated on the way.
    """
    current, best_val, seen = start, -np.inf, []
    for _ in range(rounds):
        improved = False
        for a in options:
            configs = [{**current, a: x} for x in options[a]]
            r = evaluate(configs)
            seen.append(r)
            k = int(r[objective].to_numpy().argmax())
            if r[objective].iloc[k] > best_val + 1e-12:
                best_val = float(r[objective].iloc[k])
                current = configs[k]
                improved = True
        if not improved:
            break
    return pd.concat(seen, ignore_index=True)


def _softmax(V: np.ndarray) -> np.ndarray:
    E = np.exp(V - V.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _first_choice(V: np.ndarray) -> np.ndarray:
    best = V == V.max(axis=1, keepdims=True)
    return best / best.sum(axis=1, keepdims=True)


def _gumbel(bitgen: np.random.BitGenerator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard Gumbel draws in float32 from raw generator bits.

    The simulator needs millions per call; building float32 uniforms from the
    raw 64-bit output (23 mantissa bits) is about twice as fast as
    ``Generator.random`` and four times ``Generator.gumbel`` (float64).
    """
    n = int(np.prod(shape))
    raw = bitgen.random_raw((n + 1) // 2).view(np.uint32)[:n]
    raw >>= np.uint32(9)
    raw |= np.uint32(0x3F800000)          # exponent of 1.0: the bits give a float in [1, 2)
    u = raw.view(np.float32)
    u -= np.float32(1.0)
    np.maximum(u, np.float32(2.0 ** -24), out=u)   # avoid log(0)
    np.log(u, out=u)
    np.negative(u, out=u)
    np.log(u, out=u)
    np.negative(u, out=u)
    return u.reshape(shape)
