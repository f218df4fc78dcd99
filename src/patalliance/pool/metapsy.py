"""Metapsy databases (the Metapsy data standard) as pooling input.

A Metapsy file has one row per comparison × outcome × instrument × timepoint, with the
arms' endpoint means, SDs and ns (``mean_arm1`` ... ``n_arm2``), change scores
(``mean_change_arm1`` ...), and the pipeline's own effect size ``.g`` with its SE ``.g_se``
(arm 1 minus arm 2). :func:`metapsy_g` recomputes g and its SE from the means, SDs and ns
with the pipeline's convention; :func:`select_primary` builds one comparison per study.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from patalliance.errors import ConfigError, DataValidationError
from patalliance.pool.effects import GConvention, combine_groups, hedges_g
from patalliance.pool.studies import EffectTable, StudyEffect

__all__ = ["CONTROL_CONDITIONS", "metapsy_g", "read_metapsy", "select_primary"]

ENDPOINT = ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")
CHANGE = (
    "mean_change_arm1",
    "sd_change_arm1",
    "n_change_arm1",
    "mean_change_arm2",
    "sd_change_arm2",
    "n_change_arm2",
)
#: Comparator conditions without psilocybin (waiting list, niacin, placebo, escitalopram,
#: mindfulness-based stress reduction), from the data set's variable description.
CONTROL_CONDITIONS: tuple[str, ...] = ("wl", "ncn", "pcb", "esc", "mbsr")
_REQUIRED = ("study", "condition_arm1", "condition_arm2", "outcome_type", *ENDPOINT)


def read_metapsy(path: str | Path) -> pd.DataFrame:
    """Read a Metapsy ``data.csv`` (``;``-separated, decimal comma, ``NA`` missing).

    Raises
    ------
    ConfigError
        The file is missing.
    DataValidationError
        A required column is missing.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file.")
    frame = pd.read_csv(path, sep=";", decimal=",", na_values=["NA"], encoding="utf-8")
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{path}: not a Metapsy data file; column(s) {', '.join(missing)} missing."
        )
    return frame


def metapsy_g(
    frame: pd.DataFrame, *, convention: GConvention = "metapsy", change: bool = False
) -> pd.DataFrame:
    """g (arm 1 minus arm 2) and its SE for every row with complete means, SDs and ns.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`read_metapsy`.
    convention : {"metapsy", "exact"}, keyword-only
        ``"metapsy"`` (default) reproduces the pipeline's ``.g`` and ``.g_se``.
    change : bool, keyword-only
        Use the change-score columns instead of the endpoint columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``g`` and ``g_se``, indexed like the complete rows of ``frame``.

    Notes
    -----
    The Metapsy pipeline (``metapsyTools::calculateEffectSizes`` → ``g.m.sd`` →
    ``esc::esc_mean_sd(..., es.type = "g")``) computes
    :math:`g = d\\,(1 - 3/(4N - 9))` and :math:`SE = \\sqrt{N/(n_1 n_2) + d^2/(2N)}` with the
    uncorrected d; see :func:`patalliance.pool.effects.hedges_g`.
    """
    cols = CHANGE if change else ENDPOINT
    complete = frame[list(cols)].notna().all(axis=1)
    rows = frame[complete]
    es = hedges_g(*(rows[c].to_numpy(float) for c in cols), convention=convention)
    return pd.DataFrame({"g": es.effect, "g_se": es.se}, index=rows.index)


def _arm_name(row: pd.Series) -> str:
    multi = row["multi_arm1"]
    return str(multi) if isinstance(multi, str) else str(row["condition_arm1"])


def _one_study(study: str, rows: pd.DataFrame, convention: GConvention) -> tuple[StudyEffect, str]:
    arm2 = rows[["n_arm2", "mean_arm2", "sd_arm2", "condition_arm2"]].drop_duplicates()
    if len(arm2) != 1:
        raise DataValidationError(
            f"Metapsy data, {study}: several comparisons with different control arms; "
            "one comparison per study is needed (see docs/pool.md)."
        )
    note = ""
    n1, m1, s1 = (float(rows[c].iloc[0]) for c in ("n_arm1", "mean_arm1", "sd_arm1"))
    if len(rows) > 1:
        n1, m1, s1 = combine_groups(rows["n_arm1"], rows["mean_arm1"], rows["sd_arm1"])
        arms = "; ".join(
            f"{_arm_name(r)}, n = {int(float(r['n_arm1']))}" for _, r in rows.iterrows()
        )
        note = (
            f"{study}: {len(rows)} psilocybin arms ({arms}) share one control arm "
            f"(n = {int(arm2['n_arm2'].iloc[0])}); they were combined into one arm "
            f"(n = {int(n1)}) before computing g (Cochrane Handbook 23.3.4), so the shared "
            "control group is counted once."
        )
    n2, m2, s2 = (float(arm2[c].iloc[0]) for c in ("n_arm2", "mean_arm2", "sd_arm2"))
    es = hedges_g(m1, s1, n1, m2, s2, n2, convention=convention)
    first = rows.iloc[0]
    effect = StudyEffect(
        study=study,
        label=study,
        subgroup=str(first.get("rating", "")),
        effect=-float(es.effect[0]),  # depression scales: lower is better
        se=float(es.se[0]),
        n=float(es.n[0]),
        higher_is_better=False,
        source=f"{first['instrument']}, {first['time_weeks']:g} wk",
        detail="Metapsy .id: " + ", ".join(str(v) for v in rows[".id"]),
    )
    return effect, note


def select_primary(
    frame: pd.DataFrame,
    *,
    controls: Sequence[str] = CONTROL_CONDITIONS,
    convention: GConvention = "metapsy",
) -> EffectTable:
    """One psilocybin-vs-control comparison per study: primary instrument, primary timepoint.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`read_metapsy`.
    controls : sequence of str, keyword-only
        Comparator conditions counted as control (default: those without psilocybin).
    convention : {"metapsy", "exact"}, keyword-only
        How g and its SE are computed (default: as the Metapsy pipeline).

    Returns
    -------
    EffectTable
        Hedges' g oriented so that a positive value favours psilocybin (lower depression
        scores), one row per study, with the selection and combination choices in ``notes``.

    Notes
    -----
    Rows kept: ``outcome_type == "msd"``, ``primary_instrument == 1``,
    ``primary_timepoint == 1`` and ``condition_arm2`` in ``controls``. A study with several
    psilocybin arms against one shared control arm has its psilocybin arms combined (mean and
    pooled SD, Cochrane Handbook Table 6.5.a) into one comparison, so that the shared control
    group is not counted twice.

    References
    ----------
    Higgins, J. P. T., Eldridge, S., & Li, T. (2023). Chapter 23: Including variants on
    randomized trials, section 23.3.4. In *Cochrane Handbook for Systematic Reviews of
    Interventions* (version 6.4). Cochrane.
    """
    base = frame[
        (frame["outcome_type"] == "msd")
        & (frame["primary_instrument"] == 1)
        & (frame["primary_timepoint"] == 1)
    ]
    keep = base[base["condition_arm2"].isin(list(controls))]
    dropped = base[~base["condition_arm2"].isin(list(controls))]
    notes = [
        "Selected: outcome_type = msd (endpoint means and SDs), primary_instrument = 1, "
        f"primary_timepoint = 1, comparator condition in {{{', '.join(controls)}}}: "
        f"{len(keep)} comparisons from {keep['study'].nunique()} studies."
    ]
    for study, rows in dropped.groupby("study", sort=True):
        comps = "; ".join(
            f"{r.condition_arm1} {r.multi_arm1} vs {r.condition_arm2} {r.multi_arm2}"
            for r in rows.itertuples()
        )
        notes.append(f"Not used, the comparator is not a control condition: {study} ({comps}).")
    absent = sorted(set(frame["study"]) - set(base["study"]))
    if absent:
        notes.append(
            "Not used, no endpoint means and SDs for the primary instrument at the primary "
            f"timepoint (e.g. change scores only): {', '.join(absent)}."
        )
    studies = []
    for study, rows in keep.groupby("study", sort=True):
        effect, note = _one_study(str(study), rows, convention)
        studies.append(effect)
        if note:
            notes.append(note)
    return EffectTable(
        "g",
        tuple(studies),
        convention=convention,
        outcome="depression, primary instrument at the primary timepoint",
        source="Metapsy data-depression-psiloctr (doi:10.5281/zenodo.15714852)",
        notes=tuple(notes),
    )
