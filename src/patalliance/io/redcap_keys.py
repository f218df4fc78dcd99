"""Which shipped scoring key a REDCap form's numbered fields are (``patalliance init
--from-redcap``).

Every group of numbered fields (``prefix1`` … ``prefixN`` in one form) is compared with every
scoring key on three grounds, and gets a score out of 10:

- **items** (up to 4): the share of item numbers the fields and the key have in common, out of
  all the item numbers of either (4 when the fields are exactly items 1 … n of the key);
- **ranges** (up to 3): the share of the key's items whose field has exactly the key's range
  for that item, read from the dictionary's choices (lowest and highest code), a slider's
  limits or a number field's validation limits;
- **name** (up to 3): 3 when the form name or the field prefix, in lower case without
  separators, is the key's id or abbreviation; otherwise 3 × (length of the shorter / length
  of the longer) when one contains the other (at least 3 characters); otherwise 0.

A key is mapped from a score of :data:`MAP_AT`. The match is *sure* when the best score is at
least :data:`SURE_AT` and the runner-up is at least :data:`MARGIN` below it; otherwise the
draft lists the runner-ups (every key scoring :data:`LIST_AT` or more). The rule is documented
in ``docs/data-formats.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patalliance.io.redcap_dictionary import Dictionary, norm

if TYPE_CHECKING:
    from patalliance.instruments.key import InstrumentKey

ITEMS_WEIGHT = 4.0
RANGES_WEIGHT = 3.0
NAME_WEIGHT = 3.0
#: The lowest score that maps a form to a key.
MAP_AT = 6.0
#: The lowest best score that is sure (with the runner-up at least MARGIN below).
SURE_AT = 7.0
MARGIN = 1.5
#: The lowest score listed as a candidate.
LIST_AT = 3.0

_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<item>\d+)$")
_NOT_ANSWERS = {"descriptive", "calc", "checkbox", "file", "notes"}


@dataclass(frozen=True)
class FieldGroup:
    """The numbered answer fields of one form that share a prefix."""

    form: str
    prefix: str
    items: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"form {self.form!r}, fields {self.prefix}{self.items[0]}..{self.prefix}{self.items[-1]}"


@dataclass(frozen=True)
class Candidate:
    """A scoring key a group of fields may be, with its score out of 10 and the reason."""

    key: str
    score: float
    items_exact: bool
    reason: str
    #: the group's item numbers beyond the key's items (a 21-item form for a 17-item key)
    extra_items: tuple[int, ...] = ()

    @property
    def summary(self) -> str:
        return f"{self.key} ({self.reason}; score {self.score:.1f} of 10)"


@dataclass(frozen=True)
class Recognition:
    """The keys a group of fields may be, best first (those scoring at least LIST_AT)."""

    group: FieldGroup
    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate | None:
        return (
            self.candidates[0] if self.candidates and self.candidates[0].score >= MAP_AT else None
        )

    @property
    def sure(self) -> bool:
        best = self.best
        if best is None or best.score < SURE_AT:
            return False
        return len(self.candidates) < 2 or self.candidates[1].score <= best.score - MARGIN

    @property
    def runner_ups(self) -> tuple[Candidate, ...]:
        return self.candidates[1:]


def numbered_groups(dic: Dictionary) -> list[FieldGroup]:
    """The numbered answer fields of the dictionary, grouped by form and prefix, in its order."""
    groups: dict[tuple[str, str], list[int]] = {}
    for name in dic.fields:
        m = _NUMBERED.match(name)
        if m and m["prefix"] and dic.type_of.get(name) not in _NOT_ANSWERS:
            groups.setdefault((dic.form_of[name], m["prefix"]), []).append(int(m["item"]))
    return [FieldGroup(f, p, tuple(sorted(set(items)))) for (f, p), items in groups.items()]


def recognise(group: FieldGroup, dic: Dictionary, keys: Mapping[str, InstrumentKey]) -> Recognition:
    """Score every key against one group of fields; keep those scoring at least LIST_AT."""
    scored = [_candidate(group, dic, key) for key in keys.values()]
    scored.sort(key=lambda c: (-c.score, c.key))
    return Recognition(group, tuple(c for c in scored if c.score >= LIST_AT))


def field_range(dic: Dictionary, name: str) -> tuple[float, float] | None:
    """A field's lowest and highest value: its numeric choice codes or its limits."""
    codes = [_number(c) for c in dic.choices.get(name, {})]
    numbers = [c for c in codes if c is not None]
    if numbers:
        return (min(numbers), max(numbers))
    return dic.limits.get(name)


def _candidate(group: FieldGroup, dic: Dictionary, key: InstrumentKey) -> Candidate:
    n = key.instrument.n_items
    wanted = set(range(1, n + 1))
    have = set(group.items)
    items_share = len(have & wanted) / len(have | wanted)
    matched = 0
    given = 0
    for item in range(1, n + 1):
        rng = field_range(dic, f"{group.prefix}{item}") if item in have else None
        given += rng is not None
        matched += rng == (key.item_min[item], key.item_max[item])
    name_share, name_reason = _name_match(group, key)
    score = ITEMS_WEIGHT * items_share + RANGES_WEIGHT * matched / n + NAME_WEIGHT * name_share
    exact = have == wanted
    reasons = [
        f"{n} items" if exact else f"{len(have)} fields, {len(have & wanted)} of its {n} items"
    ]
    if matched == n:
        reasons.append(f"ranges {_ranges_text(key)} match {key.id}")
    elif given:
        reasons.append(f"ranges match {key.id} for {matched} of {n} items")
    else:
        reasons.append("no ranges in the dictionary")
    if name_reason:
        reasons.append(name_reason)
    extra = tuple(sorted(have - wanted))
    return Candidate(key.id, round(score, 6), exact, "; ".join(reasons), extra)


def _name_match(group: FieldGroup, key: InstrumentKey) -> tuple[float, str]:
    """The name share (0..1) and its reason: form name or field prefix against id/abbreviation."""
    aliases = {_compact(key.id), _compact(key.instrument.abbreviation)}
    best, reason = 0.0, ""
    names: Sequence[tuple[str, str]] = (("form name", group.form), ("field prefix", group.prefix))
    for what, text in names:
        mine = _compact(text)
        if len(mine) < 3:
            continue
        for alias in aliases:
            if mine == alias:
                share = 1.0
            elif mine in alias or alias in mine:
                share = min(len(mine), len(alias)) / max(len(mine), len(alias))
            else:
                continue
            if share > best:
                verb = "is" if share == 1.0 else "resembles"
                best, reason = share, f"{what} {text!r} {verb} {key.instrument.abbreviation}"
    return best, reason


def _compact(text: str) -> str:
    return norm(text).replace("_", "")


def _ranges_text(key: InstrumentKey) -> str:
    ranges = dict.fromkeys(
        (key.item_min[i], key.item_max[i]) for i in range(1, key.instrument.n_items + 1)
    )
    return "/".join(f"{_num(lo)}-{_num(hi)}" for lo, hi in ranges)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
