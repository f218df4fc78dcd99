"""Identifiers in shareable outputs: report-local labels in place of participant and
facilitator ids.

The report, the Word and Excel tables and the formatted ``paper_*.csv`` tables are made to be
shared, so by default they name no participant and no facilitator:

- participants are ``case A``, ``case B``, … in the order of the analysis table (the order of
  the participants file, then participants found only in the data), continuing ``case AA``,
  ``case AB``, … after ``case Z``; participants named only in a QC message (for example an id
  missing from the participants file) follow, in the order of the messages;
- facilitators are ``facilitator 1`` … ``facilitator k``, the largest cluster first (ties in
  the order of the analysis table).

The key from labels to ids is written to ``private/label_key.csv`` beside the report; it
identifies participants and must not be shared. ``results.json`` and ``scores.csv`` are
analysis files and keep the real ids. ``show_ids=True`` (``--show-ids``) puts the real ids back
in the shareable outputs, for internal use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from patalliance.analysis.results import AnalysisResults

__all__ = ["Pseudonyms", "case_label", "pseudonyms"]

#: ``participant 'ID'``, as validation messages quote ids.
_QUOTED = re.compile(r"participant (['\"])(.*?)\1")


def case_label(index: int) -> str:
    """``case A`` for 0, ``case Z`` for 25, ``case AA`` for 26 (spreadsheet-column letters).

    >>> case_label(0), case_label(25), case_label(26), case_label(701)
    ('case A', 'case Z', 'case AA', 'case ZZ')
    """
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"case {letters}"


@dataclass(frozen=True)
class Pseudonyms:
    """How the shareable outputs name participants and facilitators."""

    show_ids: bool
    participants: dict[str, str] = field(default_factory=dict)
    facilitators: dict[str, str] = field(default_factory=dict)

    def participant(self, pid: str) -> str:
        """The label of a participant id (the id itself with ``show_ids``)."""
        return pid if self.show_ids else self.participants.get(pid, pid)

    def facilitator(self, fid: str) -> str:
        """The label of a facilitator id (the id itself with ``show_ids``)."""
        return fid if self.show_ids else self.facilitators.get(fid, fid)

    def scrub(self, text: str) -> str:
        """``text`` with every ``participant 'ID'`` naming the participant by label."""
        if self.show_ids:
            return text
        return _QUOTED.sub(lambda m: f"participant {m.group(1)}{self.participant(m.group(2))}"
                           f"{m.group(1)}", text)  # fmt: skip

    def key_frame(self) -> pd.DataFrame:
        """The private key: one row per label, ``label, kind, id``."""
        rows = [{"label": v, "kind": "participant", "id": k} for k, v in self.participants.items()]
        rows += [{"label": v, "kind": "facilitator", "id": k} for k, v in self.facilitators.items()]
        return pd.DataFrame(rows, columns=["label", "kind", "id"])


def _facilitator_labels(results: AnalysisResults) -> dict[str, str]:
    fac = results.table.facilitators
    present = fac[fac.notna()].astype(str)
    present = present[~present.isin(["", "nan", "None", "<NA>"])]
    if present.empty:
        return {}
    first = {f: i for i, f in enumerate(dict.fromkeys(present))}
    sizes = present.value_counts()
    order = sorted(sizes.index, key=lambda f: (-int(sizes[f]), first[f]))
    return {str(f): f"facilitator {i}" for i, f in enumerate(order, start=1)}


def pseudonyms(results: AnalysisResults, *, show_ids: bool = False) -> Pseudonyms:
    """The labels of every participant and facilitator of ``results`` (module docstring)."""
    ids = [str(i) for i in results.table.values.index]
    for problem in results.qc.problems:
        ids.extend(m.group(2) for m in _QUOTED.finditer(problem.message))
    unique = list(dict.fromkeys(ids))
    return Pseudonyms(
        show_ids=show_ids,
        participants={pid: case_label(i) for i, pid in enumerate(unique)},
        facilitators=_facilitator_labels(results),
    )
