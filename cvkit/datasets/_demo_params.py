"""The planted truths of the demo engagement (private: use :mod:`cvkit.datasets.demo`).

Every number here is a *population* parameter that :func:`cvkit.datasets.demo.make_demo`
draws the data from; the analyses' tests check that they recover these. They live
in one module so a trainer can read the whole hidden story of "Demo Retail" in one
place. Changing any of them changes the demo data (and the stored notebooks).

Conventions
-----------
* Time is measured in **days** (BG/NBD ``alpha`` is in days, so the purchase rate
  ``lambda`` is per day). Divide ``alpha`` by 7 for the weekly parametrisation.
* Money is in **EUR**.
* Ratings are on the survey's 0-10 scale (satisfaction 1-10).
* Conjoint part-worths of the categorical attributes are **zero-centred within each
  attribute** (effects coding: the levels' utilities sum to zero); the annual fee
  enters **linearly and uncentred**, ``beta_fee * fee_eur``; the none alternative has
  utility ``none`` on that same scale. So
  ``U(concept) = delivery[...] + returns[...] + extras[...] + beta_fee * fee`` and
  ``U(none) = none``.
"""

from __future__ import annotations

from typing import Any

SEGMENTS: tuple[str, ...] = ("convenience", "price", "experience")
SEGMENT_SHARES: dict[str, float] = {"convenience": 0.40, "price": 0.35, "experience": 0.25}

CLIENT_BRAND = "Demo Retail"
COMPETITORS: tuple[str, ...] = ("ValueMart", "QuickShop", "LuxeStore")

# --- customers --------------------------------------------------------------------------
CHANNELS: tuple[str, ...] = ("online", "store", "referral", "marketplace")
# P(channel | segment): convenience shoppers come online, price hunters through
# marketplaces, experience seekers through stores and friends.
CHANNEL_PROBS: dict[str, tuple[float, ...]] = {
    "convenience": (0.45, 0.25, 0.15, 0.15),
    "price": (0.30, 0.20, 0.10, 0.40),
    "experience": (0.25, 0.45, 0.22, 0.08),
}
# Median acquisition cost per channel, EUR; lognormal spread ACQ_COST_SIGMA (log scale).
ACQ_COST_MEDIAN: dict[str, float] = {"online": 32.0, "store": 18.0, "referral": 12.0, "marketplace": 45.0}
ACQ_COST_SIGMA = 0.35

REGIONS: tuple[str, ...] = ("North", "South", "East", "West")
REGION_PROBS: dict[str, tuple[float, ...]] = {
    "convenience": (0.30, 0.20, 0.25, 0.25),
    "price": (0.20, 0.35, 0.25, 0.20),
    "experience": (0.25, 0.20, 0.20, 0.35),
}
AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_PROBS: dict[str, tuple[float, ...]] = {
    "convenience": (0.08, 0.28, 0.30, 0.18, 0.10, 0.06),
    "price": (0.22, 0.26, 0.18, 0.14, 0.11, 0.09),
    "experience": (0.06, 0.16, 0.22, 0.24, 0.18, 0.14),
}

# --- transactions: BG/NBD (days) and Gamma-Gamma (EUR) per segment ----------------------
# lambda ~ Gamma(shape r, rate alpha) purchases/day; p ~ Beta(a, b) dropout after each
# repeat purchase. Mean rate r/alpha: convenience ~ every 3 weeks, price ~ every 2.5
# weeks but churns fast, experience ~ every 7 weeks and loyal.
BGNBD: dict[str, dict[str, float]] = {
    "convenience": {"r": 2.0, "alpha": 36.0, "a": 1.0, "b": 14.0},
    "price": {"r": 2.5, "alpha": 36.0, "a": 1.5, "b": 8.0},
    "experience": {"r": 1.5, "alpha": 65.0, "a": 0.8, "b": 16.0},
}
# Spend per transaction z ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate gamma);
# population mean spend p * gamma / (q - 1): convenience 45, price 24, experience 110 EUR.
GAMMA_GAMMA: dict[str, dict[str, float]] = {
    "convenience": {"p": 6.0, "q": 4.0, "gamma": 22.5},
    "price": {"p": 6.0, "q": 5.0, "gamma": 16.0},
    "experience": {"p": 5.0, "q": 3.5, "gamma": 55.0},
}

# --- survey ----------------------------------------------------------------------------
# Baseline latent rating of every element (all brands), by element level.
BASE_RATING_BY_LEVEL: dict[str, float] = {
    "functional": 5.6, "emotional": 5.0, "life_changing": 4.4, "social_impact": 4.0,
}
# Brand deviations from the baseline (rating points). Demo Retail wins on convenience
# and choice, loses on cost and rewards: the membership programme's opportunity.
BRAND_DEVIATIONS: dict[str, dict[str, float]] = {
    "Demo Retail": {
        "saves_time": 2.0, "variety": 1.8, "reduces_effort": 1.6, "avoids_hassles": 1.0,
        "simplifies": 1.0, "quality": 1.0, "informs": 0.6, "reduces_anxiety": 0.3,
        "reduces_cost": -1.3, "rewards_me": -1.5, "makes_money": -0.3,
    },
    "ValueMart": {
        "reduces_cost": 2.5, "rewards_me": 1.2, "makes_money": 0.5, "variety": 0.5,
        "quality": -1.1, "design_aesthetics": -1.5, "sensory_appeal": -1.0,
        "saves_time": -0.6, "avoids_hassles": -1.2, "badge_value": -1.0,
    },
    "QuickShop": {
        "saves_time": 2.6, "reduces_effort": 1.8, "avoids_hassles": 1.5, "simplifies": 1.2,
        "integrates": 1.0, "variety": -0.8, "rewards_me": 0.8,
        "sensory_appeal": -0.6,
    },
    "LuxeStore": {
        "quality": 2.4, "design_aesthetics": 2.2, "sensory_appeal": 2.0, "badge_value": 1.8,
        "fun_entertainment": 1.0, "reduces_anxiety": 0.5, "reduces_cost": -2.0,
        "makes_money": -0.3, "variety": -0.5,
    },
}
# Extra attitude (rating points, on every element) of a segment towards a brand.
SEGMENT_BRAND_AFFINITY: dict[tuple[str, str], float] = {
    ("convenience", "Demo Retail"): 0.3, ("convenience", "QuickShop"): 0.5,
    ("price", "ValueMart"): 0.6, ("price", "LuxeStore"): -0.4,
    ("experience", "LuxeStore"): 0.6, ("experience", "ValueMart"): -0.4,
}
HALO_RESPONDENT_SD = 0.7   # respondent scale use, shared by every brand they rate
HALO_BRAND_SD = 0.6        # respondent x brand overall attitude (the "halo")
RATING_NOISE_SD = 1.5      # element-specific noise

# Outcome = intercept + sum(weight * predictor) + N(0, sd), rounded and clipped to scale.
# Predictors are the *observed* (rounded) ratings, so a regression on the data is unbiased
# up to the outcome's own rounding and clipping.
DRIVERS: dict[str, dict[str, Any]] = {
    "nps": {
        "intercept": 0.20, "noise_sd": 1.1, "scale": (0, 10),
        "weights": {"quality": 0.38, "saves_time": 0.30, "reduces_cost": 0.26, "variety": 0.14,
                    "avoids_hassles": 0.09, "reduces_anxiety": 0.07},
    },
    "satisfaction": {
        "intercept": 2.00, "noise_sd": 0.9, "scale": (1, 10),
        "weights": {"quality": 0.26, "avoids_hassles": 0.17, "reduces_effort": 0.15,
                    "saves_time": 0.10, "informs": 0.08, "variety": 0.05},
    },
    "perceived_quality": {
        "intercept": 1.00, "noise_sd": 0.9, "scale": (0, 10),
        "weights": {"quality": 0.50, "sensory_appeal": 0.22, "design_aesthetics": 0.12,
                    "informs": 0.10},
    },
    "perceived_price": {
        "intercept": 7.50, "noise_sd": 0.9, "scale": (0, 10),
        # beautiful design signals a premium price; cost savings and rewards a low one
        "weights": {"reduces_cost": -0.55, "design_aesthetics": 0.30, "rewards_me": -0.15,
                    "makes_money": -0.08},
    },
    # second level of the driver tree: value = quality for the price
    "overall_value": {
        "intercept": 4.00, "noise_sd": 0.9, "scale": (0, 10),
        "weights": {"perceived_quality": 0.55, "perceived_price": -0.40},
    },
}

# --- needs (importance of each element, 0-10) -------------------------------------------
BASE_IMPORTANCE_BY_LEVEL: dict[str, float] = {
    "functional": 5.6, "emotional": 4.8, "life_changing": 4.0, "social_impact": 3.8,
}
NEEDS_BOOST = 2.6  # each segment's extra importance on its own elements
SEGMENT_NEEDS: dict[str, tuple[str, ...]] = {
    "convenience": ("saves_time", "reduces_effort", "avoids_hassles", "simplifies",
                    "integrates", "organizes"),
    "price": ("reduces_cost", "makes_money", "rewards_me", "reduces_risk", "informs",
              "reduces_anxiety"),
    "experience": ("quality", "sensory_appeal", "design_aesthetics", "fun_entertainment",
                   "badge_value", "attractiveness"),
}
NEEDS_BIAS_SD = 1.0    # respondent scale-use shift (all 30 items)
NEEDS_NOISE_SD = 1.3

# --- choice-based conjoint --------------------------------------------------------------
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "delivery": ("standard", "next_day", "same_day"),
    "returns": ("paid", "free"),
    "extras": ("none", "streaming", "partner_discounts", "priority_service"),
}
FEES: tuple[int, ...] = (29, 49, 69, 89)
# Segment mean part-worths: zero-centred within attribute; fee per EUR (uncentred); none.
PARTWORTHS: dict[str, dict[str, float]] = {
    "convenience": {
        "delivery.standard": -2.0, "delivery.next_day": 0.4, "delivery.same_day": 1.6,
        "returns.paid": -0.4, "returns.free": 0.4,
        "extras.none": -0.7, "extras.streaming": -0.6, "extras.partner_discounts": -0.4,
        "extras.priority_service": 1.7,
        "fee": -0.030, "none": -2.2,
    },
    "price": {
        "delivery.standard": -0.3, "delivery.next_day": 0.1, "delivery.same_day": 0.2,
        "returns.paid": -0.9, "returns.free": 0.9,
        "extras.none": -0.8, "extras.streaming": -0.7, "extras.partner_discounts": 2.0,
        "extras.priority_service": -0.5,
        "fee": -0.065, "none": -4.0,
    },
    "experience": {
        "delivery.standard": -0.7, "delivery.next_day": 0.1, "delivery.same_day": 0.6,
        "returns.paid": -1.4, "returns.free": 1.4,
        "extras.none": -1.2, "extras.streaming": 1.9, "extras.partner_discounts": -1.1,
        "extras.priority_service": 0.4,
        "fee": -0.012, "none": -1.0,
    },
}
PARTWORTH_SD = 0.4        # respondent heterogeneity of each categorical level (then re-centred)
FEE_LOG_SD = 0.2          # respondent fee coefficient = segment fee * exp(N(0, FEE_LOG_SD))
NONE_SD = 0.4             # respondent heterogeneity of the none constant
N_TASKS = 12
N_CONCEPTS = 3
