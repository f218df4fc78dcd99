"""``patalliance app``: the local web app over the public API.

A thin shell over :func:`patalliance.app.server.serve`. Registered in ``cli/main.py`` with
``app.command("app")(app_command)``. The web stack (Starlette, uvicorn, python-multipart) is
the optional ``app`` extra and is imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import typer

from patalliance.cli._common import err_console, handle_errors
from patalliance.errors import ConfigError

INSTALL_HINT = "pip install 'patalliance[app]'"


@handle_errors
def app_command(
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (default: a free port)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="Folder for the studies (default: ~/patalliance-app)."
    ),
    max_upload_mb: int = typer.Option(
        50, "--max-upload-mb", help="Largest upload accepted, in megabytes."
    ),
) -> None:
    """Start the local web app (127.0.0.1 only): upload, map, check, plan, run, results."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535. Got {port}.")
    if max_upload_mb < 1:
        raise ConfigError(f"--max-upload-mb must be at least 1. Got {max_upload_mb}.")
    try:
        import multipart  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        err_console.print(
            f"error: the app needs the optional 'app' dependencies ({exc.name} is missing); "
            f"install them with: {INSTALL_HINT}",
            markup=False,
        )
        raise SystemExit(2) from None
    from patalliance.app.server import default_workspace, serve

    serve(
        port=port,
        open_browser=not no_browser,
        workspace=(workspace or default_workspace()).expanduser().resolve(),
        max_upload_mb=max_upload_mb,
    )
