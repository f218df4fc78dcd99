"""Shared plumbing of the command line: error handling, consoles and progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from rich.console import Console

from patalliance.errors import PatallianceError
from patalliance.safe_output import Interrupted, committed_outputs, defer_signal

P = ParamSpec("P")
R = TypeVar("R")

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DEBUG = {"on": False}


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn patalliance errors into one clear stderr line and the documented exit code.

    Exit codes (docs/validation.md): 0 success, 1 data failed validation, 2 usage or configuration
    error. Unexpected exceptions exit 2 with a one-line message unless ``--debug`` is given.
    """

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PatallianceError as exc:
            if DEBUG["on"]:
                raise
            err_console.print(f"[bold red]error:[/] {escape(exc)}", markup=True, emoji=False)
            raise SystemExit(exc.exit_code) from None
        except Interrupted as exc:
            done = committed_outputs()
            if not done:
                err_console.print("interrupted; no outputs written", markup=False)
            else:
                where = ", ".join(str(path) for path in done)
                err_console.print(
                    f"interrupted after the outputs were complete; they are in {where}",
                    markup=False,
                )
            raise SystemExit(128 + exc.signum) from None
        except KeyboardInterrupt:
            if DEBUG["on"]:
                raise
            err_console.print("interrupted", markup=False)
            raise SystemExit(130) from None
        except SystemExit:
            raise
        except OSError as exc:
            # a file that cannot be read or written (a folder where a file is expected, a
            # folder that cannot be created, no permission): a usage error naming the path.
            if DEBUG["on"]:
                raise
            err_console.print(
                f"[bold red]error:[/] {escape(describe_os_error(exc))}", markup=True, emoji=False
            )
            raise SystemExit(2) from None
        except Exception as exc:
            if DEBUG["on"]:
                raise
            err_console.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}. "
                "Rerun with --debug for the traceback and report it.",
                markup=True,
                emoji=False,
            )
            raise SystemExit(2) from None

    return wrapper


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` inside the block (handled by
    :func:`handle_errors`: "interrupted; no outputs written", exit 130 or 143)."""
    import signal

    def _raise(signum: int, frame: object) -> None:
        if not defer_signal(signum):  # held while an output is renamed into place
            raise Interrupted(signum)

    wanted = [getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n)]
    previous = {signum: signal.signal(signum, _raise) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def interruptible_command(func: Callable[P, R]) -> Callable[P, R]:
    """Run the whole command under :func:`interruptible` (below :func:`handle_errors`)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with interruptible():
            return func(*args, **kwargs)

    return wrapper


def describe_os_error(exc: OSError) -> str:
    """``PATH: reason`` for a file-system error, with a hint for the common cases."""
    path = exc.filename if exc.filename is not None else exc.filename2
    reason = exc.strerror or str(exc)
    if isinstance(exc, IsADirectoryError):
        hint = "it is a folder, but a file is expected here"
    elif isinstance(exc, NotADirectoryError):
        hint = "a part of this path is a file, but a folder is expected there"
    elif isinstance(exc, FileExistsError):
        hint = "a file of that name is in the way of a folder"
    elif isinstance(exc, PermissionError):
        hint = "permission denied"
    elif isinstance(exc, FileNotFoundError):
        hint = "no such file or folder, or its folder cannot be created"
    else:
        hint = reason
    return f"{path}: {hint} ({reason})." if path is not None else f"{hint}."


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on a terminal; silent when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield lambda advance: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda advance: progress.advance(task, advance)


def escape(text: Any) -> str:
    """User-provided text made safe to print: control characters escaped, cut, no markup."""
    from rich.markup import escape as _escape

    from patalliance._text import cut_message, escape_controls

    return _escape(cut_message(escape_controls(str(text), keep_newlines=True), limit=4000))
