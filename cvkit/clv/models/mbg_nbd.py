"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with possible dropout before any repeat."""

from __future__ import annotations

from cvkit.clv.models.bg_nbd import BetaGeoModel

__all__ = ["ModifiedBetaGeoModel"]


class ModifiedBetaGeoModel(BetaGeoModel):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with possible dropout before any repeat.

    Like :class:`BetaGeoModel`, but a customer can also become inactive right
    after the first purchase, so non-repeaters need not be alive.

    References
    ----------
    Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
    comparison of models for customer base analysis. IJRM 24(3).
    """

    _model_name = "MBG/NBD"
    _shift = 1
    _always_second = True
