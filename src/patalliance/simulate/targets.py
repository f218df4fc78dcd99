"""Published targets for calibration: reported values, their rounding windows, the targets file.

A reported value (:class:`Reported`: ``"-.65"``, ``".002"``, ``"<.001"``, ``"ns"``) stands for
every unrounded value that rounds to it at the precision it was reported; its
:meth:`~Reported.window` is that open interval, tie-safe. :func:`correlation_window` turns a
reported r and p at n into one window of r (or of ``|r|``). :func:`load_targets` reads a
targets TOML file into :class:`Targets`; the format is documented in
``docs/targets-format.md``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import stats

from patalliance.errors import ConfigError, format_pydantic_error

TIE_MARGIN = 1e-7


class InfeasibleTargetsError(ConfigError):
    """Targets that no data set can meet; ``problems`` lists every reason found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} target problem(s) make calibration impossible:\n{lines}")


# --------------------------------------------------------------------------------------------
# Reported values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """A value as published: ``"-.65"``, ``".002"``, ``"<.001"``, ``"ns"``."""

    text: str
    value: float
    decimals: int
    relation: Literal["=", "<", ">="]

    @classmethod
    def parse(cls, raw: str | float, *, alpha: float = 0.05) -> Reported:
        text = str(raw).strip()
        low = text.lower().replace(" ", "")
        if low in {"ns", "n.s.", "n.s"}:
            return cls(text, alpha, 0, ">=")
        relation: Literal["=", "<", ">="] = "="
        if low.startswith("<"):
            relation, low = "<", low[1:]
        elif low.startswith(">=") or low.startswith(">"):
            relation, low = ">=", low.lstrip(">=")
        elif low.startswith("="):
            low = low[1:]
        try:
            value = float(low)
        except ValueError:
            raise ConfigError(
                f"a reported value must look like '-.65', '.002', '<.001' or 'ns'. Got {raw!r}."
            ) from None
        digits = low.split("e")[0]
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        return cls(text, value, decimals, relation)

    @property
    def half(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals)

    def window(self) -> tuple[float, float]:
        """The open interval of unrounded values consistent with the report (tie-safe)."""
        if self.relation == "<":
            return -math.inf, self.value - TIE_MARGIN
        if self.relation == ">=":
            return self.value + TIE_MARGIN, math.inf
        return self.value - self.half + TIE_MARGIN, self.value + self.half - TIE_MARGIN

    def matches(self, x: float) -> bool:
        lo, hi = self.window()
        return bool(lo < x < hi)


def _r_of_p(p: float, n: int) -> float:
    """|r| whose two-tailed Pearson p at ``n`` is ``p`` (t test with n - 2 df)."""
    if p >= 1:
        return 0.0
    if p <= 0:
        return 1.0
    t = stats.t.isf(p / 2, n - 2)
    return float(t / math.sqrt(t * t + n - 2))


def correlation_window(
    r: Reported | None, p: Reported | None, n: int
) -> tuple[float, float, bool] | None:
    """Window ``(lo, hi, absolute)`` of r (of |r| when ``absolute``) meeting both reports.

    None when the window is empty: the reported r and p cannot hold together at ``n``.
    """
    lo, hi = -1.0, 1.0
    absolute = r is None
    if r is not None:
        lo, hi = r.window()
    if p is not None:
        if n < 3:
            return None
        plo, phi = p.window()
        alo, ahi = _r_of_p(min(phi, 1.0), n), _r_of_p(max(plo, 0.0), n)
        alo, ahi = alo + (TIE_MARGIN if phi < 1 else 0), ahi - (TIE_MARGIN if plo > 0 else 0)
        if absolute:
            lo, hi = alo, ahi
        elif r is not None and r.value < 0:
            lo, hi = max(lo, -ahi), min(hi, -alo)
        else:
            lo, hi = max(lo, alo), min(hi, ahi)
    return (lo, hi, absolute) if lo < hi else None


def _p_corr(r: float, n: int) -> float:
    if n < 3 or abs(r) >= 1:
        return 0.0 if abs(r) >= 1 else 1.0
    t = r * math.sqrt((n - 2) / (1 - r * r))
    return float(2 * stats.t.sf(abs(t), n - 2))


# --------------------------------------------------------------------------------------------
# The targets file
# --------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


ReportedValue = str | float


class DesignSpec(_Model):
    n: dict[str, int]
    facilitators: int = Field(default=5, ge=1)
    id_prefix: str = "P"


class Options(_Model):
    max_iterations: int = Field(default=3_000_000, ge=1)
    time_limit_s: float = Field(default=60.0, gt=0)
    alpha: float = Field(default=0.05, gt=0, lt=1)


class Marginal(_Model):
    variable: str
    mean: float
    sd: float = Field(gt=0)
    arm: str | None = None


class Prior(_Model):
    x: str
    y: str
    r: float = Field(ge=-1, le=1)


class MissingSpec(_Model):
    variable: str
    n: int | None = Field(default=None, ge=0)
    rate: float | None = Field(default=None, ge=0, lt=1)


class LinkSpec(_Model):
    variable: str
    same_as: str
    arm: str | None = None


class DescriptiveTarget(_Model):
    variable: str
    arm: str | None = None
    mean: ReportedValue | None = None
    sd: ReportedValue | None = None
    source: str = ""


class CorrelationTarget(_Model):
    x: str
    y: str
    r: ReportedValue | None = None
    p: ReportedValue | None = None
    n: int | None = Field(default=None, ge=3)
    source: str = ""


class ChangeTarget(_Model):
    from_: str = Field(alias="from")
    to: str
    d_av: ReportedValue | None = None
    p: ReportedValue | None = None
    n: int | None = Field(default=None, ge=2)
    direction: Literal["increase", "decrease"] | None = None
    source: str = ""


class CovariatesSpec(_Model):
    """``[covariates]``: synthetic age, sex and expectancy for the participants file."""

    expectancy_score: str | None = None
    expectancy_r: float = Field(default=0.0, gt=-1, lt=1)
    p_female: float = Field(default=0.67, ge=0, le=1)


class Targets(_Model):
    """A parsed targets file (see ``docs/targets-format.md``)."""

    title: str = ""
    design: DesignSpec
    options: Options = Field(default_factory=Options)
    marginals: list[Marginal] = Field(default_factory=list)
    priors: list[Prior] = Field(default_factory=list)
    missing: list[MissingSpec] = Field(default_factory=list)
    links: list[LinkSpec] = Field(default_factory=list)
    descriptives: list[DescriptiveTarget] = Field(default_factory=list)
    correlations: list[CorrelationTarget] = Field(default_factory=list)
    changes: list[ChangeTarget] = Field(default_factory=list)
    covariates: CovariatesSpec | None = None

    @property
    def n_participants(self) -> int:
        return sum(self.design.n.values())


def load_targets(path: str | Path) -> Targets:
    """Read a targets TOML file.

    Raises
    ------
    ConfigError
        When the file is missing, not TOML, or breaks the format; the message names the key.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: targets file not found. Check the path.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    try:
        return Targets.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_pydantic_error(exc)}") from None
