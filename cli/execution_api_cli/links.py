"""Decision links as people receive them: the API's ``.../execution/<id>/signal?input=<token>``
or the console's ``.../console/decide#input=<token>``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from execution_api_cli.errors import CliError

_SIGNAL_PATH = re.compile(r"/execution/([^/]+)/signal/?$")


@dataclass(frozen=True)
class DecisionLink:
    token: str
    execution_id: str | None  # API links name the execution; console links do not


def is_link(text: str) -> bool:
    return urlsplit(text.strip()).scheme in ("http", "https")


def parse_link(text: str) -> DecisionLink:
    url = urlsplit(text.strip())
    path = _SIGNAL_PATH.search(url.path)
    query = parse_qs(url.query).get("input")
    if path and query:
        return DecisionLink(query[0], unquote(path.group(1)))
    fragment = parse_qs(url.fragment).get("input")
    if fragment:
        return DecisionLink(fragment[0], None)
    raise CliError(
        "not a decision link: expected .../execution/<id>/signal?input=<token> or .../console/decide#input=<token>"
    )
