"""``python -m patalliance``: the same as the ``patalliance`` command."""

from patalliance.cli.main import app

app(prog_name="patalliance")
