"""Seeded simulation of item-level trial data for any study.

A simulated trial is built in three steps, all driven by one :class:`numpy.random.Generator`
made from a seed (there is no global random state):

1. **Scale scores.** Latent multivariate-normal scores with the requested correlations are
   mapped to each variable's mean and SD and then to the score's grid: a ``sum`` scale of
   integer items takes integer values, a ``mean`` scale of ``k`` items takes multiples of
   ``1/k``; every score stays inside its possible range. For a measure with a peak
   (``peak = "max"`` in the study file) the peak can be generated directly; the sessions are
   then derived so that the peak session equals it and the other is not above it.
2. **Missingness.** Per variable, an exact number of observed scores, an MCAR rate, or a MAR
   rate that depends on another variable.
3. **Items.** Each scale score is decomposed into item responses that reproduce it exactly
   with the scoring key's rule (sum or mean of keyed items), respect every item's range and
   integer steps, and vary from item to item.

The output is the tidy long input format of ``docs/study-file.md`` (``participant_id``, ``timepoint``,
``instrument``, ``item``, ``value``) plus a participants table (``participant_id``, ``arm``,
``facilitator``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from patalliance.derive import parse_variable, variable_name
from patalliance.errors import ConfigError
from patalliance.instruments.key import InstrumentKey
from patalliance.safe_cells import write_csv
from patalliance.study import Study

RESPONSE_COLUMNS = ["participant_id", "timepoint", "instrument", "item", "value"]
PARTICIPANT_COLUMNS = ["participant_id", "arm", "facilitator"]


# --------------------------------------------------------------------------------------------
# Score grids and item decomposition
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreGrid:
    """The values a scale score can take, in integer *units* (the sum of its keyed items).

    ``score = units / divisor``: ``divisor`` is 1 for a ``sum`` scale and the number of items
    for a ``mean`` scale. ``items`` are the scale's (1-based) items; ``item_lo``/``item_hi``
    their ranges.
    """

    instrument: str
    scale: str
    items: tuple[int, ...]
    item_lo: tuple[int, ...]
    item_hi: tuple[int, ...]
    divisor: int

    @property
    def lo_units(self) -> int:
        return sum(self.item_lo)

    @property
    def hi_units(self) -> int:
        return sum(self.item_hi)

    @property
    def lo(self) -> float:
        return self.lo_units / self.divisor

    @property
    def hi(self) -> float:
        return self.hi_units / self.divisor

    @property
    def step(self) -> float:
        return 1.0 / self.divisor

    def to_units(self, score: np.ndarray) -> np.ndarray:
        """Nearest grid point of each score, clipped to the range (NaN stays NaN as -1)."""
        units = np.rint(np.asarray(score, dtype=float) * self.divisor)
        return np.clip(units, self.lo_units, self.hi_units)

    def to_score(self, units: np.ndarray) -> np.ndarray:
        return np.asarray(units, dtype=float) / self.divisor


def _as_int(value: float, what: str) -> int:
    if not float(value).is_integer():
        raise ConfigError(
            f"{what} is {value}; simulation needs integer item ranges. Use a key whose "
            "response_min/response_max (and item_ranges) are whole numbers."
        )
    return int(value)


def score_grid(key: InstrumentKey, scale_id: str, *, aggregate: str | None = None) -> ScoreGrid:
    """The grid of one scale of a scoring key.

    Raises
    ------
    ConfigError
        For an unknown scale, a ``max_of`` scale (not decomposable into items) or non-integer
        item ranges.
    """
    try:
        scale = key.scale(scale_id)
    except KeyError:
        known = ", ".join(s.id for s in key.scales)
        raise ConfigError(
            f"instrument {key.id!r} has no scale {scale_id!r}; its scales are: {known}."
        ) from None
    if scale.max_of:
        raise ConfigError(
            f"scale {key.id}.{scale_id} uses max_of groups; simulating it is not supported."
        )
    agg = key.aggregate_of(scale, aggregate)  # type: ignore[arg-type]
    items = tuple(scale.items)
    lo = tuple(_as_int(key.item_min[i], f"{key.id} item {i} minimum") for i in items)
    hi = tuple(_as_int(key.item_max[i], f"{key.id} item {i} maximum") for i in items)
    return ScoreGrid(key.id, scale_id, items, lo, hi, len(items) if agg == "mean" else 1)


def decompose(
    units: np.ndarray,
    key: InstrumentKey,
    grid: ScoreGrid,
    rng: np.random.Generator,
    *,
    spread: float = 0.18,
) -> np.ndarray:
    """Raw item responses (rows × ``n_items``) whose keyed scale sum equals ``units`` exactly.

    Items of the instrument outside the scale are drawn around the same relative level.
    Reverse-keyed items are written raw (``min + max - keyed``), as the engine expects.
    """
    units = np.asarray(units, dtype=np.int64)
    n = units.shape[0]
    n_items = key.instrument.n_items
    all_lo = np.array([_as_int(key.item_min[i], "item minimum") for i in range(1, n_items + 1)])
    all_hi = np.array([_as_int(key.item_max[i], "item maximum") for i in range(1, n_items + 1)])
    width = all_hi - all_lo
    frac = (units - grid.lo_units) / max(grid.hi_units - grid.lo_units, 1)
    offsets = rng.normal(0.0, spread / 2, size=n_items)  # item "difficulty"
    noise = rng.normal(0.0, spread, size=(n, n_items))
    level = np.clip(frac[:, None] + offsets[None, :] + noise, 0.0, 1.0)
    keyed = np.clip(np.rint(all_lo + level * width), all_lo, all_hi).astype(np.int64)
    cols = np.array(grid.items) - 1
    lo = all_lo[cols]
    hi = all_hi[cols]
    diff = units - keyed[:, cols].sum(axis=1)
    rows = np.arange(n)
    for _ in range(4 * len(cols) * int(np.max(np.abs(diff), initial=0) + 1)):
        if not diff.any():
            break
        sub = keyed[:, cols]
        room = np.where(diff[:, None] > 0, hi - sub, sub - lo)
        pick = np.where(room > 0, rng.random(room.shape), -1.0).argmax(axis=1)
        chosen_room = room[rows, pick]
        step = np.sign(diff) * np.minimum(
            np.abs(diff), np.minimum(chosen_room, 1 + width.max() // 4)
        )
        keyed[rows, cols[pick]] += step
        diff = diff - step
    if diff.any():  # pragma: no cover - only when units lie outside the grid
        raise ValueError("decompose: a score lies outside its scale's range")
    raw = keyed.astype(float)
    for item in key.instrument.reverse_items:
        raw[:, item - 1] = all_lo[item - 1] + all_hi[item - 1] - raw[:, item - 1]
    return raw


# --------------------------------------------------------------------------------------------
# The study design as simulation sees it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One generated variable: a measure's scale at a timepoint (or at its peak)."""

    name: str
    measure: str
    scale: str
    timepoint: str
    grid: ScoreGrid


@dataclass(frozen=True)
class Design:
    """The generated variables of a study: one scale per measure, each timepoint or the peak."""

    study: Study
    keys: Mapping[str, InstrumentKey]
    cells: tuple[Cell, ...]
    peak_measures: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.cells]

    def index(self, name: str) -> int:
        for i, cell in enumerate(self.cells):
            if cell.name == name:
                return i
        raise ConfigError(
            f"unknown variable {name!r}; simulated variables are: {', '.join(self.names)}"
        )


def build_design(
    study: Study, keys: Mapping[str, InstrumentKey], variables: Sequence[str] = ()
) -> Design:
    """Decide which variables to generate from the variables a user refers to.

    A measure is generated on the scale its variables name (``total`` when none is named).
    A peak measure is generated at its peak when any variable names ``@peak``.

    Raises
    ------
    ConfigError
        For malformed names, unknown measures, timepoints or scales, or two scales of one
        measure.
    """
    scale_of: dict[str, str] = {}
    peak: set[str] = set()
    for name in variables:
        try:
            measure, scale, tp = parse_variable(name)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if measure not in study.measures:
            raise ConfigError(
                f"variable {name!r}: unknown measure {measure!r}; the study's measures are: "
                f"{', '.join(study.measures)}."
            )
        m = study.measures[measure]
        if tp == "peak":
            if m.peak is None:
                raise ConfigError(f"variable {name!r}: measure {measure!r} has no peak.")
            if m.peak != "max":
                raise ConfigError(f"variable {name!r}: only peak = 'max' can be simulated.")
            peak.add(measure)
        elif tp not in m.timepoints:
            raise ConfigError(
                f"variable {name!r}: measure {measure!r} is not taken at {tp!r}; its "
                f"timepoints are {', '.join(m.timepoints)}."
            )
        if scale_of.setdefault(measure, scale) != scale:
            raise ConfigError(
                f"variable {name!r}: measure {measure!r} is already simulated on scale "
                f"{scale_of[measure]!r}; one scale per measure can be targeted."
            )
    cells: list[Cell] = []
    for mid, m in study.measures.items():
        key = keys[mid]
        sid = scale_of.get(
            mid, "total" if any(s.id == "total" for s in key.scales) else key.scales[0].id
        )
        grid = score_grid(key, sid, aggregate=m.aggregate)
        tps = ["peak"] if mid in peak else list(m.timepoints)
        cells.extend(Cell(variable_name(mid, sid, tp), mid, sid, tp, grid) for tp in tps)
    return Design(study, keys, tuple(cells), tuple(sorted(peak)))


# --------------------------------------------------------------------------------------------
# Participants, sessions below the peak, and the long response table
# --------------------------------------------------------------------------------------------


def make_participants(
    n_per_arm: Mapping[str, int],
    *,
    n_facilitators: int,
    rng: np.random.Generator,
    id_prefix: str = "P",
) -> pd.DataFrame:
    """``participant_id`` ("P001", ...), ``arm`` (in blocks, arm order) and ``facilitator``."""
    arms = [arm for arm, k in n_per_arm.items() for _ in range(int(k))]
    n = len(arms)
    width = max(3, len(str(n)))
    ids = [f"{id_prefix}{i + 1:0{width}d}" for i in range(n)]
    if n_facilitators < 1:
        raise ConfigError(f"n_facilitators must be at least 1. Got {n_facilitators} instead.")
    fac = np.resize(np.arange(n_facilitators), n)
    rng.shuffle(fac)
    return pd.DataFrame(
        {"participant_id": ids, "arm": arms, "facilitator": [f"F{k + 1}" for k in fac]}
    )


def sessions_from_peak(
    peak_units: np.ndarray,
    grid: ScoreGrid,
    n_sessions: int,
    rng: np.random.Generator,
    *,
    drop_sd: float = 0.12,
) -> np.ndarray:
    """Session scores (rows × sessions, in units) whose maximum is exactly ``peak_units``.

    One session, drawn at random, equals the peak; the others lie below it by a random
    amount (about ``drop_sd`` of the range), never below the scale minimum.
    """
    n = peak_units.shape[0]
    span = grid.hi_units - grid.lo_units
    drops = np.abs(rng.normal(0.0, drop_sd * span, size=(n, n_sessions)))
    out = np.maximum(peak_units[:, None] - np.rint(drops), grid.lo_units)
    which = rng.integers(0, n_sessions, size=n)
    out[np.arange(n), which] = peak_units
    return out.astype(np.int64)


@dataclass(frozen=True)
class Link:
    """For participants of ``arm`` (all when None), ``variable`` repeats ``same_as``."""

    variable: str
    same_as: str
    arm: str | None = None


def assemble(
    design: Design,
    participants: pd.DataFrame,
    units: np.ndarray,
    observed: np.ndarray,
    rng: np.random.Generator,
    *,
    links: Sequence[Link] = (),
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Turn generated cell scores (units; rows = participants) into items and scores.

    Returns the long response table and the scale score of every measure × timepoint on the
    generated scale (NaN when missing), named ``measure.scale@timepoint``.
    """
    study = design.study
    n = len(participants)
    pids = participants["participant_id"].to_numpy(dtype=object)
    arms = participants["arm"].to_numpy(dtype=object)
    items_by_var: dict[str, np.ndarray] = {}
    scores: dict[str, np.ndarray] = {}
    for j, cell in enumerate(design.cells):
        key = design.keys[cell.measure]
        m = study.measures[cell.measure]
        u = units[:, j].astype(np.int64)
        if cell.timepoint == "peak":
            sess = sessions_from_peak(u, cell.grid, len(m.timepoints), rng)
            pairs = [(tp, sess[:, k]) for k, tp in enumerate(m.timepoints)]
        else:
            pairs = [(cell.timepoint, u)]
        for tp, uu in pairs:
            name = variable_name(cell.measure, cell.scale, tp)
            items = decompose(uu, key, cell.grid, rng)
            items[~observed[:, j]] = np.nan
            items_by_var[name] = items
            scores[name] = np.where(observed[:, j], cell.grid.to_score(uu), np.nan)
        if cell.timepoint == "peak":
            scores[cell.name] = np.where(observed[:, j], cell.grid.to_score(u), np.nan)
    for link in links:
        sel = np.ones(n, dtype=bool) if link.arm is None else arms == link.arm
        for name in (link.variable, link.same_as):
            if name not in items_by_var:
                raise ConfigError(f"link: unknown variable {name!r}.")
        items_by_var[link.variable][sel] = items_by_var[link.same_as][sel]
        scores[link.variable][sel] = scores[link.same_as][sel]
    frames = []
    for name, items in items_by_var.items():
        measure, _, tp = parse_variable(name)
        answered = ~np.isnan(items)
        r, c = np.nonzero(answered)
        frames.append(
            pd.DataFrame(
                {
                    "participant_id": pids[r],
                    "timepoint": tp,
                    "instrument": study.measures[measure].instrument,
                    "item": (c + 1).astype(np.int64),
                    "value": items[r, c].astype(np.int64),
                }
            )
        )
    tp_order = {tp: i for i, tp in enumerate(study.timepoint_ids)}
    responses = pd.concat(frames, ignore_index=True)
    responses["_tp"] = responses["timepoint"].map(tp_order)
    responses = (
        responses.sort_values(["participant_id", "_tp", "instrument", "item"], kind="stable")
        .drop(columns="_tp")
        .reset_index(drop=True)
    )
    return responses[RESPONSE_COLUMNS], scores


@dataclass(frozen=True)
class SimulatedTrial:
    """Item-level synthetic trial data in the tidy input format, plus the true scores."""

    responses: pd.DataFrame
    participants: pd.DataFrame
    scores: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The scale scores, one row per participant (``participant_id`` index)."""
        return self.scores

    def write(self, directory: str | Path) -> dict[str, Path]:
        """Write ``responses.csv`` and ``participants.csv`` into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"responses": out / "responses.csv", "participants": out / "participants.csv"}
        write_csv(self.responses, paths["responses"], index=False, lineterminator="\n")
        write_csv(self.participants, paths["participants"], index=False, lineterminator="\n")
        return paths


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missingness:
    """Missing scores of one variable: exactly ``n`` observed, or an MCAR/MAR ``rate``.

    With ``depends_on`` the missingness is MAR: the probability of a missing score rises
    with the (standardized) value of that variable, ``logit p = logit(rate) + strength z``.
    """

    n: int | None = None
    rate: float | None = None
    depends_on: str | None = None
    strength: float = 1.0

    def __post_init__(self) -> None:
        if (self.n is None) == (self.rate is None):
            raise ConfigError("Missingness needs exactly one of 'n' or 'rate'.")
        if self.rate is not None and not 0 <= self.rate < 1:
            raise ConfigError(f"Missingness 'rate' must be in [0, 1). Got {self.rate} instead.")


def exact_correlation_sample(corr: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` × ``p`` normal scores whose *sample* correlation is exactly ``corr`` (n > p)."""
    p = corr.shape[0]
    z = rng.standard_normal((n, p))
    if n <= p + 1:
        return z @ np.linalg.cholesky(corr).T
    z = z - z.mean(axis=0)
    q, _ = np.linalg.qr(z)
    return q @ np.linalg.cholesky(corr).T * math.sqrt(n - 1)


def _default_marginal(grid: ScoreGrid) -> tuple[float, float]:
    return (grid.lo + grid.hi) / 2, (grid.hi - grid.lo) / 6


def simulate_trial(
    study: Study,
    keys: Mapping[str, InstrumentKey],
    *,
    n_per_arm: Mapping[str, int],
    seed: int | np.random.Generator,
    means: Mapping[str, float] | None = None,
    sds: Mapping[str, float] | None = None,
    correlations: Mapping[tuple[str, str], float] | None = None,
    missing: Mapping[str, Missingness] | None = None,
    links: Sequence[Link] = (),
    n_facilitators: int = 5,
) -> SimulatedTrial:
    """Simulate item-level data of a trial with the given score distribution.

    Parameters
    ----------
    study
        The study (arms, timepoints, measures), e.g. from :func:`patalliance.study.load_study`.
    keys
        The scoring key of each measure (:func:`patalliance.instruments.registry.resolve_keys`).
    n_per_arm
        Participants per arm id.
    seed
        Seed of the :class:`numpy.random.Generator` (or a generator); same seed, same data.
    means, sds
        Target mean and SD of scale scores by variable (``measure.scale@timepoint``; a peak
        measure may be given at ``@peak``). Unnamed variables get the middle of their range
        and a sixth of the range.
    correlations
        Target population correlations of pairs of variables; other pairs are 0. The matrix
        must be positive definite.
    missing
        Missingness by variable; others are complete.
    links
        Variables that repeat another variable's responses for an arm.
    n_facilitators
        Facilitator (pair) ids "F1".."Fk" assigned at random, balanced.

    Returns
    -------
    SimulatedTrial
        Responses in the tidy long format, participants, and the true scale scores.

    Raises
    ------
    ConfigError
        For unknown arms or variables, or a correlation matrix that is not positive definite.

    Notes
    -----
    A latent :math:`z \\sim N(0, R)` becomes :math:`x = \\mu + \\sigma z`, rounded to the
    score's grid and clipped to its range. Rounding and clipping attenuate correlations a
    little when the SD is large relative to the range.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    means = dict(means or {})
    sds = dict(sds or {})
    correlations = dict(correlations or {})
    missing = dict(missing or {})
    for arm in n_per_arm:
        if arm not in study.arms:
            raise ConfigError(
                f"n_per_arm: unknown arm {arm!r}; the study's arms are {', '.join(study.arms)}."
            )
    referenced = [*means, *sds, *missing, *(v for pair in correlations for v in pair)]
    referenced += [m.depends_on for m in missing.values() if m.depends_on]
    design = build_design(study, keys, referenced)
    p = len(design.cells)
    corr = np.eye(p)
    for (a, b), r in correlations.items():
        i, j = design.index(a), design.index(b)
        corr[i, j] = corr[j, i] = r
    if np.linalg.eigvalsh(corr).min() <= 1e-10:
        raise ConfigError(
            "correlations: the correlation matrix is not positive definite; some target "
            "correlations contradict each other."
        )
    participants = make_participants(n_per_arm, n_facilitators=n_facilitators, rng=rng)
    n = len(participants)
    z = rng.standard_normal((n, p)) @ np.linalg.cholesky(corr).T
    units = np.empty((n, p), dtype=np.int64)
    for j, cell in enumerate(design.cells):
        mu0, sd0 = _default_marginal(cell.grid)
        mu, sd = means.get(cell.name, mu0), sds.get(cell.name, sd0)
        units[:, j] = cell.grid.to_units(mu + sd * z[:, j])
    observed = np.ones((n, p), dtype=bool)
    for name, spec in missing.items():
        j = design.index(name)
        if spec.n is not None:
            if not 0 <= spec.n <= n:
                raise ConfigError(f"missing[{name!r}].n must be in 0..{n}. Got {spec.n}.")
            drop = rng.choice(n, size=n - spec.n, replace=False)
            observed[drop, j] = False
        else:
            assert spec.rate is not None
            logit = math.log(spec.rate / (1 - spec.rate)) if spec.rate > 0 else -np.inf
            eta = np.full(n, logit)
            if spec.depends_on is not None:
                eta = eta + spec.strength * z[:, design.index(spec.depends_on)]
            observed[:, j] = rng.random(n) >= 1 / (1 + np.exp(-eta))
    responses, scores = assemble(design, participants, units, observed, rng, links=links)
    table = pd.DataFrame(
        scores, index=pd.Index(participants["participant_id"], name="participant_id")
    )
    return SimulatedTrial(responses, participants, table)
