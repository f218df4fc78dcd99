"""The whole flow in headless Chromium, on the demo: Start → Map → Check → Plan → Run → Results.

Checks that the results equal those of ``patalliance analyze`` on the same study file, that no
request leaves 127.0.0.1, that every control has a label, and that the whole flow works from the
keyboard (each link and button is focused and activated with Enter). With
PATALLIANCE_UPDATE_SCREENSHOTS=1 it refreshes docs/app-*.png.

Skips only when /usr/bin/chromium is absent and the CI variable is not set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from browser_support import launch, skip_without_chromium, watched_page
from numpy.testing import assert_allclose

from .conftest import Server

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOTS = os.environ.get("PATALLIANCE_UPDATE_SCREENSHOTS") == "1"

skip_without_chromium()

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.type !== 'hidden')
  .filter(e => e.tagName === 'BUTTON' ? !e.textContent.trim() : e.labels.length === 0)
  .map(e => e.outerHTML)"""


def _shot(page: Any, name: str) -> None:
    assert page.evaluate(UNLABELLED) == []
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / f"app-{name}.png"), full_page=False)


def _press(page: Any, locator: Any) -> None:
    """Activate a link or button from the keyboard: focus it, then Enter."""
    locator.focus()
    page.keyboard.press("Enter")


def _drive(page: Any, server: Server) -> None:
    page.goto(server.url, wait_until="load")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    _shot(page, "1-start")
    _press(page, page.get_by_role("button", name="Open the demo study"))
    page.wait_for_url("**/s/demo/map")
    assert page.get_by_label("Label of arm immediate").input_value() == "Immediate treatment"
    _shot(page, "2-map")
    _press(page, page.get_by_role("button", name="Save and check the data"))
    page.wait_for_url("**/s/demo/check")
    assert "Rows read 7419, used 7419" in page.locator("#qc-summary").inner_text()
    _shot(page, "3-check")
    _press(page, page.get_by_role("link", name="Continue to the plan"))
    page.wait_for_url("**/s/demo/plan")
    _shot(page, "4-plan")
    _press(page, page.get_by_role("button", name="Save the plan"))
    page.wait_for_url("**/s/demo/run")
    _press(page, page.get_by_role("button", name="Run the analysis"))
    page.locator("#to-results").wait_for(timeout=300_000)
    _shot(page, "5-run")
    _press(page, page.locator("#to-results"))
    page.wait_for_url("**/s/demo/results")
    frame = page.frame_locator("iframe[title='The analysis report']")
    frame.locator("h1").first.wait_for(timeout=60_000)
    _shot(page, "6-results")


def test_the_demo_flow_in_chromium(server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page, watch = watched_page(browser, server.base + "/")
            _drive(page, server)
        finally:
            browser.close()
    assert watch.outside == []
    assert watch.errors == []
    _compare_with_the_command_line(server.workspace / "demo", tmp_path / "cli")


def _compare_with_the_command_line(study: Path, out: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "patalliance",
            "analyze",
            str(study / "study.toml"),
            "--out",
            str(out),
            "--no-report",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    app = json.loads(
        (study.with_name(study.name + ".out") / "results.json").read_text(encoding="utf-8")
    )
    cli = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(app["correlations"]) == len(cli["correlations"]) > 0
    for a, c in zip(app["correlations"], cli["correlations"], strict=True):
        assert (a["x"], a["y"], a["n"]) == (c["x"], c["y"], c["n"])
        assert_allclose([a["r"], a["p"]], [c["r"], c["p"]], rtol=1e-12)
    for name in ("results.json", "scores.csv", "tables/tables.xlsx", "tables/tables.docx"):
        assert (study.with_name(study.name + ".out") / name).is_file(), name


def _drive_redcap(page: Any, server: Server, dictionary: Path, records: Path) -> None:
    page.goto(server.url, wait_until="load")
    page.get_by_label("Study name").nth(1).fill("redcap-demo")
    page.get_by_label("Data dictionary CSV").set_input_files(str(dictionary))
    page.get_by_label("Records export CSV").set_input_files(str(records))
    _press(page, page.get_by_role("button", name="Draft the study"))
    page.wait_for_url("**/s/redcap-demo/map")
    _press(page, page.get_by_role("button", name="Save and check the data"))
    page.wait_for_url("**/s/redcap-demo/check")
    assert "excluded 0" in page.locator("#qc-summary").inner_text().replace(",", "")
    _press(page, page.get_by_role("link", name="Continue to the plan"))
    page.wait_for_url("**/s/redcap-demo/plan")
    _press(page, page.get_by_role("button", name="Save the plan"))
    page.wait_for_url("**/s/redcap-demo/run")
    _press(page, page.get_by_role("button", name="Run the analysis"))
    page.locator("#to-results").wait_for(timeout=300_000)
    _press(page, page.locator("#to-results"))
    page.wait_for_url("**/s/redcap-demo/results")


def test_a_redcap_study_in_chromium(server: Server, tmp_path: Path) -> None:
    """A REDCap project (the demo exported by ``patalliance export --to redcap``: a data
    dictionary and a records export) through Start → Map → Check → Plan → Run → Results."""
    from playwright.sync_api import sync_playwright

    from patalliance.demo import DEMO_DIR

    export = subprocess.run(
        [sys.executable, "-m", "patalliance", "export", str(DEMO_DIR / "study.toml"),
         "--to", "redcap", "--out", str(tmp_path / "redcap")],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page, watch = watched_page(browser, server.base + "/")
            _drive_redcap(
                page, server, tmp_path / "redcap" / "dictionary.csv",
                tmp_path / "redcap" / "records.csv",
            )  # fmt: skip
        finally:
            browser.close()
    assert watch.outside == []
    assert watch.errors == []
    _compare_with_the_command_line(server.workspace / "redcap-demo", tmp_path / "cli")
