"""Validation: every problem in the data, collected at once, and an account of every row.

Each problem records file, row (1-based line; the header is line 1), column, a code and a
message that says how to fix it. Under the strict policy (default) any error fails
validation. Under the lenient policy the rows with errors are excluded, each with its reason.
Either way ``rows_read == rows_used + rows_excluded``.

The report model (:class:`Problem`, :class:`ValidationReport`) lives in :mod:`patalliance.qc`;
:func:`validate` runs the checks: participants (:mod:`.participants`), item responses
(:mod:`.responses`) and pre-scored totals (:mod:`.prescored`). The codes are listed in
``docs/validation.md``.
"""

from __future__ import annotations

from patalliance.qc import Policy, Problem, Severity, ValidationReport
from patalliance.validate.core import ValidatedData, validate

__all__ = [
    "Policy",
    "Problem",
    "Severity",
    "ValidatedData",
    "ValidationReport",
    "validate",
]
