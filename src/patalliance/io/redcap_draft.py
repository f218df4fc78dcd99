"""A draft ``format = "redcap"`` study file from a REDCap data dictionary (``patalliance init
--from-redcap``).

Each form of the dictionary whose numbered fields (``prefix1`` … ``prefixN``) match a shipped
scoring key, by item count, choice ranges, form name and field prefix
(:mod:`patalliance.io.redcap_keys`), becomes a measure. The records export, when given, adds the events (timepoints) and the arms. The draft lists what
it inferred and what it could not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from patalliance.errors import ConfigError
from patalliance.io.redcap_dictionary import (
    ARM_SUFFIX,
    Dictionary,
    arm_label,
    read_dictionary,
    timepoint_id,
)
from patalliance.io.redcap_keys import (
    MARGIN,
    SURE_AT,
    Candidate,
    FieldGroup,
    Recognition,
    numbered_groups,
    recognise,
)
from patalliance.io.tidy import read_table

if TYPE_CHECKING:
    from patalliance.instruments.key import InstrumentKey

#: A recognised instrument: its group of fields and the winning candidate.
_Match = tuple[FieldGroup, Candidate]


@dataclass(frozen=True)
class Draft:
    """A drafted study file and the notes on what could not be inferred."""

    text: str
    inferred: tuple[str, ...]
    not_inferred: tuple[str, ...]


@dataclass
class _Notes:
    """What the draft inferred, and what it could not, in the order found."""

    inferred: list[str] = field(default_factory=list)
    not_inferred: list[str] = field(default_factory=list)


@dataclass
class _Events:
    """What the records export tells: events, REDCap arm numbers, timepoints per instrument."""

    events: list[str] = field(default_factory=list)
    arm_numbers: list[str] = field(default_factory=list)
    tp_of_instrument: dict[str, list[str]] = field(default_factory=dict)
    arm_labels: dict[str, str] = field(default_factory=dict)


def draft_study(dictionary: Path, *, records: Path | None = None) -> Draft:
    """Draft a ``format = "redcap"`` study file from a data dictionary (and, optionally, the
    records export, which gives the events and arms).

    Each group of numbered fields (``prefix1`` … ``prefixN`` in one form) is compared with every
    shipped scoring key by item count, choice ranges, form name and field prefix
    (:mod:`patalliance.io.redcap_keys`); the best match becomes a measure, with its field
    pattern in ``[data.redcap.fields]`` and the reason in the notes.

    Raises
    ------
    ConfigError
        When the dictionary cannot be read.
    """
    from patalliance.instruments.key import builtin_keys

    dic, problems = read_dictionary(dictionary)
    if dic is None:
        raise ConfigError("; ".join(f"{p.file}: {p.message}" for p in problems))
    notes = _Notes()
    found = _match_instruments(dic, builtin_keys(), notes)
    if not found:
        notes.not_inferred.append("no instrument: no numbered fields matched a shipped scoring key")
    events = _Events()
    if records is not None:
        events = _read_events(records, found, notes)
    else:
        notes.not_inferred.append(
            "events and timepoints: the data dictionary does not list events; give the "
            "records export (--records) or fill in [data.redcap.events] by hand"
        )
    if not events.arm_numbers:
        notes.not_inferred.append(
            "arms: no _arm_N event suffix found; set [data.redcap] arm_field or a participants file"
        )
    text = _study_text(dic, dictionary, records, found, events)
    return Draft(text, tuple(notes.inferred), tuple(notes.not_inferred))


def _match_instruments(
    dic: Dictionary, keys: Mapping[str, InstrumentKey], notes: _Notes
) -> dict[str, _Match]:
    """The shipped key each group of numbered fields is, as instrument → (group, candidate).

    Groups are assigned best score first; a key goes to one group only.
    """
    recognised = [recognise(group, dic, keys) for group in numbered_groups(dic)]
    found: dict[str, _Match] = {}
    mapped = [(rec, rec.best) for rec in recognised if rec.best is not None]
    for rec, best in sorted(mapped, key=lambda pair: -pair[1].score):
        if best.key in found:
            other = found[best.key][0]
            notes.not_inferred.append(
                f"{rec.group.label}: these fields also look like {best.summary}, which is mapped to "
                f"form {other.form!r}; map this form's fields one by one in [data.redcap.fields] "
                f'({rec.group.prefix}1 = "{best.key}:1", one line per item)'
            )
            continue
        found[best.key] = (rec.group, best)
    for rec in recognised:
        top = rec.best
        if top is not None and found[top.key][0] is rec.group:
            _note_match(rec, top, keys[top.key].instrument.n_items, notes)
        elif top is None:
            closest = "; ".join(c.summary for c in rec.candidates[:3])
            notes.not_inferred.append(
                f"{rec.group.label}: numbered fields that match no shipped scoring key"
                + (f" well enough (closest: {closest})" if closest else "")
                + "; add a user key and map it in [data.redcap.fields]"
            )
    # the dictionary's order, not the score's
    groups = [r.group for r in recognised]
    return dict(sorted(found.items(), key=lambda kv: groups.index(kv[1][0])))


def _note_match(rec: Recognition, best: Candidate, n: int, notes: _Notes) -> None:
    group = rec.group
    notes.inferred.append(
        f"instrument {best.key}: form {group.form!r}, fields {group.prefix}1..{group.prefix}{n} "
        f"({best.reason}; score {best.score:.1f} of 10)"
    )
    if not best.items_exact:
        left_out = (
            f"; fields {', '.join(f'{group.prefix}{i}' for i in best.extra_items)} are not "
            "among its items and are left out"
            if best.extra_items
            else ""
        )
        notes.not_inferred.append(
            f"form {group.form!r}: fields {group.prefix}1.. look like {best.key}, but items "
            f"{group.items[0]}..{group.items[-1]} do not match its {n} items{left_out}; check "
            "the mapping"
        )
    if not rec.sure:
        others = "; ".join(c.summary for c in rec.runner_ups) or "none"
        notes.not_inferred.append(
            f"form {group.form!r}: unsure that it is {best.key} (score {best.score:.1f} of 10, "
            f"sure from {SURE_AT:.0f} with the runner-up at least {MARGIN} below); other "
            f"candidates: {others}; check [data.redcap.fields] and [measures.{best.key}]"
        )


def _read_events(records: Path, found: Mapping[str, _Match], notes: _Notes) -> _Events:
    """Events, arms and the timepoints of each instrument, from the records export."""
    out = _Events()
    frame, rec_problems = read_table(records, role="REDCap records")
    if rec_problems:
        raise ConfigError("; ".join(f"{p.file}: {p.message}" for p in rec_problems))
    has_repeats = {"redcap_repeat_instrument", "redcap_repeat_instance"} <= set(frame.columns)
    if "redcap_event_name" in frame.columns:
        event = frame["redcap_event_name"].str.strip()
        out.events = list(dict.fromkeys(event))
        for name in out.events:
            m = ARM_SUFFIX.search(name)
            number = (m.group(1) or m.group(2)) if m else None
            if number is not None and number not in out.arm_numbers:
                out.arm_numbers.append(number)
                out.arm_labels[number] = arm_label(name)
        for kid, (group, _) in found.items():
            cols = [f"{group.prefix}{i}" for i in group.items if f"{group.prefix}{i}" in frame]
            rows = event[(frame[cols] != "").any(axis=1)] if cols else event.iloc[0:0]
            tps = [timepoint_id(e) for e in dict.fromkeys(rows)]
            out.tp_of_instrument[kid] = list(dict.fromkeys(tps))
        notes.inferred.append(f"{len(out.events)} event(s) from {records.name}")
    elif not has_repeats:
        notes.not_inferred.append(
            f"events: {records.name} has no redcap_event_name column (not a longitudinal "
            "export); put the timepoint in the field patterns ({timepoint}) or export the "
            "records of a longitudinal project"
        )
    if has_repeats:
        repeating = frame[frame["redcap_repeat_instrument"].str.strip() != ""]
        for rform, grp in repeating.groupby("redcap_repeat_instrument"):
            instances = sorted(set(grp["redcap_repeat_instance"].str.strip()), key=_sort_key)
            notes.not_inferred.append(
                f"repeating form {rform!r}: instances {', '.join(instances)} need timepoints; "
                f'add [data.redcap.repeats.{rform}] with "1" = "<timepoint>", ...'
            )
    return out


def _study_text(
    dic: Dictionary,
    dictionary: Path,
    records: Path | None,
    found: Mapping[str, _Match],
    info: _Events,
) -> str:
    """The drafted study file."""
    events, arm_numbers = info.events, info.arm_numbers
    timepoints = list(dict.fromkeys(timepoint_id(e) for e in events)) or ["baseline"]
    lines = [
        "# Drafted by `patalliance init --from-redcap`: check every mapping before use.",
        "[study]",
        'id = "redcap_study"',
        'title = "Study drafted from a REDCap data dictionary"',
        "",
        "[arms]",
    ]
    for arm_no in arm_numbers or ["1"]:
        label = info.arm_labels.get(arm_no) or f"REDCap arm {arm_no} (rename)"
        lines.append(f"arm_{arm_no} = {{ label = {json.dumps(label)} }}")
    for tp in timepoints:
        lines += ["", "[[timepoints]]", f'id = "{tp}"']
    lines += [
        "",
        "[data]",
        'format = "redcap"',
        "",
        "[data.redcap]",
        f'records = "{records.name if records is not None else "records.csv"}"',
        f'dictionary = "{dictionary.name}"',
        f'id_field = "{dic.fields[0]}"',
        "",
        "[data.redcap.events]",
    ]
    lines += [f"{json.dumps(e)} = {json.dumps(timepoint_id(e))}" for e in events]
    if arm_numbers:
        lines += ["", "[data.redcap.arms]"] + [f'"{n}" = "arm_{n}"' for n in arm_numbers]
    overrides = [(k, g, c) for k, (g, c) in found.items() if g.prefix != f"{k}_" or c.extra_items]
    if overrides:
        lines += ["", "[data.redcap.fields]"]
    for kid, group, cand in overrides:
        lines.append(f"# form {group.form!r}: {cand.reason}")
        if not cand.extra_items:
            lines.append(f'{kid} = "{group.prefix}{{item}}"')
            continue
        # a pattern would also take the fields beyond the key's items: one line per item
        lines += [
            f'{group.prefix}{i} = "{kid}:{i}"' for i in group.items if i not in cand.extra_items
        ]
    for kid in found:
        tps = info.tp_of_instrument.get(kid) or timepoints
        lines += [
            "",
            f"[measures.{kid}]",
            f'instrument = "{kid}"',
            "timepoints = [" + ", ".join(f'"{t}"' for t in tps) + "]",
        ]
    return "\n".join(lines) + "\n"


def _sort_key(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 30, text)
