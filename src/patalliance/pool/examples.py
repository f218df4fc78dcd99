"""The bundled examples of ``patalliance pool --example NAME`` (offline, shipped data).

- ``psilocybin-depression``: the Metapsy ``data-depression-psiloctr`` database; Hedges' g of
  psilocybin vs control on the primary depression instrument at the primary timepoint,
  recomputed from the means, SDs and ns (ODC-By 1.0, see the data folder's ATTRIBUTION.md).
- ``alliance``: published alliance–outcome correlations from psychedelic-assisted therapy
  trials, each number with its source, beside the psychotherapy benchmark of Flückiger et al.
  (2018).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import pandas as pd

from patalliance.pool.analysis import Benchmark
from patalliance.pool.effects import GConvention
from patalliance.pool.inputs import parse_bool, read_effects_csv
from patalliance.pool.metapsy import read_metapsy, select_primary
from patalliance.pool.studies import EffectTable

__all__ = ["EXAMPLES", "FLUCKIGER_2018", "Example", "load_example"]

FLUCKIGER_2018 = Benchmark(
    label="Psychotherapy benchmark (Flückiger et al., 2018)",
    estimate=0.278,
    ci_low=0.256,
    ci_high=0.299,
    confidence_level=0.95,
    citation=(
        "Flückiger, C., Del Re, A. C., Wampold, B. E., & Horvath, A. O. (2018). The alliance "
        "in adult psychotherapy: A meta-analytic synthesis. Psychotherapy, 55(4), 316–340."
    ),
    doi="10.1037/pst0000172",
    note=(
        "Alliance–outcome correlation in face-to-face psychotherapy: 295 independent studies, "
        "more than 30,000 patients, three-level random-effects (REML) model; from the abstract. "
        "A benchmark shown for comparison, not pooled."
    ),
)


@dataclass(frozen=True)
class Example:
    """An example's studies and how to present them."""

    name: str
    table: EffectTable
    title: str
    description: str
    benchmark: Benchmark | None = None
    subgroup_column: str = ""
    data_files: tuple[str, ...] = field(default_factory=tuple)


def _data_dir(name: str) -> Path:
    return Path(str(resources.files("patalliance") / "data" / "pool" / name))


def _psilocybin_depression(convention: GConvention) -> Example:
    folder = _data_dir("psilocybin-depression")
    table = select_primary(read_metapsy(folder / "data.csv"), convention=convention)
    table = replace(table, files=(str(folder / "data.csv"),))
    return Example(
        name="psilocybin-depression",
        table=table,
        title="Psilocybin-assisted therapy vs control for depression",
        description=(
            "Hedges' g of psilocybin vs control on the primary depression instrument at the "
            "primary timepoint, recomputed from the means, SDs and ns of the Metapsy database "
            "data-depression-psiloctr (Sypres Collaboration, doi:10.5281/zenodo.15714852; Open "
            "Data Commons Attribution License 1.0). A positive g favours psilocybin (lower "
            "depression scores). Subgroups: clinician-rated vs self-reported instrument."
        ),
        subgroup_column="rating",
        data_files=(str(folder / "data.csv"), str(folder / "ATTRIBUTION.md")),
    )


def _alliance() -> Example:
    folder = _data_dir("alliance")
    path = folder / "alliance_outcome.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = read_effects_csv(path, min_studies=1)
    used = {str(s) for s, u in zip(frame["study"], frame["use"], strict=True) if parse_bool(str(u))}
    studies = tuple(s for s in table.studies if s.study in used)
    notes = (
        "One pre-specified correlation per trial (use = 1 in alliance_outcome.csv): alliance "
        "before dosing × the primary depression instrument at the first follow-up; the other "
        "rows of the file document the alternatives and are not pooled.",
        f"{len(studies)} trial(s) with a verified published alliance–outcome correlation: "
        + ("nothing to pool; the trial is shown beside the benchmark." if len(studies) < 2 else
           "pooled on Fisher's z."),
    )  # fmt: skip
    table = replace(
        table,
        studies=studies,
        outcome="therapeutic alliance × later depression severity",
        source="published correlations (see SOURCES.md)",
        notes=notes,
        files=(str(path),),
    )
    return Example(
        name="alliance",
        table=table,
        title="Therapeutic alliance and outcome in psychedelic-assisted therapy",
        description=(
            "Published correlations between the therapeutic alliance and later depression "
            "severity in psychedelic-assisted therapy trials, each with its source; signs "
            "flipped so that a positive r means a stronger alliance went with a better outcome. "
            "Shown beside the psychotherapy benchmark of Flückiger et al. (2018), r = .28."
        ),
        benchmark=FLUCKIGER_2018,
        data_files=(str(path), str(folder / "SOURCES.md")),
    )


EXAMPLES: tuple[str, ...] = ("psilocybin-depression", "alliance")


def load_example(name: str, *, g_convention: GConvention = "metapsy") -> Example:
    """One bundled example by name (``psilocybin-depression`` or ``alliance``).

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if name == "psilocybin-depression":
        return _psilocybin_depression(g_convention)
    if name == "alliance":
        return _alliance()
    raise ValueError(
        f"The 'name' parameter of load_example must be one of {', '.join(EXAMPLES)}. "
        f"Got {name!r} instead."
    )
