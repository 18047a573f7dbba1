"""Data sets: the generated demo engagement and bundled real data (CDNOW, Electricity).

- :func:`make_demo` / :func:`demo_file`: a deterministic, linked engagement for a
  fictional retailer (customers, transactions, survey, needs, conjoint) with the
  planted truths, so every analysis can be checked for recovering them.
- :func:`load_cdnow_sample` / :func:`load_cdnow_master`: the CDNOW transaction
  logs (Fader, Hardie & Lee 2005); see ``data/CDNOW.md``.
- :func:`load_electricity`: the Electricity stated-preference experiment
  (Revelt & Train); see ``data/ELECTRICITY.md``.
"""

from cvkit.datasets.cdnow import CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, load_cdnow_master, load_cdnow_sample
from cvkit.datasets.demo import DEMO_KINDS, DemoEngagement, DemoTruth, demo_file, make_demo
from cvkit.datasets.electricity import ELECTRICITY_ATTRIBUTES, load_electricity

__all__ = ["make_demo", "demo_file", "DemoEngagement", "DemoTruth", "DEMO_KINDS", "load_cdnow_sample",
           "load_cdnow_master", "CDNOW_CALIBRATION_END", "CDNOW_OBSERVATION_END", "load_electricity",
           "ELECTRICITY_ATTRIBUTES"]
