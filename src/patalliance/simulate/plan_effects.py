"""Planned effects of ``power plan``: the ``--effect``/``--primary`` flags and the primary tests.

A *planned effect* is a population correlation the user expects for one test of the plan
(``--effect X,Y=R`` or a ``[[pairs]]`` entry of the effects file). The *primary* tests, those
the study is powered for, are the ones the user marks (``--effect``, ``--primary X,Y``, or
``primary = true`` in the file); docs/power.md gives the rules when none is marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from patalliance.errors import ConfigError

__all__ = ["find_tests", "parse_effect_flag", "parse_primary_flag", "pilot_significant"]

_EFFECT_FORMAT = "X,Y=R, e.g. alliance.total@prep,depression.total@fu4w=-0.4"


def parse_effect_flag(text: str) -> tuple[str, str, float]:
    """``"X,Y=R"`` -> ``(X, Y, R)``; a ConfigError naming ``--effect`` when malformed."""
    pair, sep, value = text.partition("=")
    names = [v.strip() for v in pair.split(",")]
    if not sep or len(names) != 2 or not all(names):
        raise ConfigError(f"--effect {text!r}: expected {_EFFECT_FORMAT}.")
    try:
        r = float(value)
    except ValueError:
        raise ConfigError(
            f"--effect {text!r}: the correlation after '=' must be a number in (-1, 1). "
            f"Got {value.strip()!r}."
        ) from None
    if not (math.isfinite(r) and -1.0 < r < 1.0):
        raise ConfigError(f"--effect {text!r}: the correlation must be in (-1, 1). Got {r}.")
    return names[0], names[1], r


def parse_primary_flag(text: str) -> tuple[str, str]:
    """``"X,Y"`` -> ``(X, Y)``; a ConfigError naming ``--primary`` when malformed."""
    names = [v.strip() for v in text.split(",")]
    if len(names) != 2 or not all(names):
        raise ConfigError(
            f"--primary {text!r}: expected X,Y, two variables of a planned test, e.g. "
            "alliance.total@prep,depression.total@fu4w."
        )
    return names[0], names[1]


def find_tests(tests: Sequence[tuple[str, str, str]], x: str, y: str, where: str) -> list[int]:
    """Indices of the plan's tests between x and y (either order); a ConfigError if none."""
    found = [i for i, (_, a, b) in enumerate(tests) if {a, b} == {x, y}]
    if not found:
        listed = "; ".join(f"{a},{b}" for _, a, b in tests)
        raise ConfigError(
            f"{where}: {x} × {y} is not a test of the plan. Name two variables of one "
            f"[[analysis.correlations]] test; the plan's tests are: {listed}."
        )
    return found


def pilot_significant(
    tests: Sequence[tuple[str, str, str]],
    p: np.ndarray,
    index: Mapping[str, int],
    *,
    adjust: str,
    alpha: float,
) -> tuple[int, ...]:
    """Tests significant in the pilot data, with the plan's adjustment within each family."""
    from patalliance.stats.multiplicity import adjust_pvalues

    raw = np.array([p[index[x], index[y]] for _, x, y in tests], dtype=float)
    adjusted = np.full_like(raw, np.nan)
    for family in dict.fromkeys(t[0] for t in tests):
        members = [i for i, t in enumerate(tests) if t[0] == family]
        values = raw[members]
        ok = ~np.isnan(values)
        if ok.any():
            adjusted[np.array(members)[ok]] = adjust_pvalues(values[ok], method=adjust)  # type: ignore[arg-type]
    return tuple(i for i in range(len(tests)) if adjusted[i] < alpha)
