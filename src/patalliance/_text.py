"""Text from data files made safe to show: control characters escaped, long cells cut.

Every message about the data (the QC report, stderr) passes through :func:`escape_controls`,
so a participant id holding a terminal escape code (ESC, ``\\x1b``) or a bidirectional override
is shown as its escape sequence and never acts on the terminal. A cell quoted in a message is
shown by :func:`show_cell`: quoted, escaped, and cut to :data:`MAX_CELL` characters. This
module imports nothing else of patalliance.
"""

from __future__ import annotations

import re

#: The most characters of one cell that a message quotes.
MAX_CELL = 80

#: The longest message; a longer one is cut (a safety net behind :func:`show_cell`).
MAX_MESSAGE = 1000

# C0 and C1 control characters, DEL, and the Unicode line/paragraph separators and
# bidirectional controls (which reorder how a terminal shows the rest of the line).
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_CONTROL_KEEP_LINES = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    r"""``text`` with every control character written as its escape (ESC becomes ``\x1b``).

    With ``keep_newlines``, line feeds and tabs are kept (for multi-line messages).
    """
    pattern = _CONTROL_KEEP_LINES if keep_newlines else _CONTROL
    return pattern.sub(_escaped, text)


def cut_message(text: str, *, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to at most ``limit`` characters, saying so when it was cut.

    Cutting is idempotent: a cut message is not longer than ``limit``.
    """
    if len(text) <= limit:
        return text
    tail = f"… (message cut; {len(text)} characters)"
    return text[: limit - len(tail)] + tail


def safe_message(text: str, *, keep_newlines: bool = False) -> str:
    """A message as it may be shown: control characters escaped, then cut."""
    return cut_message(escape_controls(text, keep_newlines=keep_newlines))


def show_cell(value: object) -> str:
    r"""A cell as a message quotes it: in quotes, escaped, cut to :data:`MAX_CELL` characters.

    >>> print(show_cell("P01"))
    'P01'
    >>> print(show_cell("\x1b[31mred"))
    '\x1b[31mred'
    >>> print(show_cell("x" * 100)[-30:])
    xxxxxx'… (cut; 100 characters)
    """
    text = str(value)
    if len(text) <= MAX_CELL:
        return escape_controls(repr(text))
    return escape_controls(repr(text[:MAX_CELL])) + f"… (cut; {len(text)} characters)"
