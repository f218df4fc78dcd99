"""A real ``patalliance app`` server in a subprocess, for the app's tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the app extra is not installed")
pytest.importorskip("uvicorn", reason="the app extra is not installed")


@dataclass(frozen=True)
class Server:
    url: str
    base: str
    token: str
    port: int
    workspace: Path
    process: subprocess.Popen[str]


def start_server(workspace: Path, *extra: str) -> Server:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "patalliance",
            "app",
            "--no-browser",
            "--workspace",
            str(workspace),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    match = re.fullmatch(r"(http://127\.0\.0\.1:(\d+))/\?token=([A-Za-z0-9_-]+)", first)
    assert match, f"first line of stdout was {first!r}"
    return Server(first, match[1], match[3], int(match[2]), workspace, process)


def stop_server(server: Server) -> tuple[int, str]:
    """Ctrl-C, as a user would; the exit status and stderr."""
    server.process.send_signal(signal.SIGINT)
    try:
        _, err = server.process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        _, err = server.process.communicate()
    return server.process.returncode, err


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("app") / "workspace", "--max-upload-mb", "2")
    yield running
    code, err = stop_server(running)
    assert code == 0, err
    assert "stopped" in err
