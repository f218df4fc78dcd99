"""``pool.toml``: which result of several trials' ``results.json`` to pool, and how.

See ``docs/pool.md`` for the format. :func:`load_plan` reads and validates the file;
:func:`read_results_inputs` picks the named result from each ``results.json`` (schema
``patalliance.results/1``) into an :class:`EffectTable`.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from patalliance.errors import ConfigError, DataValidationError, format_pydantic_error
from patalliance.pool.analysis import Benchmark
from patalliance.pool.effects import fisher_z, hedges_g
from patalliance.pool.inputs import raise_problems
from patalliance.pool.studies import EffectTable, StudyEffect

__all__ = ["InputSpec", "PoolPlan", "PoolSection", "load_plan", "read_results_inputs"]

RESULTS_SCHEMA = "patalliance.results/1"


class _Strict(BaseModel):
    """Unknown keys are errors, and types are strict (no bool or text as a number)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class BenchmarkSpec(_Strict):
    """``[benchmark]``: a published estimate shown beside the result (never pooled)."""

    label: str
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float = Field(0.95, gt=0, lt=1)
    citation: str
    doi: str = ""
    note: str = ""

    def build(self) -> Benchmark:
        return Benchmark(**self.model_dump())


class InputSpec(_Strict):
    """``[[inputs]]``: one trial's results.json and its mapping."""

    file: str
    study: str | None = None
    label: str | None = None
    subgroup: str = ""
    x: str | None = None
    y: str | None = None
    family: str | None = None
    variable: str | None = None
    higher_is_better: bool | None = None


class PoolSection(_Strict):
    """``[pool]``: what to pool and the options."""

    title: str = "Pooled analysis"
    description: str = ""
    result: Literal["correlation", "efficacy"] = "correlation"
    x: str | None = None
    y: str | None = None
    family: str | None = None
    variable: str | None = None
    higher_is_better: bool = True
    method: Literal["REML", "DL", "PM"] = "REML"
    hksj: bool = False
    confidence_level: float = Field(0.95, gt=0, lt=1)
    g_convention: Literal["exact", "metapsy"] = "exact"


class PoolPlan(_Strict):
    """The whole ``pool.toml``; ``base_dir`` is the folder paths are relative to."""

    pool: PoolSection = PoolSection()
    benchmark: BenchmarkSpec | None = None
    inputs: tuple[InputSpec, ...] = Field(default=(), strict=False)  # a TOML array
    base_dir: Path = Field(default=Path("."), exclude=True)


def load_plan(path: str | Path) -> PoolPlan:
    """Read and validate ``pool.toml``.

    Raises
    ------
    ConfigError
        A missing file, invalid TOML, an unknown key or a bad value (exit code 2); the message
        names the file and the key.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such plan file.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    try:
        return PoolPlan(**raw, base_dir=path.resolve().parent)
    except ValidationError as exc:
        msg = format_pydantic_error(exc, PoolPlan)
        raise ConfigError(f"{path}: {msg}{'' if msg.endswith('?') else '.'}") from None
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}.") from None


def _load_results(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such results file.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: not valid JSON ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("schema") != RESULTS_SCHEMA:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise DataValidationError(
            f"{path}: not a patalliance results file (schema {got!r}, expected "
            f"{RESULTS_SCHEMA!r}); give the results.json written by 'patalliance analyze'."
        )
    return doc


def _correlation(
    doc: dict[str, Any], x: str, y: str, family: str | None
) -> tuple[float, float] | str:
    rows = [
        c
        for c in doc.get("correlations", [])
        if c.get("x") == x and c.get("y") == y and (family is None or c.get("family") == family)
    ]
    if not rows:
        pairs = sorted({f"{c.get('x')} × {c.get('y')}" for c in doc.get("correlations", [])})
        return f"no correlation {x} × {y} in 'correlations' (available: {', '.join(pairs)})"
    if len(rows) > 1:
        fams = ", ".join(str(c.get("family")) for c in rows)
        return f"{x} × {y} appears in several families ({fams}); set 'family'"
    r, n = rows[0].get("r"), rows[0].get("n")
    if r is None or n is None or n < 4 or abs(r) >= 1:
        return f"correlation {x} × {y} has r = {r}, n = {n}; pooling needs |r| < 1 and n >= 4"
    return float(r), float(n)


def _efficacy(doc: dict[str, Any], variable: str) -> dict[str, Any] | str:
    found = [
        c
        for block in doc.get("efficacy", [])
        for c in block.get("comparisons", [])
        if c.get("variable") == variable
    ]
    if len(found) != 1:
        what = "no" if not found else "more than one"
        return f"{what} efficacy comparison for {variable} in 'efficacy'"
    needed = ("mean_treatment", "sd_treatment", "n_treatment", "mean_control", "sd_control")
    if any(found[0].get(k) is None for k in (*needed, "n_control")):
        return f"efficacy comparison for {variable} lacks means, SDs or ns"
    return found[0]


def _one_input(
    path: Path, spec: InputSpec, section: PoolSection, problems: list[str]
) -> StudyEffect | None:
    doc = _load_results(path)
    study = doc.get("study", {}) or {}
    sid = spec.study or str(study.get("id") or path.parent.name)
    hib = section.higher_is_better if spec.higher_is_better is None else spec.higher_is_better
    if section.result == "correlation":
        x, y = spec.x or section.x, spec.y or section.y
        if not x or not y:
            problems.append(f"{path}: no 'x' and 'y' to pool (set them in [pool] or [[inputs]])")
            return None
        got = _correlation(doc, x, y, spec.family or section.family)
        if isinstance(got, str):
            problems.append(f"{path}: {got}")
            return None
        es = fisher_z(got[0], got[1])
        where = f"{path.name}: correlations {x} × {y}"
    else:
        variable = spec.variable or section.variable
        if not variable:
            problems.append(f"{path}: no 'variable' to pool (set it in [pool] or [[inputs]])")
            return None
        comp = _efficacy(doc, variable)
        if isinstance(comp, str):
            problems.append(f"{path}: {comp}")
            return None
        es = hedges_g(
            *(comp[k] for k in ("mean_treatment", "sd_treatment", "n_treatment")),
            *(comp[k] for k in ("mean_control", "sd_control", "n_control")),
            convention=section.g_convention,
        )
        where = f"{path.name}: efficacy {variable}"
    effect, se = float(es.effect[0]), float(es.se[0])
    if not (math.isfinite(effect) and math.isfinite(se) and se > 0):
        problems.append(f"{path}: the effect or its SE cannot be computed ({where})")
        return None
    return StudyEffect(
        study=sid,
        label=spec.label or sid,
        subgroup=spec.subgroup,
        effect=effect if hib else -effect,
        se=se,
        n=float(es.n[0]),
        higher_is_better=hib,
        source=where,
    )


def read_results_inputs(
    paths: Sequence[str | Path], plan: PoolPlan, *, min_studies: int = 2
) -> EffectTable:
    """Pick the result named in ``plan`` from each trial's ``results.json``.

    Parameters
    ----------
    paths : sequence of path
        The results files; when empty, the plan's ``[[inputs]]`` files are used. A file that
        matches an ``[[inputs]]`` entry (same resolved path) takes its mapping.
    plan : PoolPlan
        From :func:`load_plan`.
    min_studies : int, keyword-only
        Fewer studies is an error (default 2).

    Returns
    -------
    EffectTable
        ``measure = "r"`` for correlations (on Fisher's z), ``"g"`` for efficacy comparisons.

    Raises
    ------
    ConfigError
        A missing file or no inputs at all (exit code 2).
    DataValidationError
        A file that is not a results file, a result that is absent or not estimable, repeated
        study ids, or fewer than ``min_studies`` studies (exit code 1).
    """
    specs = {(plan.base_dir / s.file).resolve(): s for s in plan.inputs}
    chosen = [Path(p) for p in paths] or [plan.base_dir / s.file for s in plan.inputs]
    if not chosen:
        raise ConfigError("no inputs: give results.json files or [[inputs]] in the plan.")
    problems: list[str] = []
    studies = []
    for path in chosen:
        spec = specs.get(path.resolve(), InputSpec(file=str(path)))
        one = _one_input(path, spec, plan.pool, problems)
        if one is not None:
            studies.append(one)
    seen: set[str] = set()
    for s in studies:
        if s.study in seen:
            problems.append(f"study id {s.study!r} repeats; set a distinct 'study' per input")
        seen.add(s.study)
    raise_problems("results inputs", problems)
    if len(studies) < min_studies:
        raise DataValidationError(
            f"fewer than {min_studies} studies (k = {len(studies)}); pooling needs at least "
            f"{min_studies} results files."
        )
    section = plan.pool
    outcome = (
        f"{section.x} × {section.y}" if section.result == "correlation" else str(section.variable)
    )
    return EffectTable(
        "r" if section.result == "correlation" else "g",
        tuple(studies),
        convention=section.g_convention if section.result == "efficacy" else "",
        outcome=outcome,
        source=", ".join(str(p) for p in chosen),
        files=tuple(str(p) for p in chosen),
    )
