"""Outputs that cannot hurt inputs (docs/outputs.md), through the real command line.

Every command is run in a subprocess. Each test hashes the study folder before and after:
no input file is ever modified, deleted or added to.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli, write_study

import patalliance as pa
from patalliance.demo import copy_demo
from patalliance.errors import ConfigError


def tree_hash(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` by relative path (new files show up too)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert "\n" not in message, message
    assert message.startswith("error:"), message
    return message


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_study(tmp_path_factory.mktemp("safe") / "study")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo study (with the report, a run takes a few seconds)."""
    return copy_demo(tmp_path_factory.mktemp("demo") / "study")


@pytest.fixture(scope="module")
def demo_out(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs of one complete run on the demo, report included."""
    out = tmp_path_factory.mktemp("previous") / "out"
    result = run_cli("analyze", str(demo), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


# -- refused output paths ---------------------------------------------------------------------

REFUSED = [
    # (command, option, output relative to the study folder, the relation in the message)
    ("analyze", "--out", ".", "contains the input file"),
    ("analyze", "--out", "results", "is inside the folder of the input file"),
    ("analyze", "--out", "..", "contains the input file"),
    ("analyze", "--out", "responses.csv", "is the input file"),
    ("validate", "--report", "responses.csv", "is the input file"),
    ("validate", "--report", "study.toml", "is the input file"),
    ("validate", "--report", "qc_report.json", "is inside the folder of the input file"),
    ("score", "--out", "participants.csv", "is the input file"),
    ("score", "--out", "tables/scores.csv", "is inside the folder of the input file"),
    ("export", "--out", ".", "contains the input file"),
    ("export", "--out", "export", "is inside the folder of the input file"),
]


@pytest.mark.parametrize(("command", "option", "relative", "relation"), REFUSED)
def test_an_output_at_an_input_is_refused(
    study: Path, command: str, option: str, relative: str, relation: str
) -> None:
    folder = study.parent
    before = tree_hash(folder.parent)
    out = folder / relative
    extra = ["--to", "wide-csv"] if command == "export" else []
    result = run_cli(command, str(study), option, str(out), *extra)
    assert result.returncode == 2, result.stderr
    message = one_line_error(result)
    assert f"{option} {out}: {relation}" in message
    assert "Choose a path outside" in message
    assert tree_hash(folder.parent) == before


def test_a_data_file_in_another_folder_protects_that_folder(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study")
    data = tmp_path / "data"
    data.mkdir()
    (study.parent / "responses.csv").rename(data / "responses.csv")
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace('"responses.csv"', '"../data/responses.csv"'), encoding="utf-8")
    before = tree_hash(tmp_path)
    result = run_cli("analyze", str(study), "--out", str(data / "out"))
    assert result.returncode == 2
    message = one_line_error(result)
    assert "responses.csv" in message and str(data / "out") in message
    assert tree_hash(tmp_path) == before


def test_a_linked_data_file_protects_the_link_and_its_target(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study")
    links, real = tmp_path / "links", tmp_path / "real"
    links.mkdir()
    real.mkdir()
    (study.parent / "responses.csv").rename(real / "responses.csv")
    (links / "responses.csv").symlink_to(real / "responses.csv")
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace('"responses.csv"', '"../links/responses.csv"'), encoding="utf-8")
    before = tree_hash(tmp_path)
    for folder in (links, real):
        result = run_cli("analyze", str(study), "--out", str(folder / "out"), "--no-report")
        assert result.returncode == 2
        assert "is inside the folder of the input file" in one_line_error(result)
    assert tree_hash(tmp_path) == before


def test_a_link_to_the_study_folder_is_refused(study: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(study.parent, target_is_directory=True)
    before = tree_hash(study.parent)
    result = run_cli("analyze", str(study), "--out", str(link / "out"))
    assert result.returncode == 2
    assert "is inside the folder of the input file" in one_line_error(result)
    assert tree_hash(study.parent) == before


def test_results_write_refuses_the_study_folder(study: Path) -> None:
    res = pa.analyze(study)
    with pytest.raises(ConfigError, match="contains the input file"):
        res.write(study.parent.parent, report=False)
    with pytest.raises(ConfigError, match="is inside the folder of the input file"):
        res.write(study.parent / "out", report=False)
    assert not (study.parent / "out").exists()


# -- safe outputs: the inputs stay byte-identical ----------------------------------------------


@pytest.mark.parametrize(
    ("command", "option", "name", "extra"),
    [
        ("analyze", "--out", "out", ["--no-report"]),
        ("validate", "--report", "qc.json", []),
        ("score", "--out", "scores.csv", []),
        ("export", "--out", "export", ["--to", "redcap"]),
    ],
)
def test_every_command_leaves_the_study_folder_unchanged(
    study: Path, tmp_path: Path, command: str, option: str, name: str, extra: list[str]
) -> None:
    before = tree_hash(study.parent)
    out = tmp_path / name
    result = run_cli(command, str(study), option, str(out), *extra)
    assert result.returncode == 0, result.stderr
    assert out.exists()
    assert tree_hash(study.parent) == before
    # nothing but the output is left beside it: no staging folder, no lock file
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# -- reruns: only the previous manifest's files are deleted -----------------------------------


def test_a_rerun_keeps_the_users_files_and_drops_stale_outputs(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("analyze", str(study), "--out", str(out)).returncode == 0, "first run"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    assert "report.html" in listed and "results.json" in listed
    on_disk = set(tree_hash(out)) - {"manifest.json"}
    assert listed == on_disk
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    (out / "tables" / "mine").mkdir()
    (out / "tables" / "mine" / "extra.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    manifest["files"].append({"path": "../victim.txt", "bytes": 7, "sha256": ""})
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    result = run_cli("analyze", str(study), "--out", str(out), "--no-report")
    assert result.returncode == 0, result.stderr
    assert not (out / "report.html").exists()  # listed before, not written now
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (out / "tables" / "mine" / "extra.csv").read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert victim.read_text(encoding="utf-8") == "keep me"
    listed = {f["path"] for f in json.loads((out / "manifest.json").read_text())["files"]}
    assert "notes.txt" not in listed and "report.html" not in listed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "victim.txt"]


def test_a_users_file_in_the_way_of_an_output_stops_the_run(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("my own results", encoding="utf-8")
    before = tree_hash(out)
    result = run_cli("analyze", str(study), "--out", str(out), "--no-report")
    assert result.returncode == 2
    message = one_line_error(result)
    assert str(out / "results.json") in message and "manifest.json" in message
    assert tree_hash(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_no_run_wrote_is_never_replaced(study: Path, tmp_path: Path) -> None:
    """A non-empty folder without a manifest (a home or project folder) is refused whole."""
    out = tmp_path / "home"
    (out / ".cache").mkdir(parents=True)
    (out / ".cache" / "f").write_text("s", encoding="utf-8")
    (out / "notes.txt").write_text("n", encoding="utf-8")
    out.chmod(0o700)
    inode, before = out.stat().st_ino, tree_hash(out)
    result = run_cli("analyze", str(study), "--out", str(out), "--no-report")
    assert result.returncode == 2
    message = one_line_error(result)
    assert str(out) in message and "no patalliance run wrote" in message
    assert out.stat().st_ino == inode and tree_hash(out) == before
    assert oct(out.stat().st_mode & 0o777) == oct(0o700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_the_output_folder_keeps_its_permissions(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "private-out"
    out.mkdir()
    out.chmod(0o700)  # an empty folder the user made for sensitive outputs
    for _ in range(2):  # the first run and a rerun
        result = run_cli("analyze", str(study), "--out", str(out), "--no-report")
        assert result.returncode == 0, result.stderr
        assert oct(out.stat().st_mode & 0o777) == oct(0o700)
        assert (out / "scores.csv").is_file()


def test_init_never_overwrites_data_files(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "responses.csv").write_text("my real data\n", encoding="utf-8")
    before = tree_hash(folder)
    result = run_cli("init", str(folder))
    assert result.returncode == 2
    message = one_line_error(result)
    assert str(folder / "responses.csv") in message and "--force" in message
    assert tree_hash(folder) == before
    # REDCap: a dictionary and records of the user's own already in the folder
    redcap = Path(__file__).parent / "data" / "io" / "redcap_grid"
    other = tmp_path / "other"
    other.mkdir()
    (other / "records.csv").write_text("my own records\n", encoding="utf-8")
    before = tree_hash(other)
    result = run_cli(
        "init", str(other), "--from-redcap", str(redcap / "dictionary.csv"),
        "--records", str(redcap / "records.csv"),
    )  # fmt: skip
    assert result.returncode == 2
    assert str(other / "records.csv") in one_line_error(result)
    assert tree_hash(other) == before


# -- interrupted runs -------------------------------------------------------------------------


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "patalliance", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(process: subprocess.Popen[str], parent: Path, pattern: str) -> None:
    """Poll until ``pattern`` matches below ``parent`` (the run is then mid-way)."""
    deadline = time.monotonic() + 300
    while not list(parent.glob(pattern)):
        assert process.poll() is None, f"the run ended first: {process.communicate()}"
        assert time.monotonic() < deadline, "no staging folder appeared"
        time.sleep(0.005)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
@pytest.mark.parametrize(
    "moment", [".out.tmp-*", ".out.tmp-*/results.json"], ids=["started", "writing"]
)
def test_an_interrupted_run_leaves_the_previous_outputs_byte_identical(
    demo: Path, demo_out: Path, tmp_path: Path, signum: int, code: int, moment: str
) -> None:
    out = tmp_path / "out"
    shutil.copytree(demo_out, out)
    before, inputs = tree_hash(out), tree_hash(demo.parent)
    process = _start("analyze", str(demo), "--out", str(out))
    _wait_for(process, tmp_path, moment)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == code, stderr
    assert stderr.strip() == "interrupted; no outputs written"
    assert tree_hash(out) == before
    assert tree_hash(demo.parent) == inputs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging, no lock


# -- concurrent runs --------------------------------------------------------------------------


def test_a_second_concurrent_run_fails_and_the_first_succeeds(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    inputs = tree_hash(demo.parent)
    first = _start("analyze", str(demo), "--out", str(out))
    _wait_for(first, tmp_path, ".out.tmp-*")
    second = run_cli("analyze", str(demo), "--out", str(out), "--no-report")
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert second.returncode == 2
    message = one_line_error(second)
    assert f"{out}: another patalliance run (process {first.pid})" in message
    assert "Wait for it to finish" in message
    assert (out / "report.html").is_file()  # the first run's outputs, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert tree_hash(demo.parent) == inputs


def test_a_stale_lock_of_a_dead_process_is_reclaimed(study: Path, tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    lock = tmp_path / ".out.lock"
    lock.write_text(ended.stdout.strip(), encoding="utf-8")
    result = run_cli("analyze", str(study), "--out", str(tmp_path / "out"), "--no-report")
    assert result.returncode == 0, result.stderr
    assert not lock.exists()
    assert (tmp_path / "out" / "results.json").is_file()


# -- pool: its inputs are other runs' results, so its output may sit beside them -------------

EFFECTS = "study,r,n\na,0.3,40\nb,0.5,25\nc,0.1,60\n"


@pytest.mark.parametrize(
    ("relative", "relation"),
    [("effects.csv", "is the input file"), (".", "contains the input file")],
)
def test_pool_refuses_an_output_at_its_input(tmp_path: Path, relative: str, relation: str) -> None:
    csv = tmp_path / "effects.csv"
    csv.write_text(EFFECTS, encoding="utf-8")
    before = tree_hash(tmp_path)
    out = tmp_path / relative
    result = run_cli("pool", str(csv), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert f"--out {out}: {relation} {csv}" in one_line_error(result)
    assert tree_hash(tmp_path) == before


def test_pool_beside_its_input_keeps_the_input_and_the_users_files(tmp_path: Path) -> None:
    csv = tmp_path / "effects.csv"
    csv.write_text(EFFECTS, encoding="utf-8")
    out = tmp_path / "pooled"
    assert run_cli("pool", str(csv), "--out", str(out)).returncode == 0
    (out / "mine.txt").write_text("mine", encoding="utf-8")
    listed = {f["path"] for f in json.loads((out / "manifest.json").read_text())["files"]}
    assert "pool_results.json" in listed and "mine.txt" not in listed
    result = run_cli("pool", str(csv), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert csv.read_text(encoding="utf-8") == EFFECTS
    assert (out / "mine.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["effects.csv", "pooled"]


def test_an_output_link_to_a_folder_keeps_the_link(tmp_path: Path) -> None:
    from patalliance.safe_output import StagedFolder

    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real, target_is_directory=True)
    for text in ("first", "second"):
        with StagedFolder(link) as staged:
            (staged.path / "result.txt").write_text(text, encoding="utf-8")
            staged.commit()
        if text == "first":  # a file of the user's, added to the output folder, is kept
            (real / "notes.txt").write_text("mine", encoding="utf-8")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "result.txt").read_text(encoding="utf-8") == "second"
    assert (real / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_the_current_folder_is_never_replaced(study: Path, tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    (here / "mine.txt").write_text("mine", encoding="utf-8")
    for out in (".", str(tmp_path)):
        result = run_cli("analyze", str(study), "--out", out, "--no-report", cwd=here)
        assert result.returncode == 2
        assert "is the current folder or holds it" in one_line_error(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]
    assert sorted(p.name for p in here.iterdir()) == ["mine.txt"]


@pytest.mark.parametrize(
    ("command", "option", "name", "signum", "code"),
    [
        ("score", "--out", "scores.csv", signal.SIGTERM, 143),
        ("validate", "--report", "qc.json", signal.SIGINT, 130),
    ],
)
def test_an_interrupted_file_output_keeps_the_previous_file(
    demo: Path, tmp_path: Path, command: str, option: str, name: str, signum: int, code: int
) -> None:
    out = tmp_path / name
    out.write_text("the previous run's file", encoding="utf-8")
    inputs = tree_hash(demo.parent)
    process = _start(command, str(demo), option, str(out))
    _wait_for(process, tmp_path, f".{name}.lock")  # taken before the data are read
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == code, stderr
    assert stderr.strip() == "interrupted; no outputs written"
    assert out.read_text(encoding="utf-8") == "the previous run's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert tree_hash(demo.parent) == inputs
