"""A draft ``format = "redcap"`` study file from a REDCap data dictionary (``patalliance init
--from-redcap``).

Each instrument of the dictionary whose numbered fields (``prefix1`` … ``prefixN``) match a
shipped scoring key, by form name, field prefix or abbreviation, becomes a measure. The
records export, when given, adds the events (timepoints) and the arms. The draft lists what
it inferred and what it could not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from patalliance.errors import ConfigError
from patalliance.io.redcap_dictionary import ARM_SUFFIX, Dictionary, norm, read_dictionary
from patalliance.io.tidy import read_table

if TYPE_CHECKING:
    from patalliance.instruments.key import InstrumentKey

_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<item>\d+)$")


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


def draft_study(dictionary: Path, *, records: Path | None = None) -> Draft:
    """Draft a ``format = "redcap"`` study file from a data dictionary (and, optionally, the
    records export, which gives the events and arms).

    Each instrument of the dictionary whose numbered fields (``prefix1`` … ``prefixN``) match a
    shipped scoring key, by form name, field prefix or abbreviation, becomes a measure.

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
    groups = _numbered_groups(dic)
    found = _match_instruments(groups, builtin_keys(), notes)
    mapped_forms = {f for f, _ in found.values()}
    for form in dic.forms:
        if form not in mapped_forms and any(g[0] == form for g in groups):
            notes.not_inferred.append(
                f"form {form!r}: numbered fields that match no shipped scoring key; add a user "
                "key and map it in [data.redcap.fields]"
            )
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


def _numbered_groups(dic: Dictionary) -> dict[tuple[str, str], list[int]]:
    """The item numbers of every (form, field prefix) with numbered answer fields."""
    groups: dict[tuple[str, str], list[int]] = {}
    for name in dic.fields:
        m = _NUMBERED.match(name)
        if m and dic.type_of.get(name) not in {"descriptive", "calc", "checkbox"}:
            groups.setdefault((dic.form_of[name], m["prefix"]), []).append(int(m["item"]))
    return groups


def _match_instruments(
    groups: Mapping[tuple[str, str], list[int]],
    keys: Mapping[str, InstrumentKey],
    notes: _Notes,
) -> dict[str, tuple[str, str]]:
    """The shipped key each group of numbered fields is, as instrument → (form, prefix)."""
    aliases: dict[str, str] = {}
    for kid, key in keys.items():
        aliases[norm(kid)] = kid
        aliases[norm(key.instrument.abbreviation)] = kid
        aliases[norm(key.instrument.abbreviation).replace("_", "")] = kid
    found: dict[str, tuple[str, str]] = {}  # instrument → (form, prefix)
    for (form, prefix), items in groups.items():
        candidates = [norm(prefix), norm(prefix).replace("_", ""), norm(form)]
        match = next((aliases[c] for c in candidates if c in aliases), None)
        if match is None and norm(prefix):
            # a shortened prefix ("meq_" for meq30) with exactly the key's number of items
            close = [
                kid
                for kid, key in keys.items()
                if any(
                    a.startswith(norm(prefix))
                    for a in (norm(kid), norm(key.instrument.abbreviation))
                )
                and key.instrument.n_items == len(set(items))
            ]
            match = close[0] if len(close) == 1 else None
        if match is None or match in found:
            continue
        kid = match
        n = keys[kid].instrument.n_items
        if sorted(set(items)) != list(range(1, n + 1)):
            notes.not_inferred.append(
                f"form {form!r}: fields {prefix}1.. look like {kid}, but items "
                f"{min(items)}..{max(items)} do not match its {n} items; check the mapping"
            )
        found[kid] = (form, prefix)
        notes.inferred.append(f"instrument {kid}: form {form!r}, fields {prefix}1..{prefix}{n}")
    return found


def _read_events(records: Path, found: Mapping[str, tuple[str, str]], notes: _Notes) -> _Events:
    """Events, arms and the timepoints of each instrument, from the records export."""
    out = _Events()
    frame, rec_problems = read_table(records, role="REDCap records")
    if rec_problems:
        raise ConfigError("; ".join(f"{p.file}: {p.message}" for p in rec_problems))
    if "redcap_event_name" in frame.columns:
        out.events = list(dict.fromkeys(frame["redcap_event_name"].str.strip()))
        for event in out.events:
            m = ARM_SUFFIX.search(event)
            if m and (m.group(1) or m.group(2)) not in out.arm_numbers:
                out.arm_numbers.append(m.group(1) or m.group(2))
        for kid, (_, prefix) in found.items():
            cols = [c for c in frame.columns if _NUMBERED.match(c) and c.startswith(prefix)]
            rows = frame[(frame[cols] != "").any(axis=1)] if cols else frame.iloc[0:0]
            tps = [_timepoint_id(e) for e in dict.fromkeys(rows["redcap_event_name"].str.strip())]
            out.tp_of_instrument[kid] = list(dict.fromkeys(tps))
        notes.inferred.append(f"{len(out.events)} event(s) from {records.name}")
    if "redcap_repeat_instrument" in frame.columns and "redcap_repeat_instance" in frame.columns:
        repeating = frame[frame["redcap_repeat_instrument"].str.strip() != ""]
        for rform, grp in repeating.groupby("redcap_repeat_instrument"):
            instances = sorted(set(grp["redcap_repeat_instance"].str.strip()), key=_sort_key)
            notes.not_inferred.append(
                f"repeating form {rform!r}: instances {', '.join(instances)} need timepoints; "
                f'add [data.redcap.repeats.{rform}] with "1" = "<timepoint>", ...'
            )
    else:
        notes.not_inferred.append("events: the records file has no redcap_event_name column")
    return out


def _study_text(
    dic: Dictionary,
    dictionary: Path,
    records: Path | None,
    found: Mapping[str, tuple[str, str]],
    info: _Events,
) -> str:
    """The drafted study file."""
    events, arm_numbers = info.events, info.arm_numbers
    timepoints = list(dict.fromkeys(_timepoint_id(e) for e in events)) or ["baseline"]
    lines = [
        "# Drafted by `patalliance init --from-redcap`: check every mapping before use.",
        "[study]",
        'id = "redcap_study"',
        'title = "Study drafted from a REDCap data dictionary"',
        "",
        "[arms]",
    ]
    for arm_no in arm_numbers or ["1"]:
        lines.append(f'arm_{arm_no} = {{ label = "REDCap arm {arm_no} (rename)" }}')
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
    lines += [f'"{e}" = "{_timepoint_id(e)}"' for e in events]
    if arm_numbers:
        lines += ["", "[data.redcap.arms]"] + [f'"{n}" = "arm_{n}"' for n in arm_numbers]
    overrides = [(k, p) for k, (_, p) in found.items() if p != f"{k}_"]
    if overrides:
        lines += ["", "[data.redcap.fields]"] + [f'{k} = "{p}{{item}}"' for k, p in overrides]
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


def _timepoint_id(event: str) -> str:
    """``"week_1_arm_2"`` → ``"week_1"``: an event's name without its arm suffix."""
    base = ARM_SUFFIX.sub("", event).strip()
    ident = norm(base) or "event"
    return ident if ident[0].isalpha() else f"t_{ident}"
