"""The report in a real browser: Debian's chromium driven by Playwright for Python.

Opens the demo report (or, if the demo is unavailable, the tiny test study's report) from
file:// with every non-file request blocked and recorded, and checks: no console errors, every
figure has a non-zero size, no request leaves the file. With PATALLIANCE_UPDATE_SCREENSHOTS=1
it also refreshes docs/screenshot-report.png (first screen) and docs/screenshot-figure.png.

Skips only when /usr/bin/chromium is absent and the CI variable is not set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_support import launch, skip_without_chromium, watched_page
from conftest import run_cli, write_study

DOCS = Path(__file__).resolve().parents[1] / "docs"

skip_without_chromium()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    result = run_cli("demo", "--out", str(root / "demo"))
    if result.returncode == 0 and (root / "demo" / "report.html").is_file():
        return root / "demo" / "report.html"
    study = write_study(root / "study")
    result = run_cli("analyze", str(study), "--out", str(root / "out"))
    assert result.returncode == 0, result.stderr
    return root / "out" / "report.html"


def test_report_in_chromium(report: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page, watch = watched_page(browser, "file://")
            page.goto(report.as_uri(), wait_until="load")
            figures = page.locator("figure svg, figure img")
            count = figures.count()
            assert count >= 5
            for i in range(count):
                box = figures.nth(i).bounding_box()
                assert box is not None and box["width"] > 0 and box["height"] > 0, i
            assert page.locator("table").count() >= 4
            shot = tmp_path / "screenshot-report.png"
            page.screenshot(path=str(shot))
            target = (
                page.locator("#fig-depression")
                if page.locator("#fig-depression").count()
                else page.locator("figure").first
            )
            target.scroll_into_view_if_needed()
            fig_shot = tmp_path / "screenshot-figure.png"
            target.screenshot(path=str(fig_shot))
            assert shot.stat().st_size > 10_000 and fig_shot.stat().st_size > 5_000
        finally:
            browser.close()
    assert watch.errors == []
    assert watch.outside == []
    if os.environ.get("PATALLIANCE_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / "screenshot-report.png")
        shutil.copyfile(fig_shot, DOCS / "screenshot-figure.png")


#: For every table: its width, and the scroll and client widths of its container.
_TABLE_WIDTHS = """() => Array.from(document.querySelectorAll('table')).map(t => {
  const box = t.parentElement;
  const caption = t.querySelector('caption');
  return {name: caption ? caption.textContent.trim().slice(0, 60) : box.id,
          table: t.scrollWidth, scroll: box.scrollWidth, client: box.clientWidth};
})"""

#: For every figure: the smallest text in it, in points at the size it is drawn (an SVG user
#: unit is a point; the SVG is scaled by its drawn width over its viewBox width; 1 CSS px =
#: 0.75 pt).
_FIGURE_TEXT_PT = """() => Array.from(document.querySelectorAll('figure svg')).map(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = Array.from(svg.querySelectorAll('text'))
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale * 0.75);
  return {id: svg.closest('figure').id, texts: sizes.length, smallest: Math.min(...sizes)};
})"""


def _overflowing(page: object) -> list[dict]:
    widths = page.evaluate(_TABLE_WIDTHS)  # type: ignore[attr-defined]
    assert len(widths) >= 10
    return [w for w in widths if w["table"] > w["client"] or w["scroll"] > w["client"]]


def test_tables_fit_and_figure_text_is_readable(report: Path) -> None:
    """At a 1,300 px window and on an A4 page no table is wider than its container, and no
    figure text is smaller than 9 pt at the size the figure is drawn."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page, watch = watched_page(browser, "file://")
            page.set_viewport_size({"width": 1300, "height": 900})
            page.goto(report.as_uri(), wait_until="load")
            # the demo report has the sections beyond the paper, with their wide tables
            for section in ("#regressions", "#moderation", "#trajectories", "#qc"):
                assert page.locator(section).count() == 1, section
            assert _overflowing(page) == []
            fonts = page.evaluate(_FIGURE_TEXT_PT)
            assert len(fonts) >= 5 and all(f["texts"] > 0 for f in fonts), fonts
            small = [f for f in fonts if f["smallest"] < 8.99]  # 9 pt, to sub-pixel rounding
            assert small == [], small
            # printed on A4 with the report's 14 mm margins: about 690 CSS px of text width
            page.emulate_media(media="print")
            page.set_viewport_size({"width": 690, "height": 900})
            assert _overflowing(page) == []
        finally:
            browser.close()
    assert watch.errors == []


def test_validation_problems_table_fits(tmp_path: Path) -> None:
    """The QC appendix's table of problems (long ids and messages) wraps inside the page."""
    from conftest import make_responses
    from playwright.sync_api import sync_playwright

    responses = make_responses()
    responses.loc[3, "value"] = "77"
    responses.loc[5, "participant_id"] = "P999_" + "x" * 60
    responses.loc[8, "timepoint"] = "followup_twelve_months_after_the_second_session_arm_2"
    study = write_study(tmp_path / "study", responses, data_extra='policy = "lenient"')
    result = run_cli("analyze", str(study), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page, watch = watched_page(browser, "file://")
            page.set_viewport_size({"width": 1300, "height": 900})
            page.goto((tmp_path / "out" / "report.html").as_uri(), wait_until="load")
            assert page.get_by_text("Validation problems").count() == 1
            widths = page.evaluate(_TABLE_WIDTHS)
            assert [
                w for w in widths if w["table"] > w["client"] or w["scroll"] > w["client"]
            ] == []
        finally:
            browser.close()
    assert watch.errors == []
