"""The status of an estimate: one vocabulary for every family of results.

Statuses are an enum, not free strings, so that a typo is an error and the report can decide
what to print from the value alone. They are written to ``results.json`` as their string
values (documented in ``docs/results-json.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Note", "Status"]


class Status(StrEnum):
    """The status of one estimate, model or family.

    - ``ok``: estimated as planned;
    - ``partial``: some of the planned estimates could not be made (see ``reason``);
    - ``not_estimable``: the data do not allow the estimate (too few cases, no variance,
      a singular design); the numbers are missing;
    - ``not_converged``: a model's optimizer did not converge; its numbers are shown flagged
      and never counted as a finding;
    - ``singular``: a mixed model at the boundary (a variance component estimated as zero).
    """

    OK = "ok"
    PARTIAL = "partial"
    NOT_ESTIMABLE = "not_estimable"
    NOT_CONVERGED = "not_converged"
    SINGULAR = "singular"


@dataclass(frozen=True)
class Note:
    """A warning or remark attached to a result: a stable ``code`` and one plain sentence.

    The codes are listed in ``docs/results-json.md``. Raw messages of the libraries behind an
    estimate never reach a note; they are logged at debug level (``--debug``).
    """

    code: str
    message: str

    def __str__(self) -> str:
        return self.message
