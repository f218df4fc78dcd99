"""A new study from tidy CSV uploads, through every step, with plain HTTP (no browser)."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import httpx

from .conftest import Server


class _Form(HTMLParser):
    """The fields a browser would submit from the first form posting to ``action``."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.done = False
        self.select: str | None = None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("action") == self.action and not self.done:
            self.inside = True
        elif not self.inside:
            return
        elif tag == "input" and "name" in a:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields.append((a["name"], "on"))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.option = True
            self.pending = a.get("value")

    def handle_data(self, data: str) -> None:
        if getattr(self, "option", False) and self.select:
            value = self.pending if self.pending is not None else data.strip()
            self.fields.append((self.select, value))
            self.option = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


def _submit(client: httpx.Client, page: httpx.Response, action: str) -> httpx.Response:
    form = _Form(action)
    form.feed(page.text)
    assert form.fields, f"no form posting to {action}"
    body = "&".join(f"{httpx.QueryParams({k: v})}" for k, v in form.fields)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return client.post(action, content=body.encode(), headers=headers)


def test_a_tidy_csv_study_through_every_step(server: Server) -> None:
    demo = resources.files("patalliance") / "data" / "levin2024"
    files = {
        "responses": ("responses.csv", (demo / "responses.csv").read_bytes()),
        "participants": ("participants.csv", (demo / "participants.csv").read_bytes()),
    }
    with httpx.Client(base_url=server.base, follow_redirects=True, timeout=120) as client:
        start = client.get(f"/?token={server.token}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', start.text)
        assert csrf
        data = {"csrf": csrf[1], "name": "tidy-trial", "title": "A trial"}
        mapping = client.post("/new/tidy", data=data, files=files)
        assert mapping.status_code == 200, mapping.text
        assert str(mapping.url).endswith("/s/tidy-trial/map")
        for expected in ("immediate", "delayed", "alliance", "wai_sr", "depression", "fu12m"):
            assert expected in mapping.text
        check = _submit(client, mapping, "/s/tidy-trial/map")
        assert check.status_code == 200, check.text
        assert "Rows read 7419" in check.text
        plan = client.get("/s/tidy-trial/plan")
        assert "alliance.total@prep" in plan.text
        run = _submit(client, plan, "/s/tidy-trial/plan")
        assert str(run.url).endswith("/s/tidy-trial/run"), run.text
        run = _submit(client, run, "/s/tidy-trial/run")
        for _ in range(300):
            if "See the results" in run.text or "stopped" in run.text:
                break
            time.sleep(1)
            run = client.get("/s/tidy-trial/run/status")
        assert "See the results" in run.text, run.text
        results = client.get("/s/tidy-trial/results")
        assert "results.json" in results.text
        doc = client.get("/s/tidy-trial/files/results.json").json()
        families = {c["family"] for c in doc["correlations"]}
        assert families == {"alliance_outcome"}
        assert client.get("/s/tidy-trial/files/study.toml").status_code == 200
    state = (server.workspace / "tidy-trial" / "app-state.json").read_text(encoding="utf-8")
    assert '"run"' in state


def test_a_redcap_export_is_drafted_and_its_problems_shown(server: Server) -> None:
    folder = Path(__file__).resolve().parents[1] / "data" / "io" / "redcap"
    files = {
        "dictionary": ("dictionary.csv", (folder / "dictionary.csv").read_bytes()),
        "records": ("records_raw.csv", (folder / "records_raw.csv").read_bytes()),
    }
    with httpx.Client(base_url=server.base, follow_redirects=True, timeout=120) as client:
        start = client.get(f"/?token={server.token}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', start.text)
        assert csrf
        mapping = client.post("/new/redcap", data={"csrf": csrf[1], "name": "rc"}, files=files)
        assert mapping.status_code == 200, mapping.text
        assert "inferred: instrument wai_sr" in mapping.text
        assert "not inferred: repeating form" in mapping.text
        check = _submit(client, mapping, "/s/rc/map")
        assert check.status_code == 200, check.text
        assert "<code>unmapped_repeat</code>" in check.text
        assert "records_raw.csv" in check.text
        assert "Continue to the plan" not in check.text


def test_study_files_survive_a_round_trip_through_the_app() -> None:
    import tomllib

    from patalliance.app.draft import dump_toml

    text = (resources.files("patalliance") / "data" / "levin2024" / "study.toml").read_text()
    doc = tomllib.loads(text)
    assert tomllib.loads(dump_toml(doc)) == doc
