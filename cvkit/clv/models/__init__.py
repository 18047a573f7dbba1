"""The CLV probability models, one per module, all fitted by maximum likelihood on log-parameters.

=================  ==============================  =======================================
module             model                           data
=================  ==============================  =======================================
``bg_nbd``         :class:`BetaGeoModel`           RFM summary (continuous time)
``mbg_nbd``        :class:`ModifiedBetaGeoModel`   RFM summary (continuous time)
``pareto_nbd``     :class:`ParetoNBDModel`         RFM summary (continuous time)
``gamma_gamma``    :class:`GammaGammaModel`        repeat purchases and their mean value
``bg_bb``          :class:`BetaGeoBetaBinomModel`  discrete transaction opportunities
``sbg``            :class:`ShiftedBetaGeometricModel`  contract renewals by period
=================  ==============================  =======================================

``base`` holds the optimiser, diagnostics and summary shared by all (:class:`LikelihoodModel`);
``purchase`` the predictions shared by the three continuous-time purchase models
(:class:`PurchaseModel`).
"""

from cvkit.clv.models.base import LikelihoodModel, compress_rows
from cvkit.clv.models.bg_bb import BetaGeoBetaBinomModel
from cvkit.clv.models.bg_nbd import BetaGeoModel
from cvkit.clv.models.gamma_gamma import GammaGammaModel
from cvkit.clv.models.mbg_nbd import ModifiedBetaGeoModel
from cvkit.clv.models.pareto_nbd import ParetoNBDModel
from cvkit.clv.models.purchase import PurchaseModel
from cvkit.clv.models.sbg import ShiftedBetaGeometricModel

__all__ = ["LikelihoodModel", "PurchaseModel", "BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel",
           "GammaGammaModel", "BetaGeoBetaBinomModel", "ShiftedBetaGeometricModel", "compress_rows"]
