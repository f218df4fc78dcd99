"""The Starlette application and the local server behind ``patalliance app``.

The server listens on 127.0.0.1 only, on a socket this module binds itself (a free port
unless one is asked for), and never starts a shell.
"""

from __future__ import annotations

import socket
import sys
import webbrowser
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from patalliance.app.pages import Pages
from patalliance.app.security import CsrfError, Sessions, TokenMiddleware
from patalliance.app.workspace import UnsafeNameError, Workspace
from patalliance.errors import ConfigError

HOST = "127.0.0.1"
STATIC = Path(__file__).parent / "static"


def default_workspace() -> Path:
    return Path.home() / "patalliance-app"


async def _unsafe(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(str(exc), status_code=400)


async def _csrf(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(str(exc), status_code=403)


def create_app(
    workspace: Path, *, sessions: Sessions | None = None, max_upload_mb: int = 50
) -> Starlette:
    """The web app over ``workspace``; ``sessions`` holds the start token."""
    sessions = sessions or Sessions()
    pages = Pages(Workspace(workspace), sessions, max_upload_mb)
    s = "/s/{study}"
    routes = [
        Route("/", pages.start),
        Route("/new/demo", pages.new_demo, methods=["POST"]),
        Route("/new/tidy", pages.new_tidy, methods=["POST"]),
        Route("/new/toml", pages.new_toml, methods=["POST"]),
        Route("/new/redcap", pages.new_redcap, methods=["POST"]),
        Route(f"{s}/map", pages.map_page),
        Route(f"{s}/map", pages.map_save, methods=["POST"]),
        Route(f"{s}/check", pages.check),
        Route(f"{s}/plan", pages.plan_page),
        Route(f"{s}/plan", pages.plan_save, methods=["POST"]),
        Route(f"{s}/run", pages.run_page),
        Route(f"{s}/run", pages.run_start, methods=["POST"]),
        Route(f"{s}/run/status", pages.run_status),
        Route(f"{s}/results", pages.results),
        Route(s + "/files/{path:path}", pages.output_file),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    middleware = [
        # a Host other than the loopback address is refused (DNS rebinding)
        Middleware(TrustedHostMiddleware, allowed_hosts=[HOST, "localhost"]),
        Middleware(
            TokenMiddleware,
            sessions=sessions,
            max_upload_bytes=max_upload_mb * 1024 * 1024,
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={UnsafeNameError: _unsafe, CsrfError: _csrf},
    )


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (``port`` 0: a free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def serve(
    *, port: int = 0, open_browser: bool = True, workspace: Path, max_upload_mb: int = 50
) -> None:
    """Run the app until Ctrl-C; the first line of stdout is the address with its token."""
    import uvicorn

    sessions = Sessions()
    app = create_app(workspace, sessions=sessions, max_upload_mb=max_upload_mb)
    try:
        sock = bind(port)
    except OSError as exc:
        raise ConfigError(
            f"--port {port}: cannot listen on {HOST}:{port} ({exc.strerror}); choose another "
            "port, or leave --port out for a free one."
        ) from None
    url = f"http://{HOST}:{sock.getsockname()[1]}/?token={sessions.token}"
    print(url, flush=True)
    print(f"workspace: {workspace}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False)
    server = uvicorn.Server(config)
    if open_browser:
        webbrowser.open(url)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("stopped.", file=sys.stderr, flush=True)
