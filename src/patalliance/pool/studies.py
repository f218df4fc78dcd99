"""The study-level input of a pooled analysis: one effect per study, oriented and on its
pooling scale, with where it came from.

Readers (:mod:`patalliance.pool.inputs`, :mod:`patalliance.pool.plan`,
:mod:`patalliance.pool.metapsy`) build an :class:`EffectTable`; :func:`patalliance.pool.pool`
analyses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "MEASURES",
    "EffectTable",
    "StudyEffect",
    "effect_label",
    "pooling_scale",
    "to_analysis_scale",
]

#: ``g``: Hedges' g; ``r``: Pearson r (pooled on Fisher's z); ``generic``: an effect with its SE.
MEASURES: tuple[str, ...] = ("g", "r", "generic")


def pooling_scale(measure: str) -> str:
    """``fisher_z`` for correlations, ``identity`` otherwise."""
    return "fisher_z" if measure == "r" else "identity"


def effect_label(measure: str) -> str:
    """The effect's name in the report: ``Hedges' g``, ``r`` or ``effect``."""
    return {"g": "Hedges' g", "r": "r"}.get(measure, "effect")


def to_analysis_scale(value: float, measure: str) -> float:
    """Back-transform a value on the pooling scale: :math:`r = \\tanh z` for correlations.

    >>> round(to_analysis_scale(0.5493, "r"), 4), to_analysis_scale(0.5, "g")
    (0.5, 0.5)
    """
    if value is None or not math.isfinite(float(value)):
        return math.nan if value is None else float(value)
    return math.tanh(value) if measure == "r" else float(value)


@dataclass(frozen=True)
class StudyEffect:
    """One study's effect.

    Attributes
    ----------
    study : str
        Study id (unique within a table).
    label : str
        Name shown in the report (defaults to ``study``).
    subgroup : str
        Subgroup for the subgroup analysis, or ``""``.
    effect, se : float
        Effect on the pooling scale (Fisher's z for r), already oriented so that a positive
        value means a better outcome when ``higher_is_better`` was given, and its SE.
    n : float
        Total sample size (NaN when unknown).
    higher_is_better : bool
        Whether higher outcome scores are better in this input; when False the effect's sign
        was flipped (``sign_flipped``).
    source : str
        Where the numbers came from, briefly (file and row, instrument and time).
    detail : str
        Longer provenance (e.g. the source data set's row ids), for the data files only.
    """

    study: str
    label: str
    subgroup: str
    effect: float
    se: float
    n: float
    higher_is_better: bool = True
    source: str = ""
    detail: str = ""

    @property
    def sign_flipped(self) -> bool:
        return not self.higher_is_better


@dataclass(frozen=True)
class EffectTable:
    """The studies of one pooled analysis.

    Attributes
    ----------
    measure : {"g", "r", "generic"}
        The effect size.
    studies : tuple of StudyEffect
        One effect per study.
    convention : str
        For g, the convention (``exact`` or ``metapsy``); ``""`` otherwise.
    outcome : str
        What was pooled, in words (e.g. ``alliance.total@prep × depression.total@fu4w``).
    source : str
        The input file(s) or data set.
    notes : tuple of str
        Choices made while building the table (selections, combined arms, exclusions).
    files : tuple of str
        The input files (for their sha256 in ``pool_results.json``).
    """

    measure: str
    studies: tuple[StudyEffect, ...]
    convention: str = ""
    outcome: str = ""
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    files: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(
                f"The 'measure' of an EffectTable must be one of {', '.join(MEASURES)}. "
                f"Got {self.measure!r} instead."
            )

    @property
    def k(self) -> int:
        return len(self.studies)

    @property
    def effects(self) -> np.ndarray:
        return np.array([s.effect for s in self.studies], dtype=float)

    @property
    def ses(self) -> np.ndarray:
        return np.array([s.se for s in self.studies], dtype=float)

    @property
    def oriented(self) -> bool:
        """True when at least one input declared ``higher_is_better = false``."""
        return any(not s.higher_is_better for s in self.studies)

    def to_frame(self) -> pd.DataFrame:
        """One row per study with every field, plus ``sign_flipped``."""
        rows = [
            {
                "study": s.study,
                "label": s.label,
                "subgroup": s.subgroup,
                "effect": s.effect,
                "se": s.se,
                "n": s.n,
                "higher_is_better": s.higher_is_better,
                "sign_flipped": s.sign_flipped,
                "source": s.source,
                "detail": s.detail,
            }
            for s in self.studies
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "study",
                "label",
                "subgroup",
                "effect",
                "se",
                "n",
                "higher_is_better",
                "sign_flipped",
                "source",
                "detail",
            ],
        )
