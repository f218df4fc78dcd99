r"""Synthetic baseline covariates for a simulated trial: age, sex and expectancy (0–100).

:func:`synthetic_covariates` appends three columns to a participants table from a random
stream of its own (``SeedSequence([seed, COVARIATE_STREAM])``), so adding them never changes
a value already generated from the same seed. Expectancy can be made to correlate with one
score (for the demo, alliance at the preparation session), which is read, never changed.

The generating model (invented for demonstration, not estimated from any trial):

- ``age``: whole years, :math:`\mathcal N(40, 12^2)` rounded and clipped to 21–75 (an adult
  trial's inclusion range);
- ``sex``: ``female`` with probability ``p_female``, else ``male``;
- ``expectancy``: :math:`100\,F_{B(a,b)}^{-1}(\Phi(z))` rounded to a whole number, with
  :math:`z = r\,s + \sqrt{1-r^2}\,e`, :math:`s` the standardized score (0 where missing) and
  :math:`e` standard normal: a Beta(a, b) marginal on 0–100 whose normal scores correlate
  about ``r`` with the score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from patalliance.errors import ConfigError

__all__ = ["COVARIATE_STREAM", "synthetic_covariates"]

#: Distinguishes the covariates' random stream from every other stream drawn from a seed.
COVARIATE_STREAM = 17


def synthetic_covariates(
    participants: pd.DataFrame,
    *,
    seed: int,
    related_score: pd.Series | None = None,
    r: float = 0.0,
    p_female: float = 0.67,
    beta: tuple[float, float] = (4.0, 2.0),
) -> pd.DataFrame:
    """A copy of ``participants`` with ``age``, ``sex`` and ``expectancy`` appended.

    Parameters
    ----------
    participants : DataFrame
        With a ``participant_id`` column; its columns and values are kept as they are.
    seed : int
        The trial's seed; the covariates use their own stream of it.
    related_score : Series, optional
        A score indexed by ``participant_id`` that expectancy correlates with.
    r : float
        The correlation of expectancy's normal scores with ``related_score``, in (-1, 1).
    p_female : float
        Probability of ``sex = "female"``.
    beta : (float, float)
        Shape parameters of expectancy's Beta marginal on 0–100.

    Returns
    -------
    DataFrame

    Raises
    ------
    ConfigError
        When a column of that name already exists, or an option is out of range.

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "arm": ["a", "b", "a"]})
    >>> list(synthetic_covariates(people, seed=1).columns)
    ['participant_id', 'arm', 'age', 'sex', 'expectancy']
    """
    clash = [c for c in ("age", "sex", "expectancy") if c in participants.columns]
    if clash:
        raise ConfigError(
            f"The participants table already has the column(s) {', '.join(clash)}; "
            "synthetic covariates would overwrite them. Remove them first."
        )
    if not -1.0 < r < 1.0 or not 0.0 <= p_female <= 1.0:
        raise ConfigError(
            f"r must be in (-1, 1) and p_female in [0, 1]. Got r = {r}, p_female = {p_female}."
        )
    rng = np.random.default_rng(np.random.SeedSequence([seed, COVARIATE_STREAM]))
    n = len(participants)
    age = np.clip(np.rint(rng.normal(40.0, 12.0, n)), 21, 75).astype(int)
    sex = np.where(rng.random(n) < p_female, "female", "male")
    noise = rng.standard_normal(n)
    s = np.zeros(n)
    if related_score is not None:
        vals = related_score.reindex(participants["participant_id"]).to_numpy(dtype=float)
        ok = np.isfinite(vals)
        if ok.sum() > 1:
            s[ok] = (vals[ok] - vals[ok].mean()) / vals[ok].std(ddof=1)
    z = r * s + np.sqrt(1.0 - r**2) * noise
    expectancy = np.rint(100.0 * special.betaincinv(beta[0], beta[1], special.ndtr(z)))
    out = participants.copy()
    out["age"] = age
    out["sex"] = sex
    out["expectancy"] = expectancy.astype(int)
    return out
