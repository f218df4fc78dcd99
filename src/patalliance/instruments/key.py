"""Instrument scoring keys: the TOML data model and its loader.

A scoring key is *data*: one TOML file per instrument. This module defines what such a file
may contain (as pydantic models) and loads it, turning every problem into a
:class:`KeyError_`-style :class:`~patalliance.errors.ConfigError` that names the file and the
key path. The format is documented in ``docs/instrument-keys.md``.
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)

from patalliance.errors import ConfigError, format_pydantic_error

Aggregate = Literal["sum", "mean"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemRange(_Strict):
    """Response range of a group of items that differs from the instrument's default."""

    items: list[int]
    min: float
    max: float


class MaxOfGroup(_Strict):
    """A special rule: these items enter the scale as one component, their maximum.

    Used by the QIDS-SR16 (Rush et al. 2003), whose sleep, appetite/weight and psychomotor
    domains each count once, as the highest of their items.

    ``min_present`` is how many of the group's items must be answered for the component to
    exist: a number from 1 to the number of items, or ``"all"``. With fewer answered items
    the component is missing (and the scale's ``max_missing`` rule decides what follows).
    The default, 1, takes the maximum of whichever items are answered.
    """

    items: list[int]
    label: str = ""
    min_present: StrictInt | Literal["all"] = 1

    @model_validator(mode="after")
    def _check_min_present(self) -> MaxOfGroup:
        if isinstance(self.min_present, int) and not 1 <= self.min_present <= len(self.items):
            raise ValueError(
                f"max_of group {self.label or self.items}: min_present must be 'all' or a "
                f"whole number from 1 to {len(self.items)} (its number of items); got "
                f"{self.min_present}"
            )
        return self

    @property
    def required(self) -> int:
        """How many answered items the component needs (``min_present`` as a number)."""
        return len(self.items) if self.min_present == "all" else int(self.min_present)


class Scale(_Strict):
    """One scale (subscale or total) of an instrument."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    items: list[int]
    aggregate: Aggregate | None = None
    max_missing: int = Field(default=0, ge=0)
    max_of: list[MaxOfGroup] = Field(default_factory=list)
    percent_of_max: bool = False
    verified: bool = True
    note: str = ""


class Band(_Strict):
    label: str
    min: float
    max: float


class Classification(_Strict):
    """A derived classification of scale scores.

    ``kind = "bands"``: a severity band of one scale (``scale``, ``bands``).
    ``kind = "all_at_least_pct"``: 1 when every scale in ``scales`` reaches ``threshold_pct``
    percent of its maximum, else 0 (e.g. MEQ-30 "complete mystical experience").
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    kind: Literal["bands", "all_at_least_pct"]
    scale: str | None = None
    scales: list[str] = Field(default_factory=list)
    bands: list[Band] = Field(default_factory=list)
    threshold_pct: float | None = None
    source: str = ""

    @model_validator(mode="after")
    def _check_kind(self) -> Classification:
        if self.kind == "bands" and (self.scale is None or not self.bands):
            raise ValueError("a 'bands' classification needs 'scale' and 'bands'")
        if self.kind == "all_at_least_pct" and (not self.scales or self.threshold_pct is None):
            raise ValueError(
                "an 'all_at_least_pct' classification needs 'scales' and 'threshold_pct'"
            )
        return self


class OutcomeRule(_Strict):
    """Response and remission for a symptom scale, relative to the measure's baseline.

    Response: a reduction from baseline of at least ``response_reduction_pct`` percent.
    Remission: a score of at most ``remission_max``; when ``remission_requires_response`` is
    true it also needs a response (GRID-HAMD-17 in Davis et al. 2021), when false the
    threshold alone decides (QIDS-SR16 in STAR*D, Rush et al. 2006). The field has no
    default: every key states which definition its source uses.
    """

    scale: str
    response_reduction_pct: float = Field(gt=0, le=100)
    remission_max: float
    remission_requires_response: StrictBool
    source: str


class InstrumentInfo(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    abbreviation: str
    citation: str
    doi: str = ""
    verified: bool
    verification_note: str = ""
    n_items: int = Field(gt=0)
    response_min: float
    response_max: float
    integer: bool = True
    reverse_items: list[int] = Field(default_factory=list)
    aggregate: Aggregate
    item_ranges: list[ItemRange] = Field(default_factory=list)
    #: Response labels ("1" = "never", ...), optional: value labels of the SPSS/Stata exports.
    anchors: dict[str, str] = Field(default_factory=dict)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class InstrumentKey(_Strict):
    """A complete scoring key: instrument facts, scales and classifications."""

    instrument: InstrumentInfo
    scales: list[Scale]
    classifications: list[Classification] = Field(default_factory=list)
    outcome: OutcomeRule | None = None
    source_path: str = ""

    @model_validator(mode="after")
    def _check_consistency(self) -> InstrumentKey:
        info = self.instrument
        valid = set(range(1, info.n_items + 1))
        problems: list[str] = []
        if info.response_min >= info.response_max:
            problems.append("instrument.response_min must be below instrument.response_max")
        for item in info.reverse_items:
            if item not in valid:
                problems.append(
                    f"instrument.reverse_items has item {item}, outside 1..{info.n_items}"
                )
        for group in info.item_ranges:
            for item in group.items:
                if item not in valid:
                    problems.append(
                        f"instrument.item_ranges has item {item}, outside 1..{info.n_items}"
                    )
        for code in info.anchors:
            if _number(code) is None or not info.response_min <= float(code) <= info.response_max:
                problems.append(
                    f"instrument.anchors has {code!r}, which is not a response code between "
                    f"{info.response_min:g} and {info.response_max:g}"
                )
        seen: set[str] = set()
        for scale in self.scales:
            if scale.id in seen:
                problems.append(f"scale id {scale.id!r} is defined twice")
            seen.add(scale.id)
            for item in scale.items:
                if item not in valid:
                    problems.append(
                        f"scale {scale.id!r} has item {item}, outside 1..{info.n_items}"
                    )
            for max_group in scale.max_of:
                missing = set(max_group.items) - set(scale.items)
                if missing:
                    problems.append(
                        f"scale {scale.id!r}: max_of items {sorted(missing)} are not in its items"
                    )
            if scale.max_missing >= max(len(scale.items), 1):
                problems.append(
                    f"scale {scale.id!r}: max_missing ({scale.max_missing}) must be below "
                    f"its number of items ({len(scale.items)})"
                )
        for cls in self.classifications:
            for ref in [cls.scale, *cls.scales]:
                if ref is not None and ref not in seen:
                    problems.append(f"classification {cls.id!r} refers to unknown scale {ref!r}")
        if self.outcome is not None and self.outcome.scale not in seen:
            problems.append(f"outcome refers to unknown scale {self.outcome.scale!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def id(self) -> str:
        return self.instrument.id

    @cached_property
    def item_min(self) -> dict[int, float]:
        lo = {i: self.instrument.response_min for i in range(1, self.instrument.n_items + 1)}
        for group in self.instrument.item_ranges:
            for item in group.items:
                lo[item] = group.min
        return lo

    @cached_property
    def item_max(self) -> dict[int, float]:
        hi = {i: self.instrument.response_max for i in range(1, self.instrument.n_items + 1)}
        for group in self.instrument.item_ranges:
            for item in group.items:
                hi[item] = group.max
        return hi

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    def aggregate_of(self, scale: Scale, override: Aggregate | None = None) -> Aggregate:
        if override is not None:
            return override
        return scale.aggregate or self.instrument.aggregate

    @property
    def verified_everywhere(self) -> bool:
        return self.instrument.verified and all(s.verified for s in self.scales)


def load_key(path: Path) -> InstrumentKey:
    """Read one scoring key from a TOML file.

    Raises
    ------
    ConfigError
        When the file is missing, is not valid TOML, or breaks the key format; the message
        names the file and the key path.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: scoring key file not found.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text ({exc.reason}); save the key as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    raw["source_path"] = str(path)
    try:
        return InstrumentKey.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid scoring key: {format_pydantic_error(exc)}") from None


BUILTIN_KEY_DIR = Path(__file__).parent / "keys"


def builtin_keys() -> dict[str, InstrumentKey]:
    """All scoring keys shipped with patalliance, by instrument id."""
    keys: dict[str, InstrumentKey] = {}
    for path in sorted(BUILTIN_KEY_DIR.glob("*.toml")):
        key = load_key(path)
        keys[key.id] = key
    return keys
