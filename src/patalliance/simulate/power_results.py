"""Results of Monte Carlo power simulations: at one sample size, over a grid, for one r.

Re-exported by :mod:`patalliance.simulate.power`; import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, eq=False)
class PlanPowerResult:
    """Monte Carlo power of a plan at one sample size.

    Attributes
    ----------
    tests : tuple of (family, x, y)
        The tests, in the order of the arrays below.
    n : int
        Sample size (rows drawn per trial, before dropout).
    power, power_se : numpy.ndarray
        Per test: proportion of trials with a significant (adjusted) result, and its Monte
        Carlo standard error :math:`\\sqrt{\\hat p(1-\\hat p)/K}`.
    mean_n_pair : numpy.ndarray
        Per test: mean pairwise-complete n after dropout.
    power_all_primary, power_all_primary_se : float
        Probability that every primary test is significant in the same trial.
    power_any, power_any_se : float
        Probability that at least one test is significant.
    primary : tuple of int
        Indices of the primary tests.
    adjust : str
        Multiplicity adjustment within families.
    alpha : float
        Significance level.
    n_simulations : int
        Number of simulated trials :math:`K`.
    seed : int
        Seed of the random streams.
    method : str
        Always ``"monte_carlo"``.
    """

    tests: tuple[tuple[str, str, str], ...]
    n: int
    power: np.ndarray
    power_se: np.ndarray
    mean_n_pair: np.ndarray
    power_all_primary: float
    power_all_primary_se: float
    power_any: float
    power_any_se: float
    primary: tuple[int, ...]
    adjust: str
    alpha: float
    n_simulations: int
    seed: int
    method: str = "monte_carlo"

    def to_frame(self) -> pd.DataFrame:
        """One row per test; plan-level probabilities are in ``DataFrame.attrs``."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "family": [t[0] for t in self.tests],
                "x": [t[1] for t in self.tests],
                "y": [t[2] for t in self.tests],
                "primary": [i in self.primary for i in range(len(self.tests))],
                "n": self.n,
                "mean_n_pair": self.mean_n_pair,
                "power": self.power,
                "power_se": self.power_se,
            }
        )
        frame.attrs.update(
            power_all_primary=self.power_all_primary,
            power_all_primary_se=self.power_all_primary_se,
            power_any=self.power_any,
            power_any_se=self.power_any_se,
            adjust=self.adjust,
            alpha=self.alpha,
            n_simulations=self.n_simulations,
            seed=self.seed,
            method=self.method,
        )
        return frame


@dataclass(frozen=True, eq=False)
class PowerCurveResult:
    """Monte Carlo power of a plan over a grid of sample sizes.

    Attributes
    ----------
    tests : tuple of (family, x, y)
        The tests, in the order of the columns of ``power``.
    n_grid : tuple of int
        Sample sizes, increasing.
    power, power_se : numpy.ndarray
        Shape ``(len(n_grid), len(tests))``.
    power_all_primary, power_any : numpy.ndarray
        Shape ``(len(n_grid),)``.
    target_power : float
        The power to reach.
    min_n : tuple of (int or None)
        Per test, the smallest n in the grid whose estimated power reaches
        ``target_power``; None if none does.
    min_n_all_primary : int or None
        The same for the probability that all primary tests are significant.
    results : tuple of PlanPowerResult
        The full result at each n.
    n_simulations, seed, adjust, alpha, method
        As in :class:`PlanPowerResult`.
    """

    tests: tuple[tuple[str, str, str], ...]
    n_grid: tuple[int, ...]
    power: np.ndarray
    power_se: np.ndarray
    power_all_primary: np.ndarray
    power_any: np.ndarray
    target_power: float
    min_n: tuple[int | None, ...]
    min_n_all_primary: int | None
    results: tuple[PlanPowerResult, ...]
    n_simulations: int
    seed: int
    adjust: str
    alpha: float
    method: str = "monte_carlo"

    def to_frame(self) -> pd.DataFrame:
        """Long format: one row per n and test, plus rows ``"all primary"`` and ``"any"``."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        for g, res in enumerate(self.results):
            for i, (fam, x, y) in enumerate(self.tests):
                rows.append(
                    {
                        "n": res.n,
                        "test": f"{fam}: {x} ~ {y}",
                        "family": fam,
                        "x": x,
                        "y": y,
                        "power": float(self.power[g, i]),
                        "power_se": float(self.power_se[g, i]),
                    }
                )
            for label, value, se in (
                ("all primary", res.power_all_primary, res.power_all_primary_se),
                ("any", res.power_any, res.power_any_se),
            ):
                rows.append(
                    {"n": res.n, "test": label, "family": None, "x": None, "y": None}
                    | {"power": value, "power_se": se}
                )
        frame = pd.DataFrame(rows)
        frame.attrs.update(target_power=self.target_power, seed=self.seed, method=self.method)
        return frame


@dataclass(frozen=True)
class CorrelationPowerResult:
    """Monte Carlo power of the two-sided test of one Pearson correlation.

    Attributes
    ----------
    r : float
        Population correlation.
    n : int
        Sample size.
    alpha : float
        Significance level.
    power, power_se : float
        Proportion of significant trials and its Monte Carlo standard error.
    n_simulations : int
        Number of simulated trials.
    seed : int
        Seed of the random streams.
    method : str
        Always ``"monte_carlo"``.
    """

    r: float
    n: int
    alpha: float
    power: float
    power_se: float
    n_simulations: int
    seed: int
    method: str = "monte_carlo"

    def to_frame(self) -> pd.DataFrame:
        """One row with every field."""
        import pandas as pd

        return pd.DataFrame([self.__dict__])
