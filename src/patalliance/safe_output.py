"""Outputs that cannot hurt inputs (docs/outputs.md).

* :func:`refuse_unsafe_output` refuses an output path that is an input file, contains one, or
  lies in the folder of one (the study file and its folder included).
* :class:`OutputLock` is a lock file next to the output (``.NAME.lock``): a second run on the
  same output fails at once with a configuration error. The lock is an operating-system lock
  (``flock``), so the lock file of a killed run holds a dead process id and is reclaimed.
* :class:`StagedFolder` and :class:`StagedFile` write into a temporary sibling
  (``.NAME.tmp-*``) and rename it into place only when complete. An exception or a signal
  before :meth:`StagedFolder.commit` removes the sibling and leaves the previous outputs
  byte-identical.
* A folder of outputs lists its files in ``manifest.json``. A rerun deletes only the files
  listed in the previous run's manifest; any other file in the folder (a user's notes) is
  kept, and a user's file that a new output would replace is an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from patalliance.errors import ConfigError

if TYPE_CHECKING:
    from patalliance.study import Study

__all__ = [
    "MANIFEST",
    "Interrupted",
    "OutputLock",
    "StagedFile",
    "StagedFolder",
    "committed_outputs",
    "refuse_unsafe_output",
    "study_inputs",
]

#: The list of a run's outputs, at the top of an output folder.
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "patalliance.manifest/1"
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived during a run (raised by the command line's handler)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: Outputs this process has put in place (the command line's message after a signal).
_COMMITTED: list[Path] = []


def committed_outputs() -> tuple[Path, ...]:
    """The outputs this process has put in place so far, as given."""
    return tuple(_COMMITTED)


def study_inputs(study: Study) -> list[Path]:
    """Every file a study reads: the study file, its data files and its own scoring keys."""
    data = study.data
    names: list[str] = [*data.responses]
    names += [n for n in (data.participants, data.scores, data.file) if n is not None]
    if data.redcap is not None:
        names += [data.redcap.records, data.redcap.dictionary]
    if data.sdtm is not None:
        names += [*data.sdtm.qs, *([data.sdtm.dm] if data.sdtm.dm else [])]
    names += [m.key for m in study.measures.values() if m.key is not None]
    return [study.path, *(study.resolve(name) for name in names)]


_RELATIONS = (
    "is the input file",
    "contains the input file",
    "is inside the folder of the input file",
)


def _relation(out: Path, source: Path) -> str | None:
    if out == source:
        return _RELATIONS[0]
    if out in source.parents:
        return _RELATIONS[1]
    if out == source.parent or source.parent in out.parents:
        return _RELATIONS[2]
    return None


def _spellings(path: Path) -> list[Path]:
    """``path`` made absolute, and with its links resolved (a link is protected, and so is
    what it points to)."""
    return list(dict.fromkeys([Path(os.path.abspath(path)), path.resolve()]))


def _fresh_sibling(near: Path, tag: str) -> Path:
    """A new, empty folder ``.NAME.TAG-XXXXXXXX`` next to ``near`` (usual permissions)."""
    import secrets

    while True:
        candidate = near.parent / f".{near.name}.{tag}-{secrets.token_hex(4)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate


def refuse_unsafe_output(
    out: str | Path,
    inputs: Iterable[Path],
    *,
    option: str,
    kind: str = "folder",
    beside_ok: bool = False,
) -> None:
    """Raise :class:`ConfigError` when writing ``out`` could overwrite or delete an input.

    ``out`` is refused when it is an input file, contains one, or lies in the folder of one
    (symbolic links resolved). ``option`` names the output in the message (``--out``);
    ``kind`` (``"folder"`` or ``"file"``) shapes the suggested alternative. ``beside_ok``
    allows the folder of an input (``patalliance pool``, whose inputs are other runs' results).
    """
    targets = _spellings(Path(out))
    sources = [(source, spelling) for source in inputs for spelling in _spellings(source)]
    for rank in range(2 if beside_ok else 3):
        for (source, resolved), target in ((s, t) for s in sources for t in targets):
            relation = _relation(target, resolved)
            if relation is None or _RELATIONS.index(relation) != rank:
                continue
            home = resolved.parent
            name = f"{home.name}-out" if kind == "folder" else f"{home.name}-{target.name}"
            fix = (
                f"Choose a new folder, e.g. {option} {home / 'pooled'}."
                if beside_ok
                else f"Choose a path outside {home}, e.g. {option} {home.parent / name}."
            )
            raise ConfigError(
                f"{option} {out}: {relation} {source}; writing there could overwrite or delete "
                f"your data. {fix}"
            )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class OutputLock:
    """``.NAME.lock`` next to ``target``, held for one run; a second run gets ConfigError.

    On POSIX the file is locked with ``flock``, which the operating system releases when the
    process ends however it ends; the file left by a killed run is reclaimed by the next run.
    Elsewhere the file is created exclusively and holds the process id; a file whose process
    no longer runs is stale and is reclaimed.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.parent / f".{target.name}.lock"
        self._fd: int | None = None

    def _refuse(self) -> ConfigError:
        try:
            holder = self.path.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            holder = "unknown"
        return ConfigError(
            f"{self.target}: another patalliance run (process {holder}) is writing there now "
            f"(lock file {self.path}). Wait for it to finish, or choose another output path."
        )

    def acquire(self) -> None:
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"{self.target.parent}: cannot create the output's folder ({exc.strerror})."
            ) from None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            self._acquire_exclusive()
            return
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise self._refuse() from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:  # not unlinked by the run that held it just before
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def _acquire_exclusive(self) -> None:  # pragma: no cover - not POSIX
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                text = self.path.read_text(encoding="utf-8").strip()
                if text.isdigit() and not _pid_alive(int(text)):
                    self.path.unlink(missing_ok=True)  # stale: its process has ended
                    continue
                raise self._refuse() from None
            os.write(fd, str(os.getpid()).encode())
            self._fd = fd
            return
        raise self._refuse()

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_HELD: list[int] = []  # one entry per _signals_held block open (main thread only)
_PENDING: list[int] = []  # signals that arrived in one, raised when the outermost ends


def defer_signal(signum: int) -> bool:
    """Whether a signal's handler must wait: inside :func:`_signals_held` it is noted and
    raised as :class:`Interrupted` when the block ends (the command line's handler asks)."""
    if _HELD:
        _PENDING.append(signum)
        return True
    return False


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends, so that a rename is never half done.

    The main thread blocks them, and a signal that another thread of the process receives
    (numpy's and pyarrow's worker threads do not block them) reaches the handler, which
    defers it (:func:`defer_signal`) until the outermost block ends.
    """
    masked = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS) if masked else None
    _HELD.append(1)
    try:
        yield
    finally:
        _HELD.pop()
        pending = _PENDING[:] if not _HELD else []
        if not _HELD:
            _PENDING.clear()
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a blocked signal lands now
        if pending:
            raise Interrupted(pending[0])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[str]:
    """Every file below ``folder`` (not folders), as sorted POSIX relative paths."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            found.append((Path(root) / name).relative_to(folder).as_posix())
        found += [
            (Path(root) / d).relative_to(folder).as_posix()
            for d in dirs
            if (Path(root) / d).is_symlink()
        ]
    return sorted(found)


def read_manifest(folder: Path) -> set[str]:
    """The relative paths listed in ``folder/manifest.json``; empty when there is none.

    Entries that are absolute or climb out of the folder (``..``) are ignored."""
    path = folder / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = [str(item["path"]) for item in doc["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    safe = {e for e in entries if not Path(e).is_absolute() and ".." not in Path(e).parts}
    return safe | {MANIFEST} if safe else set()


def _write_manifest(folder: Path) -> None:
    files = [
        {"path": rel, "bytes": (folder / rel).stat().st_size, "sha256": _sha256(folder / rel)}
        for rel in _files(folder)
    ]
    doc = {"format": MANIFEST_FORMAT, "files": files}
    (folder / MANIFEST).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


class StagedFolder:
    """Write a folder of outputs into a temporary sibling, then rename it into place.

    ``with StagedFolder(out) as staged:`` holds the lock and creates ``staged.path``; write
    every output there and call :meth:`commit`. Leaving the block without a commit (an error,
    a signal) removes the temporary folder; ``out`` is untouched.
    """

    def __init__(self, out: str | Path) -> None:
        out = Path(out)
        # a link to a folder: the folder it points to is the one replaced, not the link
        self.out = out.resolve() if out.is_symlink() else Path(os.path.abspath(out))
        self.given = out
        self.lock = OutputLock(self.out)
        self.path = self.out
        self.committed = False

    def __enter__(self) -> StagedFolder:
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(
                f"{self.out}: is a file, but the output must be a folder; choose a folder path."
            )
        here = Path.cwd().resolve()
        if self.out.resolve() == here or self.out.resolve() in here.parents:
            raise ConfigError(
                f"{self.out}: is the current folder or holds it, and a run replaces its output "
                f"folder as a whole; choose a new folder, e.g. {self.out / 'patalliance-out'}."
            )
        self._refuse_foreign_folder()
        try:
            with _signals_held():  # a signal now is raised at the end of this block
                self.lock.acquire()
                self.path = _fresh_sibling(self.out, "tmp")
        except OSError as exc:
            self._discard()
            raise ConfigError(
                f"{self.out.parent}: cannot write the output folder there ({exc.strerror})."
            ) from None
        except BaseException:
            self._discard()
            raise
        return self

    def _refuse_foreign_folder(self) -> None:
        """An existing folder that holds files but no manifest was not written by a run (a
        home folder, a project folder): a run never replaces it."""
        if not self.out.is_dir() or (self.out / MANIFEST).is_file():
            return
        with os.scandir(self.out) as entries:  # not a walk: the folder may be a home folder
            foreign = sorted(entry.name for entry in entries)
        if foreign:
            raise ConfigError(
                f"{self.out}: the folder exists and holds files that no patalliance run wrote "
                f"(such as {self.out / foreign[0]}; there is no {MANIFEST}). A run replaces "
                "its output folder as a whole; choose a new or empty folder, e.g. "
                f"{self.out / 'patalliance-out'}."
            )

    def _discard(self) -> None:
        try:
            if self.path != self.out:
                shutil.rmtree(self.path, ignore_errors=True)
        finally:
            self.lock.release()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.committed:
            self.lock.release()
            return
        with _signals_held():
            self._discard()

    def final(self, path: Path) -> Path:
        """Where ``path`` (inside the temporary folder) will be once committed, as given."""
        return self.given / path.relative_to(self.path)

    def commit(self) -> None:
        """Write the manifest and put the new outputs in place of the previous ones.

        Files in ``out`` that the previous manifest does not list are the user's: they move
        into the new folder. One that a new output would replace stops the commit."""
        _write_manifest(self.path)
        keep: list[str] = []
        listed: set[str] = set()
        if self.out.is_dir():
            listed = read_manifest(self.out)
            keep = [rel for rel in _files(self.out) if rel not in listed]
            clash = [rel for rel in keep if _occupied(self.path, rel)]
            if clash:
                raise ConfigError(
                    f"{self.out / clash[0]}: not an output of an earlier patalliance run (it is "
                    f"not listed in {self.out / MANIFEST}), and this run writes a file of that "
                    "name. Move it out of the folder, or choose another output folder."
                )
        with _signals_held():
            if not self.out.exists():
                os.rename(self.path, self.out)
                self.committed = True
                _COMMITTED.append(self.given)
                return
            # the new folder keeps the permissions the user gave the folder it replaces
            os.chmod(self.path, stat.S_IMODE(os.stat(self.out).st_mode))
            aside = _fresh_sibling(self.out, "old")
            previous = aside / "previous"
            os.rename(self.out, previous)
            try:
                os.rename(self.path, self.out)
            except OSError:
                os.rename(previous, self.out)
                aside.rmdir()
                raise
            self.committed = True
            _COMMITTED.append(self.given)
            for rel in keep:
                (self.out / rel).parent.mkdir(parents=True, exist_ok=True)
                os.rename(previous / rel, self.out / rel)
            _remove_listed(previous, listed)
            with contextlib.suppress(OSError):
                aside.rmdir()


def _occupied(folder: Path, rel: str) -> bool:
    """True when a path in ``folder`` stands where ``rel`` (or one of its folders) would go."""
    parts = Path(rel).parts
    for i in range(1, len(parts) + 1):
        candidate = folder.joinpath(*parts[:i])
        if candidate.is_symlink() or candidate.exists():
            if i == len(parts) or not candidate.is_dir():
                return True
    return False


def _remove_listed(old: Path, listed: set[str]) -> None:
    """Delete the previous run's files (only those listed), then the folders left empty."""
    for rel in _files(old):
        path = old / rel
        if rel in listed and (path.is_file() or path.is_symlink()):
            path.unlink()
    for root, _dirs, _names in sorted(os.walk(old), key=lambda w: -len(Path(w[0]).parts)):
        with contextlib.suppress(OSError):
            Path(root).rmdir()


class StagedFile:
    """Write one output file through a temporary sibling renamed into place when complete."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.lock = OutputLock(self.out)
        self.path = self.out.parent / f".{self.out.stem}.tmp-{os.getpid()}{self.out.suffix}"
        self.committed = False

    def __enter__(self) -> StagedFile:
        if self.out.is_dir():
            raise ConfigError(
                f"{self.out}: is a folder, but a file is expected here; give a file path "
                f"such as {self.out / 'out.csv'}."
            )
        try:
            with _signals_held():
                self.lock.acquire()
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self.committed:
                self.path.unlink(missing_ok=True)
        finally:
            self.lock.release()

    def commit(self) -> None:
        with _signals_held():
            os.replace(self.path, self.out)
            self.committed = True
            _COMMITTED.append(self.out)
