"""Help screens that show flags as flags and arguments by name.

typer's help shows the type of every parameter: a flag such as ``--lenient`` appears as
``--lenient <bool>`` and a required argument as ``{study}`` on the usage line, as if both took
values. :func:`use_plain_help` gives every command of an app a command class whose flags have
no type shown and whose arguments are named in capitals (``STUDY``), without braces.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

_REQUIRED_ARGUMENT = re.compile(r"^\{(.+)\}(\.\.\.)?$")


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # a flag takes no value: nothing in the type column
        elif isinstance(param, TyperArgument) and param.metavar is None and param.name:
            param.metavar = param.name.upper()
    return params


class _PlainHelp:
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))  # type: ignore[misc]

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        _plain(self.get_params(ctx))
        pieces: list[str] = super().collect_usage_pieces(ctx)  # type: ignore[misc]
        return [_REQUIRED_ARGUMENT.sub(r"\1\2", piece) for piece in pieces]


class PlainHelpCommand(_PlainHelp, TyperCommand):
    """A typer command whose help shows flags as flags and arguments by name."""


class PlainHelpGroup(_PlainHelp, TyperGroup):
    """A typer group whose help shows flags as flags and arguments by name."""


def use_plain_help(app: typer.Typer) -> None:
    """Give ``app``, its commands and its sub-apps the plain help classes."""
    app.info.cls = PlainHelpGroup
    for command in app.registered_commands:
        if command.cls in {None, TyperCommand}:
            command.cls = PlainHelpCommand
    for group in app.registered_groups:
        group.cls = PlainHelpGroup
        if group.typer_instance is not None:
            use_plain_help(group.typer_instance)
