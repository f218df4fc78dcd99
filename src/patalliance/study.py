"""The study file (``study.toml``): pydantic models, loading and cross-checks.

The format is documented in ``docs/study-file.md``. Every error names the file, the key path
(e.g. ``measures.alliance.timepoints[1]``), what was received and the allowed values.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from patalliance.errors import ConfigError, format_pydantic_error
from patalliance.limits import MAX_BURN_IN, MAX_IMPUTATIONS, MAX_RESAMPLES

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]


class _Model(BaseModel):
    """Unknown keys are errors, and types are strict: no bool as a number, no text as a number
    (an int is still accepted where a float is expected)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class StudyInfo(_Model):
    id: str
    title: str
    description: str = ""


class ArmInfo(_Model):
    label: str


class TimepointInfo(_Model):
    id: Identifier
    label: str = ""
    week: float | None = None
    days: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @property
    def display(self) -> str:
        return self.label or self.id


class RedcapSection(_Model):
    """``[data.redcap]``: a REDCap CSV export and its data dictionary (docs/data-formats.md)."""

    records: str
    dictionary: str
    id_field: str | None = None
    arm_field: str | None = None
    events: dict[str, Identifier] = Field(default_factory=dict)
    arms: dict[str, Identifier] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)
    repeats: dict[str, dict[str, Identifier]] = Field(default_factory=dict)
    participant_fields: list[str] = Field(default_factory=list)


class WideSection(_Model):
    """``[data.wide]``: column layout of a wide file (docs/data-formats.md)."""

    id_column: str = "participant_id"
    arm_column: str | None = "arm"
    timepoint_column: str | None = "timepoint"
    pattern: str = "{instrument}_{item}"
    columns: dict[str, str] = Field(default_factory=dict)
    timepoints: dict[str, Identifier] = Field(default_factory=dict)
    arms: dict[str, Identifier] = Field(default_factory=dict)
    participant_columns: list[str] = Field(default_factory=list)
    sheet: str | None = None


class SdtmSection(_Model):
    """``[data.sdtm]``: CDISC SDTM QS/RS datasets and their mapping (docs/data-formats.md)."""

    qs: list[str] = Field(min_length=1)
    dm: str | None = None
    categories: dict[str, Identifier] = Field(default_factory=dict)
    testcodes: dict[str, int] = Field(default_factory=dict)
    visits: dict[str, Identifier] = Field(default_factory=dict)
    arms: dict[str, Identifier] = Field(default_factory=dict)

    @field_validator("qs", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class DataSection(_Model):
    """Where the data are and how to read them."""

    format: Literal["tidy", "redcap", "wide", "sdtm"] = "tidy"
    responses: list[str] = Field(default_factory=list)
    participants: str | None = None
    scores: str | None = None
    missing_codes: list[float] = Field(default_factory=list)
    policy: Literal["strict", "lenient"] = "strict"
    #: Rows at an undeclared timepoint or of an undeclared instrument: one error per
    #: (instrument, timepoint) pair, or one warning per pair with the rows excluded.
    undeclared: Literal["error", "exclude"] = "error"
    file: str | None = None
    redcap: RedcapSection | None = None
    wide: WideSection | None = None
    sdtm: SdtmSection | None = None

    @field_validator("responses", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Measure(_Model):
    instrument: Identifier
    key: str | None = None
    label: str = ""
    timepoints: list[Identifier]
    peak: Literal["max", "min"] | None = None
    baseline: Identifier | None = None
    aggregate: Literal["sum", "mean"] | None = None


class ChangeTest(_Model):
    variable_from: str
    variable_to: str
    label: str = ""


class CorrelationFamily(_Model):
    family: Identifier
    x: list[str] = Field(min_length=1)
    y: list[str] = Field(min_length=1)
    label: str = ""
    scatter: list[list[str]] | None = None


class EfficacySpec(_Model):
    """``[[analysis.efficacy]]``: treatment versus control at each timepoint (Davis et al. 2021)."""

    measure: Identifier
    scale: Identifier = "total"
    timepoints: list[Identifier] = Field(min_length=1)
    baseline: Identifier
    treatment_arm: Identifier
    control_arm: Identifier
    improvement: Literal["lower", "higher"] = "lower"
    label: str = ""


class PartialCorrelationFamily(_Model):
    """``[[analysis.partial_correlations]]``: x × y correlations controlling for covariates."""

    family: Identifier
    x: list[str] = Field(min_length=1)
    y: list[str] = Field(min_length=1)
    covariates: list[str] = Field(min_length=1)
    label: str = ""


class MixedModelSpec(_Model):
    """``[[analysis.mixed_models]]``: outcome over follow-ups, random intercept per participant."""

    outcome: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$")
    timepoints: list[Identifier] = Field(min_length=1)
    predictors: list[str] = Field(min_length=1)
    baseline: str | None = None
    n_boot: int = Field(default=1000, ge=0, le=MAX_RESAMPLES)
    label: str = ""


class MediationSpec(_Model):
    """``[[analysis.mediation]]``: x → m (one or several parallel mediators) → y."""

    x: str
    m: list[str] = Field(min_length=1)
    y: str
    covariates: list[str] = Field(default_factory=list)
    n_boot: int = Field(default=5000, ge=100, le=MAX_RESAMPLES)
    label: str = ""

    @field_validator("m", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class RegressionSpec(_Model):
    """``[[analysis.regressions]]``: OLS of one outcome on several predictors."""

    outcome: str
    predictors: list[str] = Field(min_length=1)
    se: Literal["auto", "hc3", "classical"] = "auto"
    n_boot: int = Field(default=0, ge=0, le=MAX_RESAMPLES)
    label: str = ""


class ModerationSpec(_Model):
    """``[[analysis.moderation]]``: Hayes' PROCESS model 1, x × w → y."""

    x: str
    w: str
    y: str
    covariates: list[str] = Field(default_factory=list)
    se: Literal["auto", "hc3", "classical"] = "auto"
    label: str = ""


class FacilitatorSpec(_Model):
    """``[[analysis.facilitator]]``: alliance by facilitator (ICC) and alliance–outcome models."""

    alliance: list[str] = Field(min_length=1)
    outcomes: list[str] = Field(default_factory=list)
    label: str = ""


class SensitivitySpec(_Model):
    """``[analysis.sensitivity]``: robustness of every correlation family."""

    families: list[Identifier] | None = None
    n_resamples: int = Field(default=2000, ge=100, le=MAX_RESAMPLES)


class BayesFactorSpec(_Model):
    """``[analysis.bayes_factors]``: BF10 of each Pearson correlation (Ly et al. 2016)."""

    families: list[Identifier] | None = None
    kappa: float = Field(default=1.0, gt=0)


class MultipleImputationSpec(_Model):
    """``[analysis.multiple_imputation]``: chained-equations imputation beside pairwise deletion."""

    m: int = Field(default=20, ge=2, le=MAX_IMPUTATIONS)
    burn_in: int = Field(default=10, ge=1, le=MAX_BURN_IN)
    baseline: str | None = None


class TrajectorySpec(_Model):
    """``[[analysis.trajectories]]``: a measure over time, random intercepts and slopes."""

    measure: Identifier
    scale: Identifier = "total"
    timepoints: list[Identifier] | None = None
    by_arm: bool = False
    time: Literal["days", "order"] | None = None
    label: str = ""


class AnalysisPlan(_Model):
    """The ``[analysis]`` table: options and the families of tests."""

    correlation: Literal["pearson", "spearman"] = "pearson"
    ci: Literal["fisher", "bootstrap"] = "fisher"
    bootstrap_ci: Literal["percentile", "bca"] = "bca"
    n_resamples: int = Field(default=10_000, ge=100, le=MAX_RESAMPLES)
    adjust: Literal["none", "holm", "fdr_bh"] = "none"
    missing: Literal["pairwise", "listwise"] = "pairwise"
    confidence_level: float = Field(default=0.95, gt=0, lt=1)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    seed: int = Field(default=20240314, ge=0)
    change: list[ChangeTest] = Field(default_factory=list)
    correlations: list[CorrelationFamily] = Field(default_factory=list)
    efficacy: list[EfficacySpec] = Field(default_factory=list)
    partial_correlations: list[PartialCorrelationFamily] = Field(default_factory=list)
    mixed_models: list[MixedModelSpec] = Field(default_factory=list)
    mediation: list[MediationSpec] = Field(default_factory=list)
    facilitator: list[FacilitatorSpec] = Field(default_factory=list)
    sensitivity: bool | SensitivitySpec = False
    bayes_factors: bool | BayesFactorSpec = False
    reliability: bool = True
    multiple_imputation: bool | MultipleImputationSpec = False
    regressions: list[RegressionSpec] = Field(default_factory=list)
    moderation: list[ModerationSpec] = Field(default_factory=list)
    trajectories: list[TrajectorySpec] = Field(default_factory=list)


class Study(_Model):
    """A parsed, cross-checked study file. ``path`` is the study file's own path."""

    study: StudyInfo
    arms: dict[Identifier, ArmInfo]
    timepoints: list[TimepointInfo] = Field(min_length=1)
    data: DataSection
    measures: dict[Identifier, Measure] = Field(min_length=1)
    analysis: AnalysisPlan = Field(default_factory=AnalysisPlan)
    path: Path = Path("study.toml")

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def timepoint_ids(self) -> list[str]:
        return [t.id for t in self.timepoints]

    def timepoint_label(self, timepoint_id: str) -> str:
        for tp in self.timepoints:
            if tp.id == timepoint_id:
                return tp.display
        return "Peak" if timepoint_id == "peak" else timepoint_id

    def resolve(self, relative: str) -> Path:
        """A data path from the study file, relative to the study file's folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.base_dir / candidate


def suggest(name: str, choices: list[str] | set[str]) -> str:
    """' (did you mean X?)' for the closest choice, or ''."""
    match = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.5)
    return f" (did you mean {match[0]}?)" if match else ""


def _check_format(study: Study) -> list[str]:
    """The ``[data]`` keys that each format needs (docs/data-formats.md)."""
    data = study.data
    fmt = data.format
    if fmt == "redcap" and data.redcap is None:
        return [
            'data.redcap: format = "redcap" needs a [data.redcap] table with records = '
            '"records.csv" and dictionary = "dictionary.csv"'
        ]
    if fmt == "wide" and data.file is None:
        return ['data.file: format = "wide" needs file = "trial.sav" (or .dta/.xpt/.csv/.xlsx)']
    if fmt == "sdtm" and data.sdtm is None:
        return ['data.sdtm: format = "sdtm" needs a [data.sdtm] table with qs = "qs.csv"']
    problems = []
    for name in ("redcap", "wide", "sdtm"):
        if getattr(data, name) is not None and fmt != name:
            problems.append(f'data.{name}: only used with format = "{name}" (format is "{fmt}")')
    if data.file is not None and fmt != "wide":
        problems.append(f'data.file: only used with format = "wide" (format is "{fmt}")')
    if fmt != "tidy" and data.responses:
        problems.append(
            f'data.responses: not used with format = "{fmt}"; the item responses come from '
            f"the {fmt} files"
        )
    return problems


def _cross_check(study: Study) -> list[str]:
    problems: list[str] = []
    tp_ids = study.timepoint_ids
    if len(set(tp_ids)) != len(tp_ids):
        dupes = sorted({t for t in tp_ids if tp_ids.count(t) > 1})
        problems.append(f"timepoints: ids must be unique; repeated: {', '.join(dupes)}")
    if "peak" in tp_ids:
        problems.append("timepoints: 'peak' is reserved for derived peaks; rename that timepoint")
    if not study.arms:
        problems.append("arms: declare at least one arm, e.g. [arms] treatment = { label = ... }")
    for mid, measure in study.measures.items():
        for i, tp in enumerate(measure.timepoints):
            if tp not in tp_ids:
                problems.append(
                    f"measures.{mid}.timepoints[{i}]: unknown timepoint {tp!r}{suggest(tp, tp_ids)}; "
                    f"declared timepoints: {', '.join(tp_ids)}"
                )
        if measure.baseline is not None and measure.baseline not in measure.timepoints:
            problems.append(
                f"measures.{mid}.baseline: {measure.baseline!r} must be one of the measure's "
                f"timepoints ({', '.join(measure.timepoints)})"
            )
        if measure.peak is not None and len(measure.timepoints) < 2:
            problems.append(f"measures.{mid}.peak: a peak needs at least two timepoints")
    problems.extend(_check_format(study))
    problems.extend(_check_trajectories(study))
    problems.extend(_check_models(study))
    if study.data.format == "tidy" and not study.data.responses and study.data.scores is None:
        problems.append(
            "data: give the item responses ('responses = \"responses.csv\"') or pre-scored "
            "data ('scores = \"scores.csv\"')"
        )
    return problems


def _check_models(study: Study) -> list[str]:
    """A variable named twice in one regression or moderation model (a predictor listed twice,
    the outcome among the predictors, x = w) would make the model not estimable."""
    problems: list[str] = []
    plan = study.analysis
    for i, reg in enumerate(plan.regressions):
        roles = [("outcome", reg.outcome)] + [
            (f"predictors[{j}]", v) for j, v in enumerate(reg.predictors)
        ]
        problems.extend(_repeated(f"analysis.regressions[{i}]", roles))
    for i, mod in enumerate(plan.moderation):
        roles = [("x", mod.x), ("w", mod.w), ("y", mod.y)] + [
            (f"covariates[{j}]", v) for j, v in enumerate(mod.covariates)
        ]
        problems.extend(_repeated(f"analysis.moderation[{i}]", roles))
    return problems


def _repeated(key: str, roles: list[tuple[str, str]]) -> list[str]:
    first: dict[str, str] = {}
    problems = []
    for role, var in roles:
        if var in first:
            problems.append(
                f"{key}.{role}: {var!r} is already the model's {first[var]}; each variable "
                "may appear once in a model"
            )
        else:
            first[var] = role
    return problems


def trajectory_timepoints(study: Study, spec: TrajectorySpec) -> list[str]:
    """The timepoints of a trajectory, in protocol order (default: all of its measure's)."""
    measure = study.measures.get(spec.measure)
    chosen = (
        spec.timepoints if spec.timepoints is not None else (measure.timepoints if measure else [])
    )
    return [tp for tp in study.timepoint_ids if tp in chosen]


def trajectory_time(study: Study, spec: TrajectorySpec) -> Literal["days", "order"]:
    """``spec.time``, or ``"days"`` when every timepoint of the trajectory has ``days``."""
    if spec.time is not None:
        return spec.time
    days = {t.id: t.days for t in study.timepoints}
    used = trajectory_timepoints(study, spec)
    return "days" if used and all(days.get(tp) is not None for tp in used) else "order"


def _check_trajectories(study: Study) -> list[str]:
    """Measures, timepoints and days of every ``[[analysis.trajectories]]`` entry."""
    problems: list[str] = []
    days = {t.id: t.days for t in study.timepoints}
    for i, spec in enumerate(study.analysis.trajectories):
        key = f"analysis.trajectories[{i}]"
        measure = study.measures.get(spec.measure)
        if measure is None:
            problems.append(
                f"{key}.measure: unknown measure {spec.measure!r}"
                f"{suggest(spec.measure, set(study.measures))}; measures: "
                f"{', '.join(study.measures)}"
            )
            continue
        for j, tp in enumerate(spec.timepoints or []):
            if tp in (spec.timepoints or [])[:j]:
                problems.append(f"{key}.timepoints[{j}]: {tp!r} is listed twice")
            elif tp not in measure.timepoints:
                problems.append(
                    f"{key}.timepoints[{j}]: {tp!r} is not a timepoint of measure "
                    f"{spec.measure!r} ({', '.join(measure.timepoints)})"
                )
        used = trajectory_timepoints(study, spec)
        where = f"{key}.timepoints" if spec.timepoints is not None else f"{key}.measure"
        if len(used) < 3:
            problems.append(
                f"{where}: a trajectory needs at least 3 distinct timepoints of measure "
                f"{spec.measure!r}; got {len(used)} ({', '.join(used) or 'none'}). List three or "
                "more in timepoints, or use [[analysis.change]] for two"
            )
            continue
        if trajectory_time(study, spec) != "days":
            continue
        missing = [tp for tp in used if days[tp] is None]
        if missing:
            problems.append(
                f'{key}.time: time = "days" needs days on every timepoint of the trajectory; '
                f'add days = ... to [[timepoints]] {", ".join(missing)}, or use time = "order"'
            )
            continue
        seen: dict[float, str] = {}
        for tp in used:
            day = float(days[tp])  # type: ignore[arg-type]
            if day in seen:
                problems.append(
                    f"{key}.timepoints: timepoints {seen[day]!r} and {tp!r} have the same "
                    f"days ({day:g}); give each [[timepoints]] its own days, or leave one out"
                )
            seen.setdefault(day, tp)
    return problems


def load_study(path: str | Path) -> Study:
    """Read, validate and cross-check a study file.

    Raises
    ------
    ConfigError
        When the file is missing, not TOML, or not a valid study; the message names the key.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.toml"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: study file not found. Check the path.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the study file is not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the study file ({exc.strerror}).") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    raw["path"] = path
    try:
        study = Study.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_pydantic_error(exc, Study)}") from None
    problems = _cross_check(study)
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return study
