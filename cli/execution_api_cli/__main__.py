"""``python -m execution_api_cli`` runs ``execapi``."""

from execution_api_cli.main import cli

cli(prog_name="execapi")
