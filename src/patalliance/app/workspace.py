"""The app's workspace: one folder per study, names checked, paths confined.

Everything the app writes goes through this module, so that no upload, study name or
download can reach outside the workspace folder.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: A study folder's name (also its URL segment).
STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: An uploaded file's name: a plain name, no separators, no leading dot.
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$")
#: The app's own record of the steps done, kept next to study.toml.
STATE_FILE = "app-state.json"
STEPS = ("start", "map", "check", "plan", "run", "results")


class UnsafeNameError(ValueError):
    """A study or file name that could leave the workspace, or is not a plain name."""


def safe_file_name(name: str) -> str:
    """``name`` if it is a plain file name; raises :class:`UnsafeNameError` otherwise.

    Rejected: empty names, ``.`` and ``..``, absolute paths, any ``/`` or ``\\``, a leading
    dot, control characters and anything outside letters, digits, ``. _ -`` and spaces.

    >>> safe_file_name("responses.csv")
    'responses.csv'
    >>> safe_file_name("../etc/passwd")
    Traceback (most recent call last):
    ...
    patalliance.app.workspace.UnsafeNameError: The file name '../etc/passwd' is not allowed: use a plain name such as responses.csv, without folders, '..' or a leading dot.
    """
    if (
        not name
        or name in {".", ".."}
        or "/" in name
        or "\\" in name
        or ".." in name
        or not FILE_NAME.match(name)
    ):
        raise UnsafeNameError(
            f"The file name {name!r} is not allowed: use a plain name such as responses.csv, "
            "without folders, '..' or a leading dot."
        )
    return name


def safe_study_name(name: str) -> str:
    """``name`` if it can name a study folder (letters, digits, ``_`` and ``-``)."""
    if not STUDY_NAME.match(name or ""):
        raise UnsafeNameError(
            f"The study name {name!r} is not allowed: use letters, digits, '_' and '-' only "
            "(up to 64 characters), starting with a letter or digit."
        )
    return name


def confined(root: Path, *parts: str) -> Path:
    """``root / parts`` resolved, and raises unless it stays inside ``root``."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise UnsafeNameError(f"The path {'/'.join(parts)!r} leaves the workspace.")
    return target


@dataclass(frozen=True)
class Workspace:
    """The folder that holds one sub-folder per study."""

    root: Path

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def studies(self) -> list[str]:
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and STUDY_NAME.match(p.name) and (p / "study.toml").is_file()
        )

    def folder(self, name: str) -> Path:
        return confined(self.root, safe_study_name(name))

    def new_folder(self, name: str) -> Path:
        """A fresh study folder; ``name-2``, ``name-3``... when ``name`` is taken."""
        base = safe_study_name(name)
        candidate, n = base, 1
        while (self.root / candidate).exists():
            n += 1
            candidate = f"{base[:60]}-{n}"
        folder = self.folder(candidate)
        folder.mkdir()
        return folder

    def save_upload(self, study: str, file_name: str, content: bytes) -> Path:
        target = confined(self.folder(study), safe_file_name(file_name))
        target.write_bytes(content)
        return target

    def output(self, study: str) -> Path:
        """The study's outputs: ``NAME.out`` beside its folder, never inside the folder of its
        data (docs/outputs.md). A study name has no ``.``, so it cannot name a study."""
        return confined(self.root, f"{safe_study_name(study)}.out")

    def output_file(self, study: str, relative: str) -> Path:
        """A written output, ``relative`` to the study's ``out`` folder, confined to it."""
        parts = relative.split("/")
        for part in parts:
            safe_file_name(part)
        return confined(self.output(study), *parts)


def read_state(folder: Path) -> dict[str, Any]:
    path = folder / STATE_FILE
    if not path.is_file():
        return {"done": []}
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return state


def mark_done(folder: Path, step: str, **extra: Any) -> None:
    """Record that ``step`` is done; later steps are undone, since they depend on it."""
    state = read_state(folder)
    keep = STEPS[: STEPS.index(step)]
    state["done"] = [s for s in state.get("done", []) if s in keep] + [step]
    state.update(extra)
    (folder / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")


def next_step(folder: Path) -> str:
    done = read_state(folder).get("done", [])
    for step in STEPS[1:]:
        if step not in done:
            return step
    return "results"


def read_toml(folder: Path) -> dict[str, Any]:
    with (folder / "study.toml").open("rb") as fh:
        return tomllib.load(fh)


def copy_demo_into(folder: Path) -> None:
    """The bundled synthetic demo study (study.toml and its two CSV files)."""
    from patalliance.demo import copy_demo

    tmp = folder / ".demo"
    copy_demo(tmp)
    for item in tmp.iterdir():
        shutil.move(str(item), folder / item.name)
    tmp.rmdir()
