"""Regenerate the ``redcap_grid`` fixture: a REDCap project built the way a new user builds it.

- The GRID-HAMD-17 lives in a form named ``grid_hamd`` with fields ``ghamd_1`` … ``ghamd_17``
  (not the key's ``grid_hamd17_1`` …), each a radio field coded 0-4 or 0-2 as the scale is.
- The project's own event names (``screening_arm_1``, ``week_4_arm_2``, …) and arm names
  (Arm 1: Psilocybin, Arm 2: Waiting list).
- Some forms are marked Incomplete or Unverified, one rating has a missing item, one
  participant has no month-3 rating, and a ``vitals`` form with numbered fields matches no
  scoring key.

Writes ``dictionary.csv``, ``records.csv`` (raw values, unique event names) and
``records_labels.csv`` (labels for values and events) into ``redcap_grid/``:

    python tests/data/io/make_redcap_grid.py

The values come from a fixed formula (no randomness), so the output is the same every run.
"""

from __future__ import annotations

import csv
from pathlib import Path

OUT = Path(__file__).parent / "redcap_grid"
DICT_HEADER = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]  # fmt: skip
#: Items rated 0-2 on the 17-item Hamilton scale; the others are rated 0-4.
NARROW = {4, 5, 6, 12, 13, 14, 16, 17}
WIDE_LABELS = ["Absent", "Mild", "Moderate", "Severe", "Very severe"]
NARROW_LABELS = ["Absent", "Slight or doubtful", "Clearly present"]
ARMS = {"1": "Psilocybin", "2": "Waiting list"}
#: event unique name (without the arm suffix) → event label
EVENTS = {"screening": "Screening", "baseline": "Baseline", "week_1": "Week 1",
          "week_4": "Week 4", "month_3": "Month 3"}  # fmt: skip
RATED = ["baseline", "week_1", "week_4", "month_3"]
PEOPLE = {"P-001": "1", "P-002": "1", "P-003": "1", "P-004": "2", "P-005": "2", "P-006": "2"}
#: (participant, event) → grid_hamd_complete status other than 2 (Complete)
STATUS = {("P-002", "week_4"): "0", ("P-004", "month_3"): "1"}
MISSING_ITEM = ("P-005", "week_4", 9)  # left blank: the total is missing (max_missing = 0)
NO_RATING = ("P-006", "month_3")  # the record has the event, but no rating
STATUS_LABELS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}


def labels(item: int) -> list[str]:
    return NARROW_LABELS if item in NARROW else WIDE_LABELS


def choices(item: int) -> str:
    return " | ".join(f"{code}, {lab}" for code, lab in enumerate(labels(item)))


def rating(pid: str, event: str, item: int) -> int:
    """A fixed rating: high at baseline, lower after treatment in arm 1."""
    p = int(pid[-1])
    t = RATED.index(event)
    top = 2 if item in NARROW else 4
    drop = t if PEOPLE[pid] == "1" else 0
    return max(0, min(top, (p + 2 * item + 3) % (top + 1) + 1 - drop))


def dictionary_rows() -> list[list[str]]:
    blank = [""] * 12
    rows = [
        ["record_id", "enrolment", "", "text", "Record ID", "", *blank],
        ["consent_date", "enrolment", "", "text", "Date of consent", "", "", "date_ymd",
         *[""] * 10],
        ["ghamd_rater", "grid_hamd", "", "text", "Rater initials", "", *blank],
    ]  # fmt: skip
    for i in range(1, 18):
        rows.append(["ghamd_" + str(i), "grid_hamd", "", "radio", f"Item {i}", choices(i), *blank])
    rows.append(["ghamd_total", "grid_hamd", "", "calc", "Total", "sum([ghamd_1],...)", *blank])
    for i, (lo, hi) in enumerate([(60, 250), (30, 150), (30, 45)], start=1):
        rows.append(
            [f"vs_{i}", "vitals", "", "text", f"Vital sign {i}", "", "", "number", str(lo),
             str(hi), *[""] * 8]
        )  # fmt: skip
    return rows


def columns() -> list[str]:
    return [
        "record_id", "redcap_event_name", "consent_date", "enrolment_complete", "ghamd_rater",
        *(f"ghamd_{i}" for i in range(1, 18)), "ghamd_total", "grid_hamd_complete",
        "vs_1", "vs_2", "vs_3", "vitals_complete",
    ]  # fmt: skip


def records(*, as_labels: bool) -> list[dict[str, str]]:
    out = []
    for pid, arm in PEOPLE.items():
        for event, event_label in EVENTS.items():
            row = dict.fromkeys(columns(), "")
            row["record_id"] = pid
            row["redcap_event_name"] = (
                f"{event_label} (Arm {arm}: {ARMS[arm]})" if as_labels else f"{event}_arm_{arm}"
            )
            if event == "screening":
                row["consent_date"] = "2024-01-0" + pid[-1]
                row["enrolment_complete"] = "2"
            elif (pid, event) != NO_RATING:
                row["ghamd_rater"] = "AB"
                total = 0
                for i in range(1, 18):
                    if (pid, event, i) == MISSING_ITEM:
                        continue
                    value = rating(pid, event, i)
                    total += value
                    row[f"ghamd_{i}"] = labels(i)[value] if as_labels else str(value)
                row["ghamd_total"] = str(total)
                row["grid_hamd_complete"] = STATUS.get((pid, event), "2")
            if event == "baseline":
                row.update(vs_1="72", vs_2="118", vs_3="37", vitals_complete="2")
            if as_labels:
                for col in ("enrolment_complete", "grid_hamd_complete", "vitals_complete"):
                    row[col] = STATUS_LABELS.get(row[col], row[col])
            out.append(row)
    return out


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with (OUT / "dictionary.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(DICT_HEADER)
        writer.writerows(dictionary_rows())
    for name, as_labels in (("records.csv", False), ("records_labels.csv", True)):
        with (OUT / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns())
            writer.writeheader()
            writer.writerows(records(as_labels=as_labels))


if __name__ == "__main__":
    main()
