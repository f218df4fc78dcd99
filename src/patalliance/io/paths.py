"""Only regular files are read as data.

A path in the study file's ``[data]`` table that names a folder, a named pipe (FIFO), a device
(``/dev/zero``), a socket or nothing at all is a configuration error (exit 2) that names the
key. A FIFO would block the read forever and a device would never end, so the check looks at
the file's type (``os.stat``, following links) before anything is opened.
"""

from __future__ import annotations

import stat
from pathlib import Path

from patalliance.errors import ConfigError

#: The study-file key behind each reader role, for messages.
KEYS = {
    "responses": "[data] responses",
    "participants": "[data] participants",
    "scores": "[data] scores",
    "REDCap records": "[data.redcap] records",
    "REDCap data dictionary": "[data.redcap] dictionary",
    "wide data": "[data] file",
    "SDTM dataset": "[data.sdtm]",
}


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def require_regular_file(path: Path, *, role: str) -> None:
    """Raise a :class:`ConfigError` naming the study-file key unless ``path`` is a regular file.

    Raises
    ------
    ConfigError
        When ``path`` does not exist or is a folder, FIFO, device or socket.
    """
    key = KEYS.get(role, "[data]")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: {role} file not found. Check {key} in the study file; paths are "
            "relative to the study file."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: the {role} file cannot be read ({exc.strerror}). Check {key} in the "
            "study file."
        ) from None
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"{path}: the {role} file is {_kind(mode)}, not a regular file; {key} in the study "
            "file must name a data file (CSV, Parquet, Excel, SPSS, Stata or SAS)."
        )
