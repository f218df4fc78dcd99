"""The result of :func:`patalliance.analyze`: typed families, ``to_dict`` and ``write``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patalliance.analysis.results import AnalysisResults

__all__ = ["Results"]


@dataclass(frozen=True)
class Results(AnalysisResults):
    """Everything one analysis produced (frozen).

    One typed attribute per family: ``descriptives``, ``change``, ``correlations``,
    ``efficacy``, ``partial_correlations``, ``mixed_models``, ``mediation``, ``facilitator``,
    ``sensitivity``, ``bayes_factors``, ``multiple_imputation``, ``regressions``,
    ``moderation``, ``trajectories`` and ``qc``. Each has ``to_frame()``: a tidy DataFrame,
    one row per record, with the field names of ``results.json``. Families the plan does not
    ask for are empty. ``score_notes`` is the DataFrame of ``score_notes.csv``: every scale
    score prorated for missing items or dropped for too many.

    Examples
    --------
    >>> import patalliance as pa
    >>> res = pa.analyze(pa.demo_study())  # doctest: +SKIP
    >>> res.correlations.to_frame()[["x", "y", "r", "p", "n"]]  # doctest: +SKIP
    """

    def to_dict(self) -> dict[str, Any]:
        """Exactly the content of ``results.json`` (NaN and infinities are ``None``)."""
        from patalliance.document import build_document

        return build_document(self)

    def write(
        self,
        out_dir: str | Path,
        report: bool = True,
        *,
        show_ids: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> dict[str, Path]:
        """Write exactly what ``patalliance analyze`` writes into ``out_dir``.

        ``results.json``, ``scores.csv``, ``qc_report.json``, ``tables/*.csv`` and, when
        ``report`` is true, ``report.html``, ``tables/tables.xlsx``, ``tables/tables.docx`` and
        the formatted ``tables/paper_*.csv``. Returns the written paths by output name.

        The report and its tables are made to be shared: they name participants ``case A``,
        ``case B``, … and facilitators ``facilitator 1`` … (the key is written to
        ``private/label_key.csv``; do not share it). ``show_ids=True`` (``--show-ids``) names
        them by their ids, for internal use. ``results.json`` and ``scores.csv`` always keep
        the ids.
        """
        from patalliance.output import write_outputs

        return write_outputs(self, out_dir, report=report, show_ids=show_ids, progress=progress)
