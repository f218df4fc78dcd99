"""Frozen result records of the paper-level analysis. Floats are unrounded."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd


class _Record:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


def records_frame(records: list[Any]) -> pd.DataFrame:
    """A DataFrame with one row per record."""
    return pd.DataFrame([r.to_dict() for r in records])


@dataclass(frozen=True)
class Descriptive(_Record):
    variable: str
    n: int
    mean: float
    sd: float
    min: float
    max: float


@dataclass(frozen=True)
class ArmDescriptive(_Record):
    arm: str
    variable: str
    n: int
    mean: float
    sd: float


@dataclass(frozen=True)
class ChangeRecord(_Record):
    """A paired change test, ``variable_from`` → ``variable_to`` (complete pairs)."""

    variable_from: str
    variable_to: str
    label: str
    n: int
    n_dropped: int
    mean_from: float
    mean_to: float
    sd_from: float
    sd_to: float
    mean_diff: float
    diff_ci_low: float
    diff_ci_high: float
    t: float
    df: float
    p: float
    d_z: float
    d_z_ci_low: float
    d_z_ci_high: float
    d_av: float
    wilcoxon_statistic: float
    wilcoxon_p: float
    confidence_level: float
    notes: str = ""  # why a statistic is NaN, and warnings of the tests ("; "-separated)


@dataclass(frozen=True)
class CorrelationRecord(_Record):
    """One correlation of a family, with its interval and multiplicity adjustment."""

    family: str
    x: str
    y: str
    method: str
    missing: str
    n: int
    r: float
    ci_low: float
    ci_high: float
    ci_method: str
    p: float
    p_adj: float
    adjust: str
    confidence_level: float


@dataclass(frozen=True)
class AnalysisResults:
    """Everything the paper-level analysis produced."""

    descriptives: list[Descriptive]
    descriptives_by_arm: list[ArmDescriptive]
    change: list[ChangeRecord]
    correlations: list[CorrelationRecord]
    extra: dict[str, Any] = field(default_factory=dict)
