"""``score_notes.csv``: every prorated or dropped scale score, checked against the key file.

The expected notes are computed here from the responses written by the test and from the
WAI-SR key file read as plain TOML (its scales' items and ``max_missing``): a scale with
``0 < missing <= max_missing`` items missing is prorated (a sum scale scores the mean of the
answered items × the number of items), one with more missing is dropped.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import run_cli
from numpy.testing import assert_allclose

import patalliance

KEY = Path(patalliance.__file__).parent / "instruments" / "keys" / "wai_sr.toml"
TIMEPOINTS = ["prep", "post1w"]

STUDY = """
[study]
id = "notes"
title = "Score notes"

[arms]
immediate = { label = "Immediate" }

[[timepoints]]
id = "prep"
[[timepoints]]
id = "post1w"

[data]
responses = "responses.csv"
participants = "participants.csv"

[measures.alliance]
instrument = "wai_sr"
timepoints = ["prep", "post1w"]
"""


def _write_study(folder: Path) -> dict[tuple[str, str], dict[int, float]]:
    """Twelve participants, WAI-SR at two timepoints, 0-5 items left blank at random."""
    folder.mkdir()
    rng = np.random.default_rng(20240314)
    answers: dict[tuple[str, str], dict[int, float]] = {}
    lines = ["participant_id,timepoint,instrument,item,value"]
    pids = [f"P{i:02d}" for i in range(1, 13)]
    for pid in pids:
        for tp in TIMEPOINTS:
            blank = set(rng.choice(12, size=int(rng.integers(0, 6)), replace=False) + 1)
            answers[pid, tp] = {}
            for item in range(1, 13):
                value = "" if item in blank else str(int(rng.integers(1, 6)))
                if value:
                    answers[pid, tp][item] = float(value)
                lines.append(f"{pid},{tp},wai_sr,{item},{value}")
    (folder / "responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    people = ["participant_id,arm", *(f"{p},immediate" for p in pids)]
    (folder / "participants.csv").write_text("\n".join(people) + "\n", encoding="utf-8")
    (folder / "study.toml").write_text(STUDY, encoding="utf-8")
    return answers


def _expected(answers: dict[tuple[str, str], dict[int, float]]) -> dict[tuple[str, str], dict]:
    scales = tomllib.loads(KEY.read_text(encoding="utf-8"))["scales"]
    out = {}
    for (pid, tp), given in answers.items():
        for scale in scales:
            items = scale["items"]
            answered = [given[i] for i in items if i in given]
            missing = len(items) - len(answered)
            if missing == 0:
                continue
            rule = "prorated" if missing <= scale["max_missing"] else "dropped"
            out[pid, f"alliance.{scale['id']}@{tp}"] = {
                "items_answered": len(answered),
                "items": len(items),
                "max_missing": scale["max_missing"],
                "rule": rule,
                "score": np.mean(answered) * len(items) if rule == "prorated" else np.nan,
            }
    return out


def test_score_notes_list_every_prorated_and_dropped_score(tmp_path: Path) -> None:
    answers = _write_study(tmp_path / "study")
    expected = _expected(answers)
    rules = [e["rule"] for e in expected.values()]
    assert "prorated" in rules and "dropped" in rules  # the seed gives both
    out = tmp_path / "out"
    result = run_cli("analyze", str(tmp_path / "study" / "study.toml"), "--out", str(out))
    assert result.returncode == 0, result.stderr

    with (out / "score_notes.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "participant_id",
        "variable",
        "items_answered",
        "items",
        "max_missing",
        "rule",
        "detail",
    ]
    got = {
        (r["participant_id"], r["variable"]): {
            k: (r[k] if k == "rule" else int(r[k]))
            for k in ("items_answered", "items", "max_missing", "rule")
        }
        for r in rows
    }
    fields = ("items_answered", "items", "max_missing", "rule")
    assert got == {k: {f: v[f] for f in fields} for k, v in expected.items()}
    assert len(rows) == len(expected)

    # the prorated scores in scores.csv are the mean of the answered items × the items
    with (out / "scores.csv").open(encoding="utf-8", newline="") as fh:
        scores = {r["participant_id"]: r for r in csv.DictReader(fh)}
    for (pid, variable), e in expected.items():
        cell = scores[pid][variable]
        if e["rule"] == "dropped":
            assert cell == ""
        else:
            assert_allclose(float(cell), e["score"], rtol=1e-12)

    # counted in the QC report, one warning per measure and rule, naming no participant
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for rule in ("prorated", "dropped"):
        (warning,) = [p for p in doc["qc"]["problems"] if p["code"] == f"score_{rule}"]
        assert warning["severity"] == "warning"
        n = int(re.match(r"(\d+) scores?", warning["message"]).group(1))  # type: ignore[union-attr]
        assert n == rules.count(rule)
        assert not re.search(r"P\d\d", warning["message"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "score_notes.csv" in {f["path"] for f in manifest["files"]}
    # summarised in the report with its counts; the table on screen lists both codes
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"{rules.count('prorated')} / {rules.count('dropped')}" in html
    n_pro, n_drop = rules.count("prorated"), rules.count("dropped")
    assert f"{n_pro} scale scores were prorated" in html
    assert f"and {n_drop} were dropped" in html or f"and {n_drop} was dropped" in html
    assert re.search(r"score_dropped\s*│\s*warning\s*│\s*1\s*│", result.stdout)


def test_warning_counts_agree_with_their_verb() -> None:
    from patalliance.score_notes import note_warnings

    notes = pd.DataFrame(
        {
            "participant_id": ["a", "b", "c"],
            "variable": ["alliance.total@prep", "alliance.total@prep", "depression.total@fu4w"],
            "rule": ["prorated", "prorated", "dropped"],
        }
    )
    messages = sorted(p.message for p in note_warnings(notes, Path("study.toml")))
    assert messages[0].startswith("1 score of measure 'depression' was dropped")
    assert messages[1].startswith("2 scores of measure 'alliance' were prorated")
