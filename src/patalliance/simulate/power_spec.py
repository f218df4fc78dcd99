"""The plan of a Monte Carlo power simulation: population correlations, tests, dropout.

:class:`PlanSpec` is validated when it is made, so the simulation can trust it; every error
names the parameter, what it must be and what it got. Re-exported by
:mod:`patalliance.simulate.power`; import it from there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from patalliance.simulate._power_engine import CompiledPlan
from patalliance.stats.multiplicity import ADJUST_METHODS


@dataclass(frozen=True, eq=False)
class PlanSpec:
    """A plan of two-sided Pearson tests on multivariate-normal data, for Monte Carlo power.

    Parameters
    ----------
    variables : tuple of str
        Variable names, in the order of the rows and columns of ``corr``.
    corr : numpy.ndarray
        Population correlation matrix, ``(k, k)``, symmetric, unit diagonal, positive
        definite.
    tests : tuple of (family, x, y)
        The Pearson tests; ``x`` and ``y`` are names from ``variables``. p-values are adjusted
        within each family.
    primary : tuple of int, default ()
        Indices into ``tests`` of the primary tests; empty means all tests.
    missing : mapping of str to float, default {}
        Per-variable MCAR missingness (dropout) rate in [0, 1); absent variables are complete.
    adjust : {"none", "holm", "fdr_bh"}, default "none"
        Multiplicity adjustment within each family.
    alpha : float, default 0.05
        Two-sided significance level applied to the (adjusted) p-values.

    Raises
    ------
    ValueError
        If a field is invalid; the message names the field, the allowed values and what was
        received. A correlation matrix that is not positive definite is reported with its
        smallest eigenvalue.

    Examples
    --------
    >>> import numpy as np
    >>> spec = PlanSpec(
    ...     variables=("alliance", "depression"),
    ...     corr=np.array([[1.0, -0.5], [-0.5, 1.0]]),
    ...     tests=(("outcome", "alliance", "depression"),),
    ... )
    >>> spec.families
    ('outcome',)
    """

    variables: tuple[str, ...]
    corr: np.ndarray
    tests: tuple[tuple[str, str, str], ...]
    primary: tuple[int, ...] = ()
    missing: Mapping[str, float] = field(default_factory=dict)
    adjust: str = "none"
    alpha: float = 0.05

    def __post_init__(self) -> None:
        variables = _checked_variables(self.variables)
        corr = _checked_corr(self.corr, len(variables))
        tests = _checked_tests(self.tests, variables)
        primary = _checked_primary(self.primary, len(tests))
        missing = _checked_missing(self.missing, variables)
        if self.adjust not in ADJUST_METHODS:
            raise ValueError(
                "The 'adjust' parameter of PlanSpec must be one of "
                f"{', '.join(repr(m) for m in ADJUST_METHODS)}. Got {self.adjust!r} instead."
            )
        if not 0.0 < float(self.alpha) < 1.0:
            raise ValueError(
                f"The 'alpha' parameter of PlanSpec must be in (0, 1). Got {self.alpha!r} instead."
            )
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "corr", corr)
        object.__setattr__(self, "tests", tuple(tests))
        object.__setattr__(self, "primary", primary or tuple(range(len(tests))))
        object.__setattr__(self, "missing", MappingProxyType(missing))
        object.__setattr__(self, "alpha", float(self.alpha))

    @property
    def families(self) -> tuple[str, ...]:
        """Family names, in order of first appearance in ``tests``."""
        return tuple(dict.fromkeys(t[0] for t in self.tests))

    def _compile(self) -> CompiledPlan:
        index = {v: i for i, v in enumerate(self.variables)}
        fams = self.families
        return CompiledPlan(
            chol=np.linalg.cholesky(self.corr),
            xi=np.array([index[t[1]] for t in self.tests], dtype=np.intp),
            yi=np.array([index[t[2]] for t in self.tests], dtype=np.intp),
            miss=np.array([self.missing.get(v, 0.0) for v in self.variables]),
            families=tuple(
                np.array([i for i, t in enumerate(self.tests) if t[0] == f], dtype=np.intp)
                for f in fams
            ),
            primary=np.array(self.primary, dtype=np.intp),
            adjust=self.adjust,
            alpha=self.alpha,
        )


def _checked_variables(raw: Sequence[str]) -> tuple[str, ...]:
    variables = tuple(str(v) for v in raw)
    if len(variables) < 2 or len(set(variables)) != len(variables):
        raise ValueError(
            "The 'variables' parameter of PlanSpec must hold at least two distinct names. "
            f"Got {raw!r} instead."
        )
    return variables


def _checked_corr(raw: np.ndarray, k: int) -> np.ndarray:
    """A read-only copy of a valid correlation matrix, exactly symmetric, unit diagonal."""
    corr = np.array(raw, dtype=float)
    if corr.shape != (k, k) or not np.all(np.isfinite(corr)):
        raise ValueError(
            f"The 'corr' parameter of PlanSpec must be a finite ({k}, {k}) matrix, one row "
            f"and column per variable. Got shape {corr.shape} instead."
        )
    if not np.allclose(corr, corr.T, rtol=0, atol=1e-10) or not np.allclose(
        np.diag(corr), 1.0, rtol=0, atol=1e-10
    ):
        raise ValueError(
            "The 'corr' parameter of PlanSpec must be a symmetric correlation matrix with "
            "ones on the diagonal. Got a matrix that is not."
        )
    corr = (corr + corr.T) / 2.0
    np.fill_diagonal(corr, 1.0)
    try:
        np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        smallest = float(np.linalg.eigvalsh(corr)[0])
        raise ValueError(
            "The 'corr' parameter of PlanSpec must be positive definite. Got a matrix "
            f"whose smallest eigenvalue is {smallest:.4g} instead; these correlations "
            "cannot hold together. Lower the largest correlations or use the nearest "
            "positive-definite matrix."
        ) from None
    corr.setflags(write=False)
    return corr


def _checked_tests(
    raw: Sequence[tuple[str, str, str]], variables: tuple[str, ...]
) -> list[tuple[str, str, str]]:
    tests: list[tuple[str, str, str]] = []
    for t in raw:
        if len(t) != 3:
            raise ValueError(
                "The 'tests' parameter of PlanSpec must hold (family, x, y) triples. "
                f"Got {t!r} instead."
            )
        fam, x, y = (str(s) for s in t)
        for name in (x, y):
            if name not in variables:
                raise ValueError(
                    "The 'tests' parameter of PlanSpec must name variables from "
                    f"'variables' ({', '.join(variables)}). Got {name!r} instead."
                )
        if x == y:
            raise ValueError(
                "The 'tests' parameter of PlanSpec must pair two different variables. "
                f"Got {t!r} instead."
            )
        tests.append((fam, x, y))
    if not tests:
        raise ValueError("The 'tests' parameter of PlanSpec must hold at least one test.")
    return tests


def _checked_primary(raw: Sequence[int], n_tests: int) -> tuple[int, ...]:
    primary = tuple(int(i) for i in raw)
    if any(not 0 <= i < n_tests for i in primary) or len(set(primary)) != len(primary):
        raise ValueError(
            "The 'primary' parameter of PlanSpec must hold distinct test indices in "
            f"[0, {n_tests - 1}]. Got {raw!r} instead."
        )
    return primary


def _checked_missing(raw: Mapping[str, float], variables: tuple[str, ...]) -> dict[str, float]:
    missing = {str(key): float(val) for key, val in dict(raw).items()}
    for key, val in missing.items():
        if key not in variables:
            raise ValueError(
                "The 'missing' parameter of PlanSpec must have variable names as keys. "
                f"Got {key!r} instead."
            )
        if not 0.0 <= val < 1.0:
            raise ValueError(
                "The 'missing' parameter of PlanSpec must give rates in [0, 1). "
                f"Got {val!r} for {key!r} instead."
            )
    return missing
