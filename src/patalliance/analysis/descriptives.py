"""Descriptive statistics of every variable of the analysis table, overall and by arm."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from patalliance.analysis.records import Family, Record, records_frame
from patalliance.derive import AnalysisTable

__all__ = ["ArmDescriptive", "Descriptive", "Descriptives", "describe"]


@dataclass(frozen=True)
class Descriptive(Record):
    """n, mean, SD (n − 1 denominator), min and max of one variable."""

    variable: str
    n: int
    mean: float
    sd: float
    min: float
    max: float


@dataclass(frozen=True)
class ArmDescriptive(Record):
    """n, mean and SD of one variable in one arm."""

    arm: str
    variable: str
    n: int
    mean: float
    sd: float


@dataclass(frozen=True)
class Descriptives(Family[Descriptive]):
    """Every variable overall (the records) and by arm (``by_arm``)."""

    by_arm: tuple[ArmDescriptive, ...] = ()

    def by_arm_frame(self) -> pd.DataFrame:
        """One row per arm × variable: ``arm, variable, n, mean, sd``."""
        return records_frame(self.by_arm, ArmDescriptive)


def _moments(values: np.ndarray) -> tuple[int, float, float, float, float]:
    v = values[~np.isnan(values)]
    n = int(v.size)
    if n == 0:
        return 0, np.nan, np.nan, np.nan, np.nan
    sd = float(np.std(v, ddof=1)) if n > 1 else np.nan
    return n, float(np.mean(v)), sd, float(np.min(v)), float(np.max(v))


def describe(table: AnalysisTable) -> Descriptives:
    """n, mean, SD (n − 1), min and max of every variable; n, mean and SD by arm."""
    overall = []
    by_arm = []
    arms = table.arms.astype(str)
    arm_ids = [a for a in dict.fromkeys(arms) if a not in {"nan", "", "None"}]
    masks = {arm: (arms == arm).to_numpy() for arm in arm_ids}
    for name in table.values.columns:
        col = table.values[name].to_numpy(dtype=float)
        n, mean, sd, lo, hi = _moments(col)
        overall.append(Descriptive(name, n, mean, sd, lo, hi))
        for arm in arm_ids:
            n_a, mean_a, sd_a, _, _ = _moments(col[masks[arm]])
            by_arm.append(ArmDescriptive(arm, name, n_a, mean_a, sd_a))
    return Descriptives(tuple(overall), Descriptive, tuple(by_arm))
