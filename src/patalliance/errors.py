"""Exceptions that the command line turns into clear messages and exit codes.

``ConfigError`` (exit 2) covers usage and configuration mistakes: a bad study file, a missing
data file, an unknown variable in the plan. ``DataValidationError`` (exit 1) means the data
failed validation; it carries the full :class:`~patalliance.qc.ValidationReport`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:
    from patalliance.qc import ValidationReport


class PatallianceError(Exception):
    """Base class of every error patalliance reports to a user."""

    exit_code = 2


class ConfigError(PatallianceError):
    """A usage or configuration error: exit code 2."""

    exit_code = 2


class DataValidationError(PatallianceError):
    """The data failed validation: exit code 1."""

    exit_code = 1

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class MissingDependencyError(ConfigError):
    """An optional dependency is not installed."""


def format_pydantic_error(exc: ValidationError) -> str:
    """One line per problem: ``key.path: message (got ...)``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        got = err.get("input")
        if err["type"] in {"missing"}:
            parts.append(f"{loc}: required key is missing")
        elif err["type"] == "extra_forbidden":
            parts.append(f"{loc}: unknown key (check the spelling)")
        else:
            text = f"{loc}: {msg}"
            if got is not None and not isinstance(got, dict | list):
                text += f" (got {got!r})"
            parts.append(text)
    return "; ".join(parts)
