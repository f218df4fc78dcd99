"""The app's access control, bind address and upload confinement, against a real server."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .conftest import Server


@contextmanager
def _client(server: Server) -> Iterator[tuple[httpx.Client, str]]:
    """A client holding a session cookie, and the session's CSRF token."""
    with httpx.Client(base_url=server.base, follow_redirects=True, timeout=60) as client:
        page = client.get(f"/?token={server.token}")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        yield client, csrf[1]


@pytest.mark.parametrize(
    "path", ["/", "/static/htmx.min.js", "/s/demo/map", "/s/demo/files/results.json"]
)
def test_requests_without_the_token_get_403(server: Server, path: str) -> None:
    with httpx.Client(base_url=server.base) as client:
        assert client.get(path).status_code == 403
        assert client.get(path, params={"token": server.token[:-1] + "x"}).status_code == 403
    with httpx.Client(base_url=server.base, cookies={"patalliance_session": server.token}) as c:
        assert c.get(path).status_code == 403
    with httpx.Client(base_url=server.base) as client:
        assert client.post("/new/demo", data={"csrf": "x"}).status_code == 403


def test_a_foreign_host_header_is_refused(server: Server) -> None:
    with httpx.Client(base_url=server.base) as client:
        r = client.get(f"/?token={server.token}", headers={"host": "evil.example"})
        assert r.status_code == 400
        assert "set-cookie" not in r.headers


def test_the_token_opens_a_session_cookie(server: Server) -> None:
    with _client(server) as (client, _):
        cookie = client.cookies.get("patalliance_session")
        assert cookie and cookie != server.token
        assert client.get("/static/htmx.min.js").status_code == 200
        assert client.get("/static/htmx.LICENSE").status_code == 200


def test_posts_need_the_csrf_token(server: Server) -> None:
    with _client(server) as (client, csrf):
        assert client.post("/new/demo", data={}).status_code == 403
        assert client.post("/new/demo", data={"csrf": csrf + "x"}).status_code == 403
        before = sorted(p.name for p in server.workspace.iterdir())
        assert sorted(p.name for p in server.workspace.iterdir()) == before


@pytest.mark.parametrize(
    "name",
    [
        "../escaped.csv",
        "../../escaped.csv",
        "/tmp/escaped.csv",
        "a/../../escaped.csv",
        "..\\escaped.csv",
        ".hidden.csv",
        "..",
    ],
)
def test_an_upload_with_a_path_cannot_leave_the_workspace(server: Server, name: str) -> None:
    outside = server.workspace.parent
    with _client(server) as (client, csrf):
        r = client.post(
            "/new/tidy",
            data={"csrf": csrf, "name": "evil"},
            files={
                "responses": (name, b"participant_id,timepoint,instrument,item,value\n"),
                "participants": ("participants.csv", b"participant_id,arm\n"),
            },
        )
    assert r.status_code == 400, r.text
    assert not (outside / "escaped.csv").exists()
    assert not Path("/tmp/escaped.csv").exists()
    assert not list(server.workspace.rglob("escaped.csv"))


def test_bad_study_names_are_refused(server: Server) -> None:
    with _client(server) as (client, _):
        assert client.get("/s/..%2F..%2Fetc/map").status_code in {400, 404}
        assert client.get("/s/nosuchstudy/map").status_code == 400
        r = client.get("/s/nosuchstudy/files/..%2F..%2Fstudy.toml")
        assert r.status_code in {400, 404}


def test_uploads_over_the_limit_get_413(server: Server) -> None:
    with _client(server) as (client, csrf):
        big = b"x" * (3 * 1024 * 1024)
        r = client.post(
            "/new/tidy",
            data={"csrf": csrf, "name": "big"},
            files={"responses": ("r.csv", big), "participants": ("p.csv", b"a")},
        )
    assert r.status_code == 413
    assert "2 MB" in r.text


def test_user_text_is_escaped(server: Server) -> None:
    responses = b"participant_id,timepoint,instrument,item,value\nP1,t0,wai_sr,1,3\n"
    participants = b"participant_id,arm\nP1,<b>bold</b>\n"
    with _client(server) as (client, csrf):
        r = client.post(
            "/new/tidy",
            data={"csrf": csrf, "name": "escape"},
            files={
                "responses": ("responses.csv", responses),
                "participants": ("participants.csv", participants),
            },
        )
    assert r.status_code == 200
    assert "<b>bold</b>" not in r.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in r.text


def _other_address() -> str | None:
    """This machine's address on its default interface (no packet is sent), if not loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_the_server_listens_on_loopback_only(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass
    other = _other_address()
    if other is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError):
        socket.create_connection((other, server.port), timeout=5).close()


def test_a_busy_port_is_a_usage_error(server: Server) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "patalliance",
            "app",
            "--no-browser",
            "--port",
            str(server.port),
            "--workspace",
            str(server.workspace),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert f"--port {server.port}" in result.stderr


def test_bind_is_loopback() -> None:
    from patalliance.app.server import bind

    sock = bind(0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_without_the_extra_the_command_says_how_to_install_it() -> None:
    result = _run_python(
        "import sys; sys.modules['starlette'] = None\n"
        "from patalliance.cli.main import app\n"
        "app(['app', '--no-browser'])\n"
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'patalliance[app]'" in result.stderr


def test_help_does_not_import_the_web_stack() -> None:
    result = _run_python(
        "import sys\n"
        "from patalliance.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'starlette', 'uvicorn', 'fastapi', 'multipart', 'httpx', 'anyio'}))\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert " app " in result.stdout
