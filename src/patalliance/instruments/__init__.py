"""Instrument scoring keys (TOML data) and the one scoring engine that applies them."""

from patalliance.instruments.engine import scale_range, score_matrix, score_responses
from patalliance.instruments.key import InstrumentKey, builtin_keys, load_key

__all__ = [
    "InstrumentKey",
    "builtin_keys",
    "load_key",
    "scale_range",
    "score_matrix",
    "score_responses",
]
