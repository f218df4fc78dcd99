"""The item-response rows being checked, and how their problems are reported."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from patalliance.qc import Problem
from patalliance.validate._collector import Collector, Table
from patalliance.validate.coded import Coded
from patalliance.validate.undeclared import pair_problems


@dataclass(frozen=True)
class Rows:
    """The response rows being checked (``active``), with their coded cells."""

    table: Table
    active: np.ndarray
    col: Collector

    @property
    def pid(self) -> Coded:
        return self.table["participant_id"]

    @property
    def tp(self) -> Coded:
        return self.table["timepoint"]

    @property
    def inst(self) -> Coded:
        return self.table["instrument"]

    def add(
        self,
        mask: np.ndarray,
        *,
        column: str,
        code: str,
        message: str | Iterable[str] = "",
        per_pair: Callable[[str, str], str] | None = None,
        exclude: bool = False,
    ) -> None:
        """Report the rows of ``mask`` (errors: each row is excluded for its first reason).

        With ``per_pair`` (the reason of an (instrument, timepoint) pair), one problem per
        pair instead of one per row (:mod:`.undeclared`); the rows are excluded for ``code``
        also when ``exclude`` makes the problem a warning.
        """
        if per_pair is None:
            self.col.add_rows(self.table, mask, column=column, code=code, message=message)
            return
        found = pair_problems(
            self.table,
            mask,
            inst=self.inst,
            tp=self.tp,
            why=per_pair,
            lines=self.col.lines,
            exclude=exclude,
        )
        for p in found:
            self.col.problems.append(
                Problem(p.file, p.row, column, code, p.message, p.severity, p.line)
            )
        self.table.reasons.exclude(mask, code)
