"""Conversions a sample-size plan needs: d_av to d_z, and analysable N to N to enrol.

Re-exported by :mod:`patalliance.simulate.power`; import them from there.
"""

from __future__ import annotations

import math

__all__ = ["d_z_from_d_av", "n_to_enrol"]


def d_z_from_d_av(d_av: float, r: float) -> float:
    """The paired-test effect size :math:`d_z` from :math:`d_{av}` and the pre-post correlation.

    Parameters
    ----------
    d_av : float
        Mean difference divided by the mean of the two standard deviations (the paper's d,
        and the headline effect of the change table), finite.
    r : float
        Correlation between the two measurements (pre and post), in (-1, 1).

    Returns
    -------
    float
        :math:`d_z`, the mean difference divided by the SD of the differences: the effect size
        of the paired t test and of :func:`~patalliance.simulate.power.power_paired`.

    Raises
    ------
    ValueError
        If ``d_av`` is not finite or ``r`` is not in (-1, 1).

    Notes
    -----
    When the two standard deviations are equal (:math:`\\sigma_1 = \\sigma_2 = \\sigma`), the SD
    of the differences is :math:`\\sigma\\sqrt{2(1 - r)}`, so

    .. math::

        d_z = \\frac{d_{av}}{\\sqrt{2(1 - r)}}.

    With unequal SDs this is an approximation; compute :math:`d_z` from the SD of the
    differences instead. A pre-post correlation above .5 makes :math:`d_z > d_{av}`, below .5
    smaller.

    References
    ----------
    .. [1] Dunlap, W. P., Cortina, J. M., Vaslow, J. B., & Burke, M. J. (1996). Meta-analysis of
       experiments with matched groups or repeated measures designs. *Psychological Methods*,
       1(2), 170-177.
    .. [2] Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative
       science: a practical primer for t-tests and ANOVAs. *Frontiers in Psychology*, 4, 863.

    Examples
    --------
    >>> round(d_z_from_d_av(0.43, 0.5), 4)
    0.43
    """
    d = float(d_av)
    if not math.isfinite(d):
        raise ValueError(
            f"The 'd_av' parameter of d_z_from_d_av must be a finite number. Got {d_av!r} instead."
        )
    rho = float(r)
    if not -1.0 < rho < 1.0:
        raise ValueError(
            f"The 'r' parameter of d_z_from_d_av (the pre-post correlation) must be in (-1, 1). "
            f"Got {r!r} instead."
        )
    return d / math.sqrt(2.0 * (1.0 - rho))


def n_to_enrol(n: int, dropout: float) -> int:
    """Participants to enrol so that ``n`` remain analysable after a dropout fraction.

    Parameters
    ----------
    n : int
        The analysable sample size (participants with data for the test), at least 1.
    dropout : float
        Expected fraction of enrolled participants lost before the analysis, in [0, 1).

    Returns
    -------
    int
        :math:`N_{enrol} = \\lceil N / (1 - \\text{dropout}) \\rceil`.

    Raises
    ------
    ValueError
        If ``n`` < 1 or ``dropout`` is not in [0, 1).

    Examples
    --------
    >>> n_to_enrol(84, 0.2)
    105
    >>> n_to_enrol(34, 0.0)
    34
    """
    if int(n) != n or n < 1:
        raise ValueError(f"The 'n' parameter of n_to_enrol must be a whole number >= 1. Got {n!r}.")
    rate = float(dropout)
    if not 0.0 <= rate < 1.0:
        raise ValueError(
            f"The 'dropout' parameter of n_to_enrol must be a fraction in [0, 1). Got {dropout!r} "
            "instead; 0.2 means one participant in five is lost."
        )
    # round first so that 84 / 0.8 = 105.00000000000001 does not become 106
    return math.ceil(round(int(n) / (1.0 - rate), 9))
