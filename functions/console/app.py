"""GET /console and /console/{proxy+}: the web console's files (``static/``) and its config.json."""

from pathlib import Path

from execution_api.api.console_site import serve

STATIC_ROOT = Path(__file__).resolve().parent / "static"


def lambda_handler(event: dict, context: object) -> dict:
    return serve(event, STATIC_ROOT)
