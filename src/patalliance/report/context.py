"""What the figure builders read: the typed results, the labels, and the arms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from patalliance.analysis.results import AnalysisResults
from patalliance.report import aggregate
from patalliance.report.labels import Labeler
from patalliance.report.svg import PALETTE

if TYPE_CHECKING:
    from patalliance.derive import AnalysisTable
    from patalliance.study import Study

__all__ = ["FigureContext"]


@dataclass(frozen=True)
class FigureContext:
    """What the figure builders need: the typed results and the labels."""

    results: AnalysisResults
    labeler: Labeler

    @property
    def table(self) -> AnalysisTable:
        return self.results.table

    @property
    def study(self) -> Study:
        return self.results.study

    @property
    def keys(self) -> Mapping[str, Any]:
        return self.results.keys

    @property
    def confidence_level(self) -> float:
        return self.results.confidence_level

    @property
    def alpha(self) -> float:
        return self.study.analysis.alpha

    @property
    def many(self) -> bool:
        """Whether figures show aggregates instead of one mark per participant."""
        return aggregate.aggregated(self.table.n_participants)

    def column(self, variable: str) -> np.ndarray | None:
        values = self.table.values
        if variable not in values.columns:
            return None
        col = values[variable].to_numpy(dtype=float)
        return col if not np.isnan(col).all() else None

    def arms(self) -> list[tuple[str, str, str, np.ndarray]]:
        """(id, label, colour, mask) of each arm with participants, in study order."""
        arms = self.table.arms.astype(str).to_numpy()
        out = []
        ids = list(self.study.arms) + [
            a
            for a in dict.fromkeys(arms)
            if a not in self.study.arms and a not in {"nan", "None", ""}
        ]
        for i, arm in enumerate(ids):
            mask = arms == arm
            if mask.any():
                info = self.study.arms.get(arm)
                label = info.label if info is not None else arm
                out.append((arm, label, PALETTE[i % len(PALETTE)], mask))
        return out
