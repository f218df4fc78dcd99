"""Read a CSV of study-level effects into an :class:`EffectTable`.

One row per study, a ``study`` column, and the columns of exactly one format:

| format | columns |
|---|---|
| ``r`` | ``r``, ``n`` |
| ``effect`` | ``effect``, ``se`` (``n`` optional) |
| ``means`` | ``mean_treatment``, ``sd_treatment``, ``n_treatment``, ``mean_control``, ``sd_control``, ``n_control`` |
| ``change`` | ``mean_change_treatment``, ``sd_change_treatment``, ``n_treatment``, ``mean_change_control``, ``sd_change_control``, ``n_control`` |
| ``prepost`` | ``mean_pre_treatment``, ``sd_pre_treatment``, ``mean_post_treatment``, ``sd_post_treatment``, ``n_treatment``, the same four ``*_control`` columns, ``n_control`` and ``r_prepost`` |

Optional: ``label``, ``subgroup``, ``higher_is_better`` (true/false), and for ``effect`` the
``n``. Other columns are ignored. Every problem is collected before failing; each names the
file, the row (line number, header = line 1) and the column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from patalliance.errors import ConfigError, DataValidationError
from patalliance.pool.effects import GConvention, change_sd, fisher_z, hedges_g
from patalliance.pool.studies import EffectTable, StudyEffect

__all__ = ["FORMATS", "parse_bool", "raise_problems", "read_effects_csv"]

_ARMS = ("treatment", "control")
FORMATS: dict[str, tuple[str, ...]] = {
    "r": ("r", "n"),
    "effect": ("effect", "se"),
    "means": tuple(f"{s}_{a}" for a in _ARMS for s in ("mean", "sd", "n")),
    "change": tuple(c for a in _ARMS for c in (f"mean_change_{a}", f"sd_change_{a}", f"n_{a}")),
    "prepost": (
        *(f"{s}_{a}" for a in _ARMS for s in ("mean_pre", "sd_pre", "mean_post", "sd_post", "n")),
        "r_prepost",
    ),
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_MAX_SHOWN = 8


def parse_bool(text: str) -> bool | None:
    """``true``/``false`` (also 1/0, yes/no), case-insensitive; None when not a boolean.

    >>> parse_bool("FALSE"), parse_bool("1"), parse_bool("maybe")
    (False, True, None)
    """
    t = text.strip().lower()
    return True if t in _TRUE else False if t in _FALSE else None


def raise_problems(source: str, problems: Sequence[str]) -> None:
    """Raise one :class:`DataValidationError` listing the problems (the first few)."""
    if not problems:
        return
    shown = "; ".join(problems[:_MAX_SHOWN])
    more = f"; ... and {len(problems) - _MAX_SHOWN} more" if len(problems) > _MAX_SHOWN else ""
    raise DataValidationError(f"{source}: {len(problems)} problem(s): {shown}{more}.")


def _semicolon_hint(columns: list[str]) -> str:
    return " (the file looks ';'-separated; use commas)" if any(";" in c for c in columns) else ""


def _detect(path: Path, columns: list[str]) -> str:
    complete = [name for name, cols in FORMATS.items() if all(c in columns for c in cols)]
    if "prepost" in complete and "means" in complete:
        complete.remove("means")
    if len(complete) == 1:
        return complete[0]
    if len(complete) > 1:
        raise DataValidationError(
            f"{path}: the columns of more than one format are present "
            f"({', '.join(complete)}); keep the columns of one format only (see docs/pool.md)."
        )
    best = min(FORMATS, key=lambda f: sum(c not in columns for c in FORMATS[f]))
    missing = [c for c in FORMATS[best] if c not in columns]
    hint = _semicolon_hint(columns)
    raise DataValidationError(
        f"{path}: no complete set of effect columns{hint}. Closest format '{best}' lacks "
        f"column(s) {', '.join(missing)}. Formats: "
        + "; ".join(f"{k}: {', '.join(v)}" for k, v in FORMATS.items())
        + "."
    )


def _numbers(
    frame: pd.DataFrame, columns: Sequence[str], problems: list[str]
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for col in columns:
        values = np.full(len(frame), np.nan)
        for i, cell in enumerate(frame[col]):
            text = str(cell).strip()
            line = i + 2
            if text == "":
                problems.append(f"row {line}, column '{col}': empty (a number is required)")
                continue
            try:
                x = float(text)
            except ValueError:
                problems.append(f"row {line}, column '{col}': {text!r} is not a number")
                continue
            if not math.isfinite(x):
                problems.append(f"row {line}, column '{col}': {text!r} is not a finite number")
                continue
            values[i] = x
        out[col] = values
    return out


def _check_ranges(fmt: str, nums: dict[str, np.ndarray], problems: list[str]) -> None:
    def bad(col: str, mask: np.ndarray, what: str) -> None:
        for i in np.flatnonzero(mask):
            problems.append(f"row {i + 2}, column '{col}': {nums[col][i]:g} {what}")

    for col, arr in nums.items():
        ok = np.isfinite(arr)
        if col == "n" or col.startswith("n_"):
            minimum = 4 if fmt == "r" else 2
            bad(col, ok & ((arr < minimum) | (arr != np.round(arr))),
                f"is not a whole number of at least {minimum}")  # fmt: skip
        elif col.startswith("sd") or col == "se":
            bad(col, ok & (arr <= 0), "must be positive")
        elif col == "r":
            bad(col, ok & (np.abs(arr) >= 1), "must be strictly between -1 and 1")
        elif col == "r_prepost":
            bad(col, ok & (np.abs(arr) > 1), "must be between -1 and 1")


def _effects(
    fmt: str, nums: dict[str, np.ndarray], convention: GConvention
) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    if fmt == "r":
        es = fisher_z(nums["r"], nums["n"])
        return "r", es.effect, es.se, es.n
    if fmt == "effect":
        n = nums.get("n", np.full(len(nums["effect"]), np.nan))
        return "generic", nums["effect"], nums["se"], n
    if fmt == "means":
        mt, st, mc, sc = (nums[f"{s}_{a}"] for a in _ARMS for s in ("mean", "sd"))
    elif fmt == "change":
        mt, st, mc, sc = (nums[f"{s}_{a}"] for a in _ARMS for s in ("mean_change", "sd_change"))
    else:
        r = nums["r_prepost"]
        mt = nums["mean_post_treatment"] - nums["mean_pre_treatment"]
        mc = nums["mean_post_control"] - nums["mean_pre_control"]
        st = change_sd(nums["sd_pre_treatment"], nums["sd_post_treatment"], r)
        sc = change_sd(nums["sd_pre_control"], nums["sd_post_control"], r)
    es = hedges_g(mt, st, nums["n_treatment"], mc, sc, nums["n_control"], convention=convention)
    return "g", es.effect, es.se, es.n


def _texts(frame: pd.DataFrame, col: str) -> list[str]:
    return [str(v).strip() for v in frame[col]] if col in frame.columns else [""] * len(frame)


def _orientation(frame: pd.DataFrame, default: bool, problems: list[str]) -> list[bool]:
    out = []
    for i, text in enumerate(_texts(frame, "higher_is_better")):
        value = parse_bool(text) if text else default
        if value is None:
            problems.append(
                f"row {i + 2}, column 'higher_is_better': {text!r} is not true or false"
            )
            value = default
        out.append(value)
    return out


def _study_ids(frame: pd.DataFrame, problems: list[str]) -> list[str]:
    ids = _texts(frame, "study")
    seen: dict[str, int] = {}
    for i, sid in enumerate(ids):
        if not sid:
            problems.append(f"row {i + 2}, column 'study': empty (every row needs a study id)")
        elif sid in seen:
            problems.append(
                f"row {i + 2}, column 'study': {sid!r} repeats row {seen[sid]}; give one "
                "comparison per study (combine arms first, see docs/pool.md)"
            )
        else:
            seen[sid] = i + 2
    return ids


def read_effects_csv(
    path: str | Path,
    *,
    g_convention: GConvention = "exact",
    higher_is_better: bool = True,
    min_studies: int = 2,
) -> EffectTable:
    """Read a CSV of study-level effects (format detected from the columns).

    Parameters
    ----------
    path : str or Path
        The CSV file (comma-separated, UTF-8, header in line 1).
    g_convention : {"exact", "metapsy"}, keyword-only
        How Hedges' g and its SE are computed from means and SDs (see
        :func:`patalliance.pool.effects.hedges_g`).
    higher_is_better : bool, keyword-only
        Orientation of rows without a ``higher_is_better`` cell: when False, effects are
        sign-flipped so that a positive pooled effect means a better outcome.
    min_studies : int, keyword-only
        Fewer rows is an error (default 2).

    Returns
    -------
    EffectTable

    Raises
    ------
    ConfigError
        The file is missing or unreadable (exit code 2).
    DataValidationError
        Missing columns, non-numeric or out-of-range cells, repeated study ids, or fewer than
        ``min_studies`` studies; the message names the file, rows and columns (exit code 1).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(f"{path}: not a readable CSV file ({exc}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if "study" not in frame.columns:
        hint = _semicolon_hint(list(frame.columns))
        raise DataValidationError(f"{path}: required column 'study' is missing{hint}.")
    fmt = _detect(path, list(frame.columns))
    problems: list[str] = []
    ids = _study_ids(frame, problems)
    cols = [*FORMATS[fmt], *(["n"] if fmt == "effect" and "n" in frame.columns else [])]
    nums = _numbers(frame, cols, problems)
    _check_ranges(fmt, nums, problems)
    orient = _orientation(frame, higher_is_better, problems)
    raise_problems(str(path), problems)
    if len(frame) < min_studies:
        raise DataValidationError(
            f"{path}: fewer than {min_studies} studies (k = {len(frame)}); pooling needs at "
            f"least {min_studies}."
        )
    measure, y, se, n = _effects(fmt, nums, g_convention)
    for i in np.flatnonzero(~(np.isfinite(y) & np.isfinite(se) & (se > 0))):
        problems.append(
            f"row {i + 2}: the effect or its SE cannot be computed from "
            f"{', '.join(FORMATS[fmt])} (a zero change-score SD?)"
        )
    raise_problems(str(path), problems)
    labels, groups = _texts(frame, "label"), _texts(frame, "subgroup")
    studies = tuple(
        StudyEffect(
            study=ids[i],
            label=labels[i] or ids[i],
            subgroup=groups[i],
            effect=float(y[i]) if orient[i] else -float(y[i]),
            se=float(se[i]),
            n=float(n[i]),
            higher_is_better=orient[i],
            source=f"{path.name}, row {i + 2}",
        )
        for i in range(len(frame))
    )
    return EffectTable(
        measure,
        studies,
        convention=g_convention if measure == "g" else "",
        outcome=f"{fmt} columns of {path.name}",
        source=str(path),
        files=(str(path),),
    )
