"""results.json text: the fast indented writer gives exactly the standard library's text."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patalliance.json_text import dumps_indented


def reference(doc: Any) -> str:
    """The oracle: the standard library's pure-Python indented encoder."""
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)


TRICKY = [
    {},
    [],
    {"a": []},
    {"a": {}},
    [{"id": "P1, P2", "r": 0.5}, {"id": 'q"u\\o\nte', "r": -0.0}],
    [{"%s": 1, "k%d": 2.5}, {"%s": 3, "k%d": 1e16}],
    [{"x": True, "y": None}, {"x": False, "y": 12345678901234567890}],
    [{"x": 1e-300, "y": "é—😀\u2028"}, {"x": 5e-324, "y": "\x00\x1f"}],
    [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
    [{"a": 1}, {"a": 1, "b": 2}],
    [{"a": [1, 2]}, {"a": [3]}],
    [{"a": {"b": 1}}, {"a": {"b": 2}}],
    [{"a": 1.5}, {"a": "text"}],
    [{}, {}],
    [{"a": 1}],
    [{"a": 1}, [1, 2], "x", None],
    [{7: "int key", 2.5: "float key", True: "bool", None: "none"}] * 2,
    {"t": (1, (2, 3), ({"a": 1}, {"a": 2}))},
    [["nested", ["lists"]], [[], {}]],
    {
        "leave_one_out": [
            {"participant_id": f"P{i:04d}", "r": i / 7, "p": 10.0**-i} for i in range(50)
        ]
    },
    "text",
    1.25,
    None,
]


@pytest.mark.parametrize("doc", TRICKY)
def test_same_text_as_json_module(doc: Any) -> None:
    assert dumps_indented(doc) == reference(doc)


def test_non_finite_numbers_are_refused_like_json() -> None:
    for doc in ([{"a": math.nan}, {"a": 1.0}], {"a": math.inf}):
        with pytest.raises(ValueError):
            reference(doc)
        with pytest.raises(ValueError):
            dumps_indented(doc)


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
_RECORD = st.dictionaries(st.sampled_from(["id", "r", "p", "%", ", "]), _SCALARS, max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        _SCALARS | st.lists(_RECORD, max_size=5),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_random_documents(doc: Any) -> None:
    assert dumps_indented(doc) == reference(doc)
