"""Plain-language text of the power outputs: what each field means, and the adjustment phrase.

One source for the terminal (``patalliance power``), the HTML page of ``power plan`` and
docs/power.md, so the three say the same thing.
"""

from __future__ import annotations

_ADJUST_PHRASES = {
    "none": "with no adjustment for multiplicity",
    "holm": "after Holm adjustment for multiplicity within each family",
    "fdr_bh": "after Benjamini-Hochberg (false discovery rate) adjustment within each family",
}

#: What each field of ``power correlation`` / ``power paired`` means (terminal and JSON keys).
FIELD_MEANINGS: dict[str, str] = {
    "r": "population correlation assumed under the alternative",
    "d_z": "effect size of the paired t test: mean difference / SD of the differences",
    "d_av": "mean difference / mean of the two SDs (the change table's headline d)",
    "r_prepost": "correlation between the pre and post measurements",
    "alpha": "two-sided significance level",
    "power": "probability of a significant result (target, or computed at n)",
    "n_exact": "smallest analysable N by the exact test of r (as G*Power 'exact')",
    "n_fisher": "smallest analysable N by the Fisher-z approximation (as R pwr.r.test)",
    "n": "analysable sample size: participants with data for the test (pairs for paired)",
    "power_exact": "power at n by the exact distribution of r",
    "power_fisher": "power at n by the Fisher-z approximation",
    "dropout": "expected fraction of enrolled participants lost before the analysis",
    "n_enrol": "participants to enrol: ceil(n / (1 - dropout))",
    "n_enrol_exact": "participants to enrol for n_exact: ceil(n_exact / (1 - dropout))",
    "n_enrol_fisher": "participants to enrol for n_fisher: ceil(n_fisher / (1 - dropout))",
    "power_mc": "power estimated by Monte Carlo simulation at n",
    "power_mc_se": "Monte Carlo standard error of power_mc",
    "n_simulations": "number of simulated trials",
    "seed": "random seed of the simulation (same seed, same result)",
}

#: What each column and summary row of ``power plan`` means (terminal legend and HTML page).
PLAN_MEANINGS: dict[str, str] = {
    "ρ": "population correlation assumed for the test",
    "primary": "a test the study is powered for: marked by the user, or chosen as the output says",
    "N": "participants enrolled in each simulated trial, before the missingness of each "
    "variable (--missing) is applied",
    "power": "share of simulated trials in which the test is significant",
    "min N": "smallest N in the grid whose power reaches the target; '—' (terminal) or "
    "'> largest N' (page) when none does",
    "Monte Carlo SE": "each power is a share of K simulated trials, so it is uncertain by "
    "sqrt(p (1 - p) / K), at most 0.5 / sqrt(K); power.json gives it per test (power_se)",
    "all primary": "share of trials in which every primary test is significant together",
    "any significant": "share of trials in which at least one test is significant",
}


def adjust_phrase(adjust: str) -> str:
    """How a p-value adjustment reads in a sentence ("with no adjustment for multiplicity")."""
    return _ADJUST_PHRASES.get(adjust, f"after {adjust} adjustment within each family")
