"""Regenerate the io fixtures: a REDCap longitudinal project (raw and label exports with their
data dictionary) and an SPSS file with value labels and user-missing codes.

    python tests/data/io/make_fixtures.py

The values are fixed by hand below (no randomness), so the output is the same every run.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyreadstat

HERE = Path(__file__).parent
WAI = ["Never", "Rarely", "Occasionally", "Sometimes", "Often", "Very often", "Always"][:5]
WAI_CHOICES = " | ".join(f"{i}, {lab}" for i, lab in enumerate(WAI, start=1))
MEQ = ["None; not at all", "So slight", "Slight", "Moderate", "Strong", "Extreme"]
MEQ_CHOICES = " | ".join(f"{i}, {lab}" for i, lab in enumerate(MEQ))
SIDE = {"1": "Headache", "2": "Nausea", "3": "Anxiety"}
DICT_HEADER = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]  # fmt: skip

# participant: (arm number, DAG, facilitator, WAI prep, WAI post, MEQ session 1, MEQ session 2)
PEOPLE = {
    "101": (1, "site_a", "F1", [4, 4, 3, 5, 4, 4, 3, 4, 5, 4, 4, 3], [5, 4, 4, 5, 5, 4, 4, 5, 5, 4, 5, 4], 3, 4),
    "102": (1, "site_a", "F2", [3, 3, 2, 3, 3, 4, 3, 3, 2, 3, 3, 3], [4, 3, 3, 4, 4, 4, 3, 3, 3, 4, 3, 4], 2, 2),
    "103": (1, "site_b", "F1", [5, 5, 4, 5, 5, 5, 4, 5, 5, 5, 4, 5], [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], 4, 5),
    "201": (2, "site_a", "F2", [2, 3, 3, 2, 3, 2, 3, 2, 3, 3, 2, 3], [3, 3, 4, 3, 3, 3, 4, 3, 3, 3, 3, 4], 1, 3),
    "202": (2, "site_b", "F3", [4, 3, 4, 4, 3, 4, 4, 3, 4, 4, 3, 4], [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], 3, 3),
    "203": (2, "site_b", "F3", [3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4], [4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5], 2, 4),
}  # fmt: skip
ARM_LABEL = {1: "Immediate", 2: "Delayed"}


def dictionary_rows() -> list[list[str]]:
    def row(name: str, form: str, ftype: str, label: str, choices: str = "") -> list[str]:
        return [name, form, "", ftype, label, choices, *[""] * 12]

    rows = [
        row("record_id", "enrollment", "text", "Record ID"),
        row(
            "facilitator", "enrollment", "dropdown", "Facilitator pair", "F1, F1 | F2, F2 | F3, F3"
        ),
        row("consent_notes", "enrollment", "notes", "Notes on consent"),
    ]
    rows += [
        row(f"wai_sr_{i}", "wai_sr", "radio", f"WAI-SR item {i}", WAI_CHOICES) for i in range(1, 13)
    ]
    rows.append(row("session_number", "session_ratings", "text", "Session number"))
    rows += [
        row(f"meq_{i}", "session_ratings", "radio", f"MEQ-30 item {i}", MEQ_CHOICES)
        for i in range(1, 31)
    ]
    rows.append(
        row(
            "side_effects",
            "session_ratings",
            "checkbox",
            "Side effects",
            " | ".join(f"{k}, {v}" for k, v in SIDE.items()),
        )
    )
    return rows


def records(labels: bool) -> list[dict[str, str]]:
    """The export rows; ``labels`` gives REDCap's label export (labels instead of codes)."""
    events = {
        "enrollment": "Enrollment",
        "prep": "Preparation",
        "sessions": "Dosing sessions",
        "post1w": "One week after",
    }

    def ev(key: str, arm: int) -> str:
        return f"{events[key]} (Arm {arm}: {ARM_LABEL[arm]})" if labels else f"{key}_arm_{arm}"

    def status(code: str) -> str:
        return {"0": "Incomplete", "1": "Unverified", "2": "Complete"}[code] if labels else code

    out = []
    for pid, (arm, dag, fac, prep, post, meq1, meq2) in PEOPLE.items():
        base = {"record_id": pid, "redcap_data_access_group": dag}
        out.append({**base, "redcap_event_name": ev("enrollment", arm), "facilitator": fac,
                    "consent_notes": "signed, see binder", "enrollment_complete": status("2")})  # fmt: skip
        for key, values in (("prep", prep), ("post1w", post)):
            row = {**base, "redcap_event_name": ev(key, arm)}
            for i, v in enumerate(values, start=1):
                row[f"wai_sr_{i}"] = WAI[v - 1] if labels else str(v)
            # one form left Unverified: reported in QC
            row["wai_sr_complete"] = status("1" if (pid, key) == ("102", "post1w") else "2")
            out.append(row)
        for instance, level in ((1, meq1), (2, meq2)):
            row = {
                **base,
                "redcap_event_name": ev("sessions", arm),
                "redcap_repeat_instrument": "Session Ratings" if labels else "session_ratings",
                "redcap_repeat_instance": str(instance),
                "session_number": str(instance),
            }
            for i in range(1, 31):
                v = max(0, min(5, level + (i % 3) - 1))
                row[f"meq_{i}"] = MEQ[v] if labels else str(v)
            if pid == "103" and instance == 2:
                row["meq_30"] = ""  # one unanswered item
            for code in SIDE:
                checked = (int(pid) + instance + int(code)) % 2 == 0
                row[f"side_effects___{code}"] = (
                    ("Checked" if checked else "Unchecked") if labels else str(int(checked))
                )
            row["session_ratings_complete"] = status("2")
            out.append(row)
    return out


def columns() -> list[str]:
    return [
        "record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
        "redcap_data_access_group", "facilitator", "consent_notes", "enrollment_complete",
        *[f"wai_sr_{i}" for i in range(1, 13)], "wai_sr_complete", "session_number",
        *[f"meq_{i}" for i in range(1, 31)], *[f"side_effects___{k}" for k in SIDE],
        "session_ratings_complete",
    ]  # fmt: skip


def write_redcap() -> None:
    folder = HERE / "redcap"
    folder.mkdir(exist_ok=True)
    with (folder / "dictionary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DICT_HEADER)
        writer.writerows(dictionary_rows())
    for name, labels in (("records_raw.csv", False), ("records_labels.csv", True)):
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns(), restval="")
            writer.writeheader()
            writer.writerows(records(labels))


def write_sav() -> None:
    """Wide SPSS file: one row per participant × timepoint, coded arm and timepoint with value
    labels, WAI-SR items with value labels and the user-missing codes 8 (refused) and 9 (not
    asked)."""
    rows = []
    for pid, (arm, _, fac, prep, post, _, _) in PEOPLE.items():
        for tp, values in ((1, prep), (2, post)):
            row = {"subject": f"S{pid}", "group": float(arm), "visit": float(tp), "therapist": fac}
            for i, v in enumerate(values, start=1):
                row[f"wai_sr_{i}"] = float(v)
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame.loc[1, "wai_sr_3"] = 9.0  # user-missing: not asked
    frame.loc[4, "wai_sr_12"] = 8.0  # user-missing: refused
    items = [f"wai_sr_{i}" for i in range(1, 13)]
    labels = {c: {float(i): lab for i, lab in enumerate(WAI, start=1)} for c in items}
    for c in items:
        labels[c].update({8.0: "Refused", 9.0: "Not asked"})
    labels["group"] = {1.0: "Immediate", 2.0: "Delayed"}
    labels["visit"] = {1.0: "Final preparation", 2.0: "One week after session 2"}
    pyreadstat.write_sav(
        frame,
        str(HERE / "spss" / "wai.sav"),
        variable_value_labels=labels,
        missing_ranges={c: [8.0, 9.0] for c in items},
    )


if __name__ == "__main__":
    write_redcap()
    write_sav()
