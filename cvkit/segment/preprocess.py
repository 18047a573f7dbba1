"""Needs-based segmentation inputs: joining blocks, scale-use correction, standardisation, PCA.

Segmentation distances are only as honest as the inputs. Three things go wrong
in practice and are handled here:

* **scale-use bias** - some respondents rate everything high, others
  everything low; clustering raw batteries then finds "yea-sayers" and
  "nay-sayers" instead of needs. Respondent mean-centring (subtract each
  respondent's own mean over the battery) removes it.
* **unequal units and block sizes** - a 30-item battery would outvote 10
  part-worth columns. Every column is standardised and each block is then
  weighted so that it contributes the same total variance (block weight /
  sqrt(number of columns)).
* **useless columns** - constant or all-missing columns carry no information
  and break standardisation; they are dropped and *flagged* (``dropped_``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from cvkit.estimator import ParamsMixin, check_is_fitted

__all__ = ["InputBlock", "NeedsPreprocessor", "join_inputs", "ordinal_bins"]


@dataclass
class InputBlock:
    """One group of segmentation inputs that share a scale.

    Parameters
    ----------
    name : str
        Label used in messages and tables, e.g. ``"needs"`` or ``"partworths"``.
    columns : sequence of str
        The columns of the input frame that belong to the block.
    center_rows : bool
        Subtract each respondent's mean over the block's columns first
        (removes scale-use bias of rating batteries; leave False for
        part-worths, which are already zero-centred per attribute).
    weight : float
        Relative importance of the block; blocks of equal weight contribute
        equal total variance whatever their number of columns.
    """

    name: str
    columns: Sequence[str]
    center_rows: bool = False
    weight: float = 1.0


def join_inputs(blocks: Mapping[str, pd.DataFrame], id_col: str = "respondent_id") -> pd.DataFrame:
    """Inner-join input tables on the respondent id, reporting who is lost.

    Parameters
    ----------
    blocks : mapping of str to DataFrame
        Block name -> table with ``id_col`` and numeric input columns.
    id_col : str
        Respondent id column present in every table (compared as strings).

    Returns
    -------
    DataFrame
        Indexed by ``id_col`` (sorted), columns of all blocks in order.
        ``df.attrs["dropped_ids"]`` maps block name -> ids missing from the
        other blocks, so a notebook can show who fell out of the join.

    Raises
    ------
    ValueError
        If a table lacks ``id_col``, has duplicated ids or column names clash,
        or the join leaves no respondent.
    """
    frames: list[pd.DataFrame] = []
    seen: set[str] = set()
    for name, df in blocks.items():
        if id_col not in df.columns:
            raise ValueError(f"input block '{name}' has no '{id_col}' column (columns: {list(df.columns)[:8]}...); "
                             f"fix: pass a table with one row per respondent and an '{id_col}' column")
        d = df.copy()
        d[id_col] = d[id_col].astype(str)
        dup = d[id_col].duplicated()
        if dup.any():
            raise ValueError(f"input block '{name}' has {int(dup.sum())} duplicated {id_col}s "
                             f"(e.g. {d.loc[dup, id_col].iloc[0]!r}); fix: keep one row per respondent")
        clash = seen.intersection(set(d.columns) - {id_col})
        if clash:
            raise ValueError(f"input block '{name}' repeats columns {sorted(clash)} of another block; "
                             "fix: rename them or drop one copy")
        seen.update(set(d.columns) - {id_col})
        frames.append(d.set_index(id_col))
    all_ids = [set(f.index) for f in frames]
    common = set.intersection(*all_ids) if all_ids else set()
    if not common:
        raise ValueError(f"no {id_col} is present in every input block ({', '.join(blocks)}); "
                         "fix: check that the tables describe the same respondents and use the same ids")
    out = pd.concat([f.loc[sorted(common)] for f in frames], axis=1)
    out.index.name = id_col
    out.attrs["dropped_ids"] = {name: sorted(ids - common) for name, ids in zip(blocks, all_ids)}
    return out


class NeedsPreprocessor(ParamsMixin):
    """Turn raw inputs into the matrix that segmentation algorithms cluster.

    Steps, in order: drop unusable columns (flagged), impute remaining
    missing values with the column mean (respondents missing more than
    ``max_missing`` of a block are dropped and flagged), respondent
    mean-centring per block (``InputBlock.center_rows``), column
    standardisation (optional), block weighting, optional PCA.

    Parameters
    ----------
    blocks : sequence of InputBlock
        The input blocks; every column of the data must belong to one.
    standardize : bool
        Scale every column to unit variance (after centring).
    pca : int, float or None
        None: no reduction. int: keep that many components. float in (0, 1):
        keep the fewest components explaining that share of variance.
    max_missing : float
        Respondents missing more than this share of a block's items are
        excluded (their answers are mostly imputed otherwise).
    seed : int
        Seed for PCA's randomised solver (results are deterministic).

    Attributes
    ----------
    columns_ : list of str
        Input columns kept.
    dropped_ : DataFrame
        Columns dropped and why (``column``, ``block``, ``reason``).
    excluded_rows_ : Index
        Respondents excluded for too many missing answers.
    mean_, scale_ : ndarray, shape (n_columns,)
        Column means and standard deviations after centring (scale 1 when
        ``standardize=False``).
    weights_ : ndarray, shape (n_columns,)
        Block weight / sqrt(block size) per column.
    pca_ : sklearn.decomposition.PCA or None
    explained_variance_ : DataFrame or None
        Per component the share and cumulative share of variance explained.
    """

    def __init__(self, blocks: Sequence[InputBlock], *, standardize: bool = True, pca: int | float | None = None,
                 max_missing: float = 0.5, seed: int = 0):
        self.blocks = blocks
        self.standardize = standardize
        self.pca = pca
        self.max_missing = max_missing
        self.seed = seed

    def _center(self, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for b in self.blocks:
            cols = [c for c in b.columns if c in self.columns_]
            if b.center_rows and cols:
                # Row mean over the respondent's *own* answers: imputed cells would pull it
                # towards the population mean, so centre before imputing.
                df[cols] = df[cols].sub(df[cols].mean(axis=1), axis=0)
        return df

    def fit(self, data: pd.DataFrame) -> "NeedsPreprocessor":
        """Learn columns, centring, scaling, weights and PCA from ``data``.

        Parameters
        ----------
        data : DataFrame, shape (n_respondents, n_columns)
            Numeric inputs, one row per respondent (index = respondent id).

        Returns
        -------
        self
        """
        block_of: dict[str, InputBlock] = {}
        for b in self.blocks:
            for c in b.columns:
                if c not in data.columns:
                    raise ValueError(f"input column '{c}' of block '{b.name}' is not in the data; "
                                     f"fix: check the column names (data has {list(data.columns)[:6]}...)")
                block_of[c] = b
        if not block_of:
            raise ValueError("no segmentation inputs were given; fix: choose needs items and/or part-worths")
        num = data[list(block_of)].apply(pd.to_numeric, errors="coerce")
        dropped: list[dict[str, str]] = []
        keep: list[str] = []
        for c, b in block_of.items():
            col = num[c]
            if col.isna().all():
                dropped.append({"column": c, "block": b.name, "reason": "all values missing"})
            elif col.nunique(dropna=True) <= 1:
                dropped.append({"column": c, "block": b.name,
                                "reason": f"constant (every answer is {col.dropna().iloc[0]:g})"})
            else:
                keep.append(c)
        if not keep:
            raise ValueError("every segmentation input is constant or missing: " +
                             "; ".join(f"{d['column']} ({d['reason']})" for d in dropped) +
                             ". Fix: check that the needs/part-worth files hold the respondents' answers")
        self.columns_ = keep
        self.dropped_ = pd.DataFrame(dropped, columns=["column", "block", "reason"])
        excluded = pd.Series(False, index=num.index)
        for b in self.blocks:
            cols = [c for c in b.columns if c in keep]
            if cols:
                excluded |= num[cols].isna().mean(axis=1) > self.max_missing
        self.excluded_rows_ = num.index[excluded]
        if (~excluded).sum() < 2:
            raise ValueError(f"only {int((~excluded).sum())} respondents answered more than "
                             f"{1 - self.max_missing:.0%} of the items; fix: check the input file")
        centred = self._center(num.loc[~excluded, keep])
        self.mean_ = centred.mean().to_numpy()
        sd = centred.std(ddof=0).to_numpy()
        # Row-centring can make a column constant (e.g. a battery of two items); guard against /0.
        self.scale_ = np.where(sd > 1e-12, sd, 1.0) if self.standardize else np.ones(len(keep))
        self.weights_ = np.ones(len(keep))
        for b in self.blocks:
            idx = [i for i, c in enumerate(keep) if block_of[c] is b]
            if idx:
                self.weights_[idx] = b.weight / np.sqrt(len(idx))
        self._block_of = {c: block_of[c].name for c in keep}
        z = self._scaled(centred)
        self.pca_ = None
        self.explained_variance_ = None
        if self.pca is not None:
            self.pca_ = PCA(n_components=self.pca, svd_solver="full", random_state=self.seed).fit(z)
            ratio = self.pca_.explained_variance_ratio_
            self.explained_variance_ = pd.DataFrame({
                "component": [f"PC{i + 1}" for i in range(len(ratio))],
                "variance_share": ratio, "cumulative_share": np.cumsum(ratio)})
        return self

    def _scaled(self, centred: pd.DataFrame) -> np.ndarray:
        z = (centred.to_numpy(dtype=float) - self.mean_) / self.scale_
        z = np.where(np.isnan(z), 0.0, z)  # mean imputation (0 after centring on the column mean)
        return z * self.weights_

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        """Apply the fitted steps.

        Parameters
        ----------
        data : DataFrame with the fitted columns

        Returns
        -------
        ndarray, shape (n_rows, n_features)
            Rows in the order of ``data`` (excluded respondents are *not*
            removed here; use :meth:`fit_transform` on training data).
        """
        check_is_fitted(self, "columns_")
        missing = [c for c in self.columns_ if c not in data.columns]
        if missing:
            raise ValueError(f"columns {missing} used when fitting are missing; fix: pass the same inputs")
        num = data[self.columns_].apply(pd.to_numeric, errors="coerce")
        z = self._scaled(self._center(num))
        return self.pca_.transform(z) if self.pca_ is not None else z

    def fit_transform(self, data: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
        """Fit, then transform the respondents kept.

        Returns
        -------
        X : ndarray, shape (n_kept, n_features)
        index : Index
            Respondent ids of the rows of ``X``.
        """
        self.fit(data)
        kept = data.index.difference(self.excluded_rows_, sort=False)
        return self.transform(data.loc[kept]), kept

    @property
    def feature_names_(self) -> list[str]:
        """Names of the output features (input columns or ``PC1..``)."""
        if self.pca_ is not None:
            return list(self.explained_variance_["component"])
        return list(self.columns_)

    def summary(self) -> pd.DataFrame:
        """One row per block: columns kept and dropped, centring, weight."""
        check_is_fitted(self, "columns_")
        rows = []
        for b in self.blocks:
            kept = [c for c in b.columns if c in self.columns_]
            rows.append({"block": b.name, "columns_kept": len(kept),
                         "columns_dropped": len(b.columns) - len(kept),
                         "respondent_mean_centred": b.center_rows, "standardised": self.standardize,
                         "block_weight": b.weight})
        return pd.DataFrame(rows)


def ordinal_bins(data: pd.DataFrame, *, center_rows: bool = True, width: float = 1.0) -> pd.DataFrame:
    """Recode a rating battery into three ordered categories for latent class analysis.

    With ``center_rows`` each answer is compared with the respondent's own
    mean (removing scale-use bias): 0 = more than ``width`` points below it,
    2 = more than ``width`` above it, 1 = in between. Without centring the
    raw scale is cut into thirds of its observed range.

    Parameters
    ----------
    data : DataFrame, shape (n, n_items)
        Ratings (NaN = missing, kept missing).
    center_rows : bool
    width : float
        Half-width of the middle band, in scale points.

    Returns
    -------
    DataFrame of float (0, 1, 2 or NaN), same shape and labels as ``data``.
    """
    num = data.apply(pd.to_numeric, errors="coerce")
    if center_rows:
        c = num.sub(num.mean(axis=1), axis=0)
        out = np.where(c < -width, 0.0, np.where(c > width, 2.0, 1.0))
    else:
        lo, hi = np.nanmin(num.to_numpy()), np.nanmax(num.to_numpy())
        edges = lo + (hi - lo) * np.array([1 / 3, 2 / 3])
        out = np.digitize(num.to_numpy(), edges).astype(float)
    out = np.where(num.isna().to_numpy(), np.nan, out)
    return pd.DataFrame(out, index=data.index, columns=data.columns)
