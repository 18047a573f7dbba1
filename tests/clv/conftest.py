"""Shared fixtures: the CDNOW calibration/holdout summary of the published analyses."""

from __future__ import annotations

import pandas as pd
import pytest

from cvkit.clv import calibration_holdout_split
from cvkit.datasets.cdnow import CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, load_cdnow_sample


@pytest.fixture(scope="session")
def cdnow_log() -> pd.DataFrame:
    return load_cdnow_sample()


@pytest.fixture(scope="session")
def cdnow(cdnow_log) -> pd.DataFrame:
    """2,357 customers, weeks, calibration 1997-01-01..09-30, holdout to 1998-06-30 (39 weeks)."""
    return calibration_holdout_split(cdnow_log, CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, time_unit="W")
