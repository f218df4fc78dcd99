"""Exceptions that the command line turns into clear messages and exit codes.

``ConfigError`` (exit 2) covers usage and configuration mistakes: a bad study file, a missing
data file, an unknown variable in the plan. ``DataValidationError`` (exit 1) means the data
failed validation; it carries the full :class:`~patalliance.qc.ValidationReport`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

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


def format_pydantic_error(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """One plain sentence per problem, each naming the key path: ``key.path: sentence``.

    ``model`` (the model that was validated) adds did-you-mean suggestions for unknown keys
    and hides pydantic's union tags; see :mod:`patalliance.config_messages`.
    """
    from patalliance.config_messages import explain  # pydantic only when a message is needed

    return explain(exc, model)
