"""Everything one analysis produced, typed: :class:`AnalysisResults`.

One attribute per family, each a frozen :class:`~patalliance.analysis.records.Family` (or the
facilitator and QC objects) with ``to_frame()``; and the context the outputs need: the study,
the scoring keys, the analysis table, the QC report and the input files. The report reads
these attributes; the ``results.json`` document is built from them only where it is written
(:mod:`patalliance.document`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from patalliance.analysis.bayes import BayesFactorRecord
from patalliance.analysis.change import ChangeRecord
from patalliance.analysis.correlations import CorrelationRecord
from patalliance.analysis.descriptives import Descriptive, Descriptives
from patalliance.analysis.efficacy import Efficacy, EfficacyResult
from patalliance.analysis.facilitator import FacilitatorResults
from patalliance.analysis.imputation import MultipleImputation
from patalliance.analysis.mediation import MediationModels, MediationRecord
from patalliance.analysis.mixed import MixedModelRecord, MixedModels
from patalliance.analysis.moderation import ModerationModels, ModerationRecord
from patalliance.analysis.partial import PartialCorrelationRecord
from patalliance.analysis.records import Family, PublishedComparison
from patalliance.analysis.regression import RegressionRecord, Regressions
from patalliance.analysis.reliability import ReliabilityRecord
from patalliance.analysis.sensitivity import Sensitivity, SensitivityRecord
from patalliance.analysis.trajectories import Trajectories, TrajectoryRecord
from patalliance.derive import AnalysisTable
from patalliance.instruments.key import InstrumentKey
from patalliance.io.trialdata import InputFile
from patalliance.qc import ValidationReport
from patalliance.study import Study

__all__ = ["AnalysisResults", "PlanResults"]


@dataclass(frozen=True)
class PlanResults:
    """The families of the analysis plan, in report order. Families the plan does not ask for
    are empty."""

    descriptives: Descriptives = field(default_factory=lambda: Descriptives((), Descriptive))
    reliability: Family[ReliabilityRecord] = field(
        default_factory=lambda: Family((), ReliabilityRecord)
    )
    change: Family[ChangeRecord] = field(default_factory=lambda: Family((), ChangeRecord))
    correlations: Family[CorrelationRecord] = field(
        default_factory=lambda: Family((), CorrelationRecord)
    )
    efficacy: Efficacy = field(default_factory=lambda: Efficacy((), EfficacyResult))
    partial_correlations: Family[PartialCorrelationRecord] = field(
        default_factory=lambda: Family((), PartialCorrelationRecord)
    )
    mixed_models: MixedModels = field(default_factory=lambda: MixedModels((), MixedModelRecord))
    mediation: MediationModels = field(default_factory=lambda: MediationModels((), MediationRecord))
    facilitator: FacilitatorResults = field(default_factory=FacilitatorResults)
    sensitivity: Sensitivity = field(default_factory=lambda: Sensitivity((), SensitivityRecord))
    bayes_factors: Family[BayesFactorRecord] = field(
        default_factory=lambda: Family((), BayesFactorRecord)
    )
    multiple_imputation: MultipleImputation = field(default_factory=MultipleImputation)
    regressions: Regressions = field(default_factory=lambda: Regressions((), RegressionRecord))
    moderation: ModerationModels = field(
        default_factory=lambda: ModerationModels((), ModerationRecord)
    )
    trajectories: Trajectories = field(default_factory=lambda: Trajectories((), TrajectoryRecord))


@dataclass(frozen=True)
class AnalysisResults(PlanResults):
    """The plan's families with the context of the run.

    Attributes
    ----------
    study : Study
        The study file as loaded (its ``analysis`` table is the plan that was run).
    keys : mapping of measure id to InstrumentKey
        The scoring key of each measure.
    table : AnalysisTable
        Participant × variable scores (``scores.csv``), with arms and facilitators.
    qc : ValidationReport
        Row accounting and every problem found (``qc`` in ``results.json``).
    inputs : tuple of InputFile
        Every input read: path, sha256, rows, role.
    study_sha256 : str
        sha256 of the study file (empty when the study was not read from a file).
    reproduction : tuple of PublishedComparison, optional
        Published statistics beside their reproduction (the demo only).
    score_notes : pandas.DataFrame, optional
        One row per prorated or dropped scale score (:mod:`patalliance.score_notes`).
    """

    study: Study = field(kw_only=True)
    keys: Mapping[str, InstrumentKey] = field(kw_only=True)
    table: AnalysisTable = field(kw_only=True)
    qc: ValidationReport = field(kw_only=True)
    inputs: tuple[InputFile, ...] = field(kw_only=True, default=())
    study_sha256: str = field(kw_only=True, default="")
    reproduction: tuple[PublishedComparison, ...] | None = field(kw_only=True, default=None)
    #: Prorated and dropped scale scores (``score_notes.csv``); None when not computed.
    score_notes: pd.DataFrame | None = field(kw_only=True, default=None)

    @property
    def confidence_level(self) -> float:
        """The confidence level of every interval of this analysis."""
        return self.study.analysis.confidence_level

    @property
    def n_participants(self) -> int:
        """Participants in the analysis table."""
        return self.table.n_participants

    @property
    def scores(self) -> pd.DataFrame:
        """The analysis table as :func:`patalliance.score` returns it: indexed by
        ``participant_id``, column ``arm``, then one column per ``measure.scale@timepoint``
        (and severity-band labels), the values of ``scores.csv``."""
        return self.table.to_frame().set_index("participant_id")
