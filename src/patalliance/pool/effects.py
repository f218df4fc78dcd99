"""Study-level effect sizes for pooling: Hedges' g and Fisher's z.

Every function works on arrays (one element per study or comparison) and returns a frozen
:class:`EffectSizes` with the effects on the *pooling* scale, their standard errors and the
sample sizes. Nothing here rounds.

Two conventions for Hedges' g are offered, because published pipelines differ:

- ``"exact"`` (the default): the exact small-sample correction
  :math:`J(m) = \\Gamma(m/2) / (\\sqrt{m/2}\\,\\Gamma((m-1)/2))` and the large-sample
  variance of g, :math:`1/n_1 + 1/n_2 + g^2 / (2(n_1+n_2))` (metafor's
  ``escalc(measure="SMD")``, ``vtype="LS"``);
- ``"metapsy"``: the convention of the Metapsy pipeline (``metapsyTools::g.m.sd``, which
  calls ``esc::esc_mean_sd(..., es.type = "g")``): the approximate correction
  :math:`J \\approx 1 - 3/(4N - 9)` and the standard error of the *uncorrected* d,
  :math:`\\sqrt{(n_1+n_2)/(n_1 n_2) + d^2/(2(n_1+n_2))}`. With it our g and SE equal the
  ``.g`` and ``.g_se`` columns of the Metapsy databases (see ``docs/pool.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import gammaln

__all__ = [
    "EffectSizes",
    "GConvention",
    "change_sd",
    "combine_groups",
    "fisher_z",
    "hedges_g",
    "hedges_j",
]

GConvention = Literal["exact", "metapsy"]
G_CONVENTIONS: tuple[str, ...] = ("exact", "metapsy")


def _array(name: str, value: object) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1:
        raise ValueError(f"The '{name}' parameter must be one-dimensional. Got shape {arr.shape}.")
    return arr


@dataclass(frozen=True)
class EffectSizes:
    """Study-level effects on the pooling scale.

    Attributes
    ----------
    measure : {"g", "r", "generic"}
        ``g``: Hedges' g (pooled as is); ``r``: Pearson r, pooled on Fisher's z (``effect`` is
        z, ``se`` its SE); ``generic``: an effect and its SE as given.
    effect, se : numpy.ndarray
        Effect on the pooling scale and its standard error.
    n : numpy.ndarray
        Total sample size (NaN where unknown).
    convention : str
        For g, the convention used (``"exact"`` or ``"metapsy"``); ``""`` otherwise.
    """

    measure: str
    effect: np.ndarray
    se: np.ndarray
    n: np.ndarray
    convention: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per study: ``effect``, ``se``, ``n``."""
        return pd.DataFrame({"effect": self.effect, "se": self.se, "n": self.n})


def hedges_j(df: object, *, exact: bool = True) -> np.ndarray:
    """Hedges' small-sample correction factor J for degrees of freedom ``df``.

    Parameters
    ----------
    df : array_like
        Degrees of freedom of the pooled SD, :math:`m = n_1 + n_2 - 2`.
    exact : bool, keyword-only
        The exact gamma-function form (default) or Hedges' approximation.

    Returns
    -------
    numpy.ndarray
        J, between 0 and 1 (NaN for ``df <= 1``).

    Notes
    -----
    .. math:: J(m) = \\frac{\\Gamma(m/2)}{\\sqrt{m/2}\\,\\Gamma((m-1)/2)}
              \\approx 1 - \\frac{3}{4m - 1}

    The approximation equals :math:`1 - 3/(4N - 9)` with :math:`N = n_1 + n_2`, the form used by
    the ``esc`` package and the Metapsy pipeline.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. *Journal of Educational Statistics*, 6(2), 107–128.
    https://doi.org/10.3102/10769986006002107

    Examples
    --------
    >>> round(float(hedges_j(22)[0]), 6), round(float(hedges_j(22, exact=False)[0]), 6)
    (0.965451, 0.965517)
    """
    m = _array("df", df)
    out = np.full(m.shape, np.nan)
    ok = m > 1
    if exact:
        mm = m[ok]
        out[ok] = np.exp(gammaln(mm / 2) - 0.5 * np.log(mm / 2) - gammaln((mm - 1) / 2))
    else:
        out[ok] = 1 - 3 / (4 * m[ok] - 1)
    return out


def hedges_g(
    mean_treatment: object,
    sd_treatment: object,
    n_treatment: object,
    mean_control: object,
    sd_control: object,
    n_control: object,
    *,
    convention: GConvention = "exact",
) -> EffectSizes:
    """Hedges' g of treatment minus control, with its standard error.

    Parameters
    ----------
    mean_treatment, sd_treatment, n_treatment, mean_control, sd_control, n_control : array_like
        Per-arm means, standard deviations (n − 1 denominator) and sample sizes.
    convention : {"exact", "metapsy"}, keyword-only
        ``"exact"`` (default): exact J and the variance of g; ``"metapsy"``: approximate J and
        the SE of the uncorrected d, as the Metapsy pipeline computes them.

    Returns
    -------
    EffectSizes
        ``measure = "g"``, ``effect`` = g, ``se``, ``n`` = :math:`n_1 + n_2`.

    Raises
    ------
    ValueError
        For an unknown ``convention``.

    Notes
    -----
    .. math::

        s_p = \\sqrt{\\frac{(n_1-1)s_1^2 + (n_2-1)s_2^2}{n_1+n_2-2}}, \\quad
        d = \\frac{\\bar x_1 - \\bar x_2}{s_p}, \\quad g = J(n_1+n_2-2)\\, d

    ``exact``: :math:`\\mathrm{Var}(g) = 1/n_1 + 1/n_2 + g^2/(2(n_1+n_2))` (Hedges & Olkin,
    1985, eq. 5.15). ``metapsy``: :math:`J = 1 - 3/(4(n_1+n_2) - 9)` and
    :math:`SE = \\sqrt{(n_1+n_2)/(n_1 n_2) + d^2/(2(n_1+n_2))}` (Lipsey & Wilson, 2001,
    Table B10; ``esc:::esc.vd``).

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. *Journal of Educational Statistics*, 6(2), 107–128.
    https://doi.org/10.3102/10769986006002107

    Hedges, L. V., & Olkin, I. (1985). *Statistical methods for meta-analysis*. Academic Press.

    Lipsey, M. W., & Wilson, D. B. (2001). *Practical meta-analysis*. Sage.

    Examples
    --------
    >>> es = hedges_g(8.5, 5.7, 13, 23.5, 6.0, 11, convention="metapsy")
    >>> round(float(es.effect[0]), 6), round(float(es.se[0]), 6)
    (-2.480657, 0.552589)
    """
    if convention not in G_CONVENTIONS:
        raise ValueError(
            "The 'convention' parameter of hedges_g must be one of 'exact', 'metapsy'. "
            f"Got {convention!r} instead."
        )
    m1, s1 = _array("mean_treatment", mean_treatment), _array("sd_treatment", sd_treatment)
    m2, s2 = _array("mean_control", mean_control), _array("sd_control", sd_control)
    n1, n2 = _array("n_treatment", n_treatment), _array("n_control", n_control)
    total = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (total - 2))
        d = (m1 - m2) / sp
        if convention == "exact":
            g = hedges_j(total - 2) * d
            var = 1 / n1 + 1 / n2 + g**2 / (2 * total)
        else:
            g = hedges_j(total - 2, exact=False) * d
            var = total / (n1 * n2) + d**2 / (2 * total)
    return EffectSizes("g", g, np.sqrt(var), total, convention)


def change_sd(sd_pre: object, sd_post: object, r_prepost: object) -> np.ndarray:
    """The SD of change scores from the pre and post SDs and the pre–post correlation.

    Parameters
    ----------
    sd_pre, sd_post : array_like
        Standard deviations at the two occasions.
    r_prepost : array_like
        Correlation between the pre and post scores (in [−1, 1]).

    Returns
    -------
    numpy.ndarray
        :math:`SD_{change}`.

    Notes
    -----
    .. math:: SD_{change} = \\sqrt{SD_{pre}^2 + SD_{post}^2 - 2\\,r\\,SD_{pre}\\,SD_{post}}

    References
    ----------
    Higgins, J. P. T., Li, T., & Deeks, J. J. (2023). Chapter 6: Choosing effect measures and
    computing estimates of effect, section 6.5.2.8. In J. P. T. Higgins et al. (Eds.),
    *Cochrane Handbook for Systematic Reviews of Interventions* (version 6.4). Cochrane.

    Examples
    --------
    >>> round(float(change_sd(4.0, 3.0, 0.5)[0]) ** 2, 9)
    13.0
    """
    a, b, r = _array("sd_pre", sd_pre), _array("sd_post", sd_post), _array("r_prepost", r_prepost)
    with np.errstate(invalid="ignore"):
        return np.sqrt(a**2 + b**2 - 2 * r * a * b)


def combine_groups(n: object, mean: object, sd: object) -> tuple[float, float, float]:
    """Combine several arms into one group: total n, mean and SD.

    Parameters
    ----------
    n, mean, sd : array_like
        The arms' sizes, means and SDs.

    Returns
    -------
    tuple of float
        ``(n, mean, sd)`` of the combined group.

    Notes
    -----
    Applied pairwise (Cochrane Handbook, Table 6.5.a):

    .. math::

        N = n_1 + n_2, \\quad M = \\frac{n_1 M_1 + n_2 M_2}{N}, \\quad
        SD = \\sqrt{\\frac{(n_1-1)SD_1^2 + (n_2-1)SD_2^2
             + \\frac{n_1 n_2}{N}(M_1 - M_2)^2}{N - 1}}

    References
    ----------
    Higgins, J. P. T., Li, T., & Deeks, J. J. (2023). Chapter 6, Table 6.5.a. In
    *Cochrane Handbook for Systematic Reviews of Interventions* (version 6.4). Cochrane.

    Examples
    --------
    >>> tuple(round(v, 4) for v in combine_groups([10, 10], [1.0, 3.0], [1.0, 1.0]))
    (20.0, 2.0, 1.4142)
    """
    ns, ms, ss = _array("n", n), _array("mean", mean), _array("sd", sd)
    if not (ns.size == ms.size == ss.size) or ns.size == 0:
        raise ValueError("combine_groups needs n, mean and sd of the same, non-zero length.")
    tot_n, tot_m, tot_s = float(ns[0]), float(ms[0]), float(ss[0])
    for n2, m2, s2 in zip(ns[1:], ms[1:], ss[1:], strict=True):
        new_n = tot_n + n2
        new_m = (tot_n * tot_m + n2 * m2) / new_n
        ss_within = (tot_n - 1) * tot_s**2 + (n2 - 1) * s2**2
        ss_between = tot_n * n2 / new_n * (tot_m - m2) ** 2
        tot_s = float(np.sqrt((ss_within + ss_between) / (new_n - 1)))
        tot_n, tot_m = float(new_n), float(new_m)
    return tot_n, tot_m, tot_s


def fisher_z(r: object, n: object) -> EffectSizes:
    """Pearson correlations on Fisher's z scale, with SE :math:`1/\\sqrt{n-3}`.

    Parameters
    ----------
    r : array_like
        Correlations, strictly between −1 and 1.
    n : array_like
        Sample sizes (pairs); the SE needs n > 3.

    Returns
    -------
    EffectSizes
        ``measure = "r"``, ``effect`` = :math:`z = \\operatorname{artanh} r`, ``se``, ``n``.

    Notes
    -----
    .. math:: z = \\tfrac12 \\ln\\frac{1+r}{1-r}, \\qquad SE(z) = \\frac{1}{\\sqrt{n-3}}

    Pooled z values are back-transformed with :math:`r = \\tanh z`.

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced from
    a small sample. *Metron*, 1, 3–32.

    Examples
    --------
    >>> es = fisher_z(-0.65, 20)
    >>> round(float(es.effect[0]), 4), round(float(es.se[0]), 4)
    (-0.7753, 0.2425)
    """
    rr, nn = _array("r", r), _array("n", n)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(rr)
        se = np.where(nn > 3, 1 / np.sqrt(nn - 3), np.nan)
    return EffectSizes("r", z, se, nn)
