"""Shared helpers of the ``make_*.py`` scripts: versions, and a stable JSON writer.

Uses only the standard library and numpy, never ``patalliance``: the frozen values must not
depend on the code they check.
"""

from __future__ import annotations

import json
import math
import platform
import re
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def versions(*names: str) -> dict[str, str]:
    """``{"python": ..., "numpy": ..., name: version, ...}`` of the libraries that made a file."""
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for name in names:
        module = __import__(name)
        out[name] = module.__version__
    return out


def plain(value: Any) -> Any:
    """``value`` as JSON-ready Python objects: arrays become lists and NaN becomes ``None``."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        x = float(value)
        return None if math.isnan(x) else x
    return value


# a JSON list of scalars (numbers, null, true/false, strings without brackets or braces)
_FLAT_LIST = re.compile(r'\[\s*((?:[^\[\]{}"]|"[^"\[\]{}]*")*?)\s*\]', re.DOTALL)


def dump(obj: dict[str, Any], name: str) -> Path:
    """Write ``obj`` to ``tests/reference/<name>``, byte-stable, numbers at full precision.

    Floats are written with ``repr`` (the shortest string that reads back to the same double),
    so the JSON holds every value at full float precision. Lists of plain numbers are kept on
    one line so that data columns and index matrices stay readable.
    """
    text = json.dumps(plain(obj), indent=2, allow_nan=False, ensure_ascii=True)
    # JSON strings hold no raw newline, so only the indentation between items is collapsed
    text = _FLAT_LIST.sub(lambda m: "[" + re.sub(r"\n\s*", " ", m.group(1)) + "]", text)
    path = HERE / name
    path.write_text(text + "\n", encoding="utf-8")
    return path
