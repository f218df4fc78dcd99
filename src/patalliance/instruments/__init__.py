"""Instrument scoring keys (TOML data) and the one scoring engine that applies them.

Names are imported on first use, so reading the keys (``patalliance instruments``) does not
load the engine's numpy and pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patalliance.instruments.engine import scale_range, score_matrix, score_responses
    from patalliance.instruments.key import InstrumentKey, builtin_keys, load_key

_EXPORTS = {
    "scale_range": "patalliance.instruments.engine",
    "score_matrix": "patalliance.instruments.engine",
    "score_responses": "patalliance.instruments.engine",
    "InstrumentKey": "patalliance.instruments.key",
    "builtin_keys": "patalliance.instruments.key",
    "load_key": "patalliance.instruments.key",
}

__all__ = [
    "InstrumentKey",
    "builtin_keys",
    "load_key",
    "scale_range",
    "score_matrix",
    "score_responses",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'patalliance.instruments' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
