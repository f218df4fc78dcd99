"""The documentation is complete and points only at files of the repository.

Every problem code the package can raise is documented in docs/validation.md.

The codes are found by reading the source (``ast``), not by running it: every call that builds
a problem (``Problem``, ``FileProblem``, and the helpers that pass a code through to them) is
inspected, and the string literals of its code argument are collected. A helper that passes a
code it received on to a problem must be listed in ``HELPERS`` so that its callers are scanned
too; the test fails on one it does not know.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "patalliance"
VALIDATION_DOC = ROOT / "docs" / "validation.md"

#: Callables that take a problem code, and the position of the code among their arguments
#: (``None``: only as the keyword ``code=``). ``Problem`` and ``FileProblem`` build problems;
#: the others pass the code they are given on to one of them.
HELPERS: dict[str, int | None] = {
    "Problem": 3,
    "FileProblem": 1,
    "warning": 1,  # io/redcap.py: a FileProblem with severity "warning"
    "problem": 0,  # io/redcap.py: _Reader.problem
    "add_rows": None,  # validate/_collector.py
    "add": None,  # validate/responses.py: _Rows.add
}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _code_args(call: ast.Call) -> list[ast.expr]:
    name = _name(call.func)
    args = [kw.value for kw in call.keywords if kw.arg == "code"]
    position = HELPERS.get(name or "")
    if position is not None and len(call.args) > position:
        args.append(call.args[position])
    return args


def _scan() -> tuple[dict[str, list[str]], list[str]]:
    """Codes → where they are raised; and code arguments that are neither literals nor a
    pass-through inside a known helper."""
    codes: dict[str, list[str]] = {}
    unknown: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for call in [n for n in ast.walk(func) if isinstance(n, ast.Call)]:
                for arg in _code_args(call):
                    literals = [
                        n.value
                        for n in ast.walk(arg)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    ]
                    for code in literals:
                        codes.setdefault(code, []).append(f"{where}:{call.lineno}")
                    passthrough = (
                        isinstance(arg, ast.Name) and arg.id == "code" and func.name in HELPERS
                    ) or (isinstance(arg, ast.Attribute) and arg.attr == "code")
                    if not literals and not passthrough:
                        unknown.append(f"{where}:{call.lineno} in {func.name}()")
    return codes, unknown


CODES, UNKNOWN = _scan()


def test_the_scan_finds_the_codes_of_every_layer() -> None:
    # one code of each kind of call: validation rows, readers (tidy, REDCap), plan checks
    for code in ("out_of_range", "empty_file", "unmapped_event", "form_incomplete", "no_data"):
        assert code in CODES, code
    assert len(CODES) >= 30


def test_every_code_argument_is_a_literal_or_a_known_pass_through() -> None:
    assert not UNKNOWN, (
        "problem codes passed as expressions the scan cannot read; pass a string literal, or "
        f"add the helper to HELPERS: {UNKNOWN}"
    )


@pytest.mark.parametrize("code", sorted(CODES))
def test_code_is_documented(code: str) -> None:
    text = VALIDATION_DOC.read_text(encoding="utf-8")
    assert f"`{code}`" in text, (
        f"problem code {code!r} (raised at {', '.join(CODES[code])}) is not documented in "
        "docs/validation.md; add a row for it"
    )


DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_point_at_files_of_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    broken = [t for t in local if not (doc.parent / t).resolve().exists()]
    outside = [t for t in local if ROOT not in (doc.parent / t).resolve().parents]
    assert not broken, f"{doc.name}: links to missing files: {broken}"
    assert not outside, f"{doc.name}: links outside the repository: {outside}"


def test_no_file_cites_the_design_notes_outside_the_repository() -> None:
    files = [*DOCS, *sorted(PACKAGE.rglob("*.py"))]
    citing = [
        str(f.relative_to(ROOT))
        for f in files
        if re.search(r"\b(DESIGN|STYLE)\.md\b", f.read_text(encoding="utf-8"))
    ]
    assert not citing, f"these files cite DESIGN.md/STYLE.md, which users do not have: {citing}"


def test_readme_gives_the_fast_subset_and_the_slow_modules_exist() -> None:
    from conftest import SLOW_TESTS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'python -m pytest -m "not slow"' in readme
    assert re.search(r"The whole suite takes about \d+ minutes", readme)  # says how long
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'markers = ["slow:' in pyproject
    assert all((ROOT / t.split("::")[0]).is_file() for t in SLOW_TESTS), SLOW_TESTS
