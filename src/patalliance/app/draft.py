"""Draft a study file from tidy CSV uploads, and write study files back as TOML.

The Map and Plan steps edit the study as a plain dictionary (the parsed ``study.toml``) and
save it with :func:`dump_toml`; :func:`patalliance.load_study` then checks it as it checks any
hand-written study file.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

#: Measure names for the shipped instruments, as the paper names them.
MEASURE_NAMES = {
    "wai_sr": "alliance",
    "grid_hamd17": "depression",
    "qids_sr16": "depression_sr",
    "meq30": "mystical",
    "piq": "insight",
    "ebi": "breakthrough",
    "ceq": "challenging",
}
#: Instruments given once per dosing session, summarised by their peak.
ACUTE = {"meq30", "piq", "ebi", "ceq"}
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(prefix: str, table: dict[str, Any], lines: list[str]) -> None:
    for key, value in table.items():
        if not isinstance(value, dict) and not _is_table_list(value):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if isinstance(value, dict):
            lines.extend(["", f"[{name}]"])
            _table(name, value, lines)
        elif _is_table_list(value):
            for item in value:
                lines.extend(["", f"[[{name}]]"])
                _table(name, item, lines)


def dump_toml(doc: dict[str, Any]) -> str:
    """``doc`` as TOML text (tables and arrays of tables; no dates).

    >>> print(dump_toml({"study": {"id": "s1"}, "timepoints": [{"id": "t0"}]}))
    <BLANKLINE>
    [study]
    id = "s1"
    <BLANKLINE>
    [[timepoints]]
    id = "t0"
    <BLANKLINE>
    """
    lines: list[str] = []
    _table("", doc, lines)
    return "\n".join(lines) + "\n"


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _ordered(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def draft_from_tidy(folder: Path, *, title: str, responses: str, participants: str) -> str:
    """A study.toml for tidy CSV files in ``folder``: arms, timepoints and measures as found.

    Each instrument found in the responses becomes one measure, measured at the timepoints
    where it has answers; timepoints keep the order of their first appearance. The plan is
    left empty for the Plan step.
    """
    resp = _read_rows(folder / responses)
    parts = _read_rows(folder / participants)
    timepoints = _ordered([r.get("timepoint", "") for r in resp])
    arms = _ordered([r.get("arm", "") for r in parts])
    measures: dict[str, Any] = {}
    for instrument in _ordered([r.get("instrument", "") for r in resp]):
        seen = {r.get("timepoint", "") for r in resp if r.get("instrument") == instrument}
        name = MEASURE_NAMES.get(instrument, instrument)
        measure: dict[str, Any] = {
            "instrument": instrument,
            "timepoints": [t for t in timepoints if t in seen],
        }
        if instrument in ACUTE and len(measure["timepoints"]) > 1:
            measure["peak"] = "max"
        measures[name] = measure
    doc: dict[str, Any] = {
        "study": {"id": folder.name.replace("-", "_"), "title": title},
        "arms": {arm: {"label": arm} for arm in arms},
        "timepoints": [{"id": t, "label": t} for t in timepoints],
        "data": {"responses": responses, "participants": participants},
        "measures": measures,
        "analysis": {"confidence_level": 0.95, "seed": 20240314},
    }
    text = dump_toml(doc)
    (folder / "study.toml").write_text(text, encoding="utf-8")
    return text


def variables(doc: dict[str, Any]) -> list[str]:
    """Every ``measure.scale@timepoint`` the study defines (with ``@peak`` for peaks)."""
    from patalliance.instruments.key import builtin_keys

    keys = builtin_keys()
    out: list[str] = []
    for name, measure in doc.get("measures", {}).items():
        key = keys.get(measure.get("key") or measure.get("instrument", ""))
        scales = [s.id for s in key.scales] if key is not None else ["total"]
        tps = list(measure.get("timepoints", []))
        if measure.get("peak"):
            tps.append("peak")
        out.extend(f"{name}.{scale}@{tp}" for scale in scales for tp in tps)
    return out


def default_plan(doc: dict[str, Any]) -> dict[str, Any]:
    """The paper's plan for the measures at hand (Levin et al. 2024): change in alliance from
    its first to its last timepoint, and the alliance at each timepoint correlated with every
    other measure's total after baseline (its peak for acute measures)."""
    measures = doc.get("measures", {})
    alliance = next((n for n, m in measures.items() if m.get("instrument") == "wai_sr"), None)
    plan: dict[str, Any] = {"change": [], "correlations": []}
    if alliance is None:
        return plan
    a_tps = measures[alliance]["timepoints"]
    x = [f"{alliance}.total@{t}" for t in a_tps]
    if len(a_tps) > 1:
        plan["change"].append({"variable_from": x[0], "variable_to": x[-1]})
    y: list[str] = []
    for name, m in measures.items():
        if name == alliance:
            continue
        if m.get("peak"):
            y.append(f"{name}.total@peak")
        else:
            y.extend(f"{name}.total@{t}" for t in m["timepoints"] if t != m.get("baseline"))
    if y:
        plan["correlations"].append({"family": "alliance_outcome", "x": x, "y": y})
    return plan
