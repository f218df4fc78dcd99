"""Bayes factors (``bayes_factors``): BF10 of every Pearson correlation of the families.

``[analysis] bayes_factors = true`` covers every ``[[analysis.correlations]]`` family;
``[analysis.bayes_factors]`` with ``families = [...]`` and ``kappa`` narrows it or changes
the prior width.
"""

from __future__ import annotations

from dataclasses import dataclass

from patalliance.analysis.correlations import family_data
from patalliance.analysis.records import Family, Record
from patalliance.derive import AnalysisTable
from patalliance.stats.bayes import bayes_factor_pearson
from patalliance.stats.correlation import correlate
from patalliance.study import BayesFactorSpec, Study

__all__ = ["BayesFactorRecord", "bayes_factors", "run_bayes_factors"]


@dataclass(frozen=True)
class BayesFactorRecord(Record):
    """BF10 of one Pearson correlation of a family."""

    family: str
    x: str
    y: str
    n: int
    r: float
    bf10: float
    log_bf10: float
    kappa: float
    method: str = "jeffreys_ly2016"


def bayes_factors(
    study: Study, table: AnalysisTable, *, kappa: float = 1.0, families: list[str] | None = None
) -> Family[BayesFactorRecord]:
    r"""BF10 (Ly et al., 2016) for each Pearson correlation of the selected families.

    Parameters
    ----------
    study : Study
        Its ``[[analysis.correlations]]`` families and ``missing`` policy are used.
    table : AnalysisTable
        The analysis table.
    kappa : float, default 1.0
        Stretched-beta prior width; 1 is the uniform prior (JASP's default).
    families : list of str, optional
        Family names; all families when omitted.

    Returns
    -------
    Family of BayesFactorRecord

    Notes
    -----
    r and n are the Pearson coefficients of the plan's ``missing`` policy (pairwise by
    default); BF10 is :func:`patalliance.stats.bayes.bayes_factor_pearson` of them.

    References
    ----------
    .. [1] Ly, A., Verhagen, J., & Wagenmakers, E.-J. (2016). Harold Jeffreys's default Bayes
       factor hypothesis tests: Explanation, extension, and application in psychology.
       *Journal of Mathematical Psychology*, 72, 19-32.
    """
    out = []
    for index, fam in enumerate(study.analysis.correlations):
        if families is not None and fam.family not in families:
            continue
        xm, ym = family_data(table, fam, index)
        res = correlate(xm, ym, method="pearson", missing=study.analysis.missing)
        bf = bayes_factor_pearson(res.r, res.n, kappa=kappa)
        for j, xv in enumerate(fam.x):
            for k, yv in enumerate(fam.y):
                if xv == yv:
                    continue  # a variable with itself is no test
                out.append(
                    BayesFactorRecord(
                        family=fam.family,
                        x=xv,
                        y=yv,
                        n=int(res.n[j, k]),
                        r=float(res.r[j, k]),
                        bf10=float(bf.bf10[j, k]),
                        log_bf10=float(bf.log_bf10[j, k]),
                        kappa=kappa,
                    )
                )
    return Family(tuple(out), BayesFactorRecord)


def run_bayes_factors(study: Study, table: AnalysisTable) -> Family[BayesFactorRecord]:
    """The ``bayes_factors`` family: BF10 of each correlation of the selected families."""
    spec = study.analysis.bayes_factors
    opts = spec if isinstance(spec, BayesFactorSpec) else BayesFactorSpec()
    return bayes_factors(study, table, kappa=opts.kappa, families=opts.families)
