"""Argument checks shared by the functions of :mod:`patalliance.stats`.

Every check raises ``ValueError`` with the scikit-learn style message: which parameter of
which function, what it must be, and what was received.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray


def check_confidence_level(value: object, func: str) -> float:
    """``value`` as a float in (0, 1), or ValueError naming ``func``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.floating | np.integer)
        or not 0.0 < float(value) < 1.0
    ):
        raise ValueError(
            f"The 'confidence_level' parameter of {func} must be a float in the open interval "
            f"(0, 1), such as 0.95. Got {value!r} instead."
        )
    return float(value)


def check_choice(value: object, name: str, func: str, choices: Sequence[str]) -> str:
    """``value`` when it is one of ``choices``, or ValueError naming the parameter."""
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(
            f"The '{name}' parameter of {func} must be one of {allowed}. Got {value!r} instead."
        )
    return value


def as_matrix(a: ArrayLike, name: str, func: str) -> tuple[NDArray[np.float64], list[str]]:
    """A float (n_obs, p) copy of ``a`` (1-D becomes one column) and its column labels."""
    labels: list[str] | None = None
    if isinstance(a, pd.DataFrame):
        labels = [str(c) for c in a.columns]
    elif isinstance(a, pd.Series) and a.name is not None:
        labels = [str(a.name)]
    try:
        arr = np.array(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The '{name}' parameter of {func} must be a numeric array of shape (n_obs,) or "
            f"(n_obs, n_variables), with NaN for missing values. Got {type(a).__name__} with "
            "non-numeric entries instead."
        ) from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a numeric array of shape (n_obs,) or "
            f"(n_obs, n_variables). Got an array with shape {arr.shape} instead."
        )
    if np.isinf(arr).any():
        raise ValueError(
            f"The '{name}' parameter of {func} must contain only finite numbers or NaN for "
            "missing values. Got infinite values instead; replace them with NaN."
        )
    if labels is None:
        labels = [f"{name}{j}" for j in range(arr.shape[1])]
    return arr, labels


def as_vector(a: ArrayLike, name: str, func: str) -> NDArray[np.float64]:
    """A float 1-D copy of ``a``, or ValueError when it has several columns."""
    arr, _ = as_matrix(a, name, func)
    if arr.shape[1] != 1:
        raise ValueError(
            f"The '{name}' parameter of {func} must be one-dimensional, shape (n_obs,). Got an "
            f"array with {arr.shape[1]} columns instead; use correlate for several variables."
        )
    return arr[:, 0]
