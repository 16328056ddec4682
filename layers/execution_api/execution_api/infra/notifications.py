"""Delivers decision links to one recipient: an SNS message (subscribers filter on the
``recipient`` message attribute: ``user:<email>`` or ``group:<name>``) and, if configured, a
Slack-style webhook post. Every text that came from a user is escaped for where it is shown:
Slack mrkdwn in ``text``, HTML in ``html``. Links are never logged."""

from __future__ import annotations

import html
import json
import urllib.request
from dataclasses import dataclass
from typing import Any

from execution_api.infra.clients import client
from execution_api.infra.observability import logger
from execution_api.infra.settings import get_settings

WEBHOOK_TIMEOUT_SECONDS = 3


@dataclass(frozen=True)
class DecisionRequest:
    """What a decision is about, in the words people read (user text, unescaped)."""

    requester: str
    subject: str  # e.g. the role asked for
    duration: str
    reason: str


def escape_mrkdwn(text: str) -> str:
    """Slack's rule: only ``&``, ``<`` and ``>`` are control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def deliver_links(recipient: str, request: DecisionRequest, links: dict[str, str]) -> None:
    settings = get_settings()
    approve, deny = links["console_approve"], links["console_deny"]
    plain = f"{request.requester} requests {request.subject} for {request.duration}: {request.reason}"
    if settings.signal_topic_arn:
        client("sns").publish(
            TopicArn=settings.signal_topic_arn,
            Subject="Decision requested",
            Message=f"{plain}\nApprove: {approve}\nDeny: {deny}",
            MessageAttributes={"recipient": {"DataType": "String", "StringValue": recipient}},
        )
    if settings.signal_webhook_url:
        fields = [request.requester, request.subject, request.duration, request.reason]
        mrkdwn = "{} requests *{}* for {}: {}".format(*(escape_mrkdwn(field) for field in fields))
        markup = "{} requests <b>{}</b> for {}: {}".format(*(html.escape(field) for field in fields))
        payload = {
            "recipient": recipient,
            "text": f"{mrkdwn}\n<{approve}|Approve> · <{deny}|Deny>",
            "html": f'<p>{markup}</p><p><a href="{html.escape(approve)}">Approve</a> · '
            f'<a href="{html.escape(deny)}">Deny</a></p>',
            "links": links,
        }
        _post_webhook(settings.signal_webhook_url, payload)
    logger.info("decision links delivered", extra={"recipient": recipient})


def _post_webhook(url: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 - the URL is a stack parameter, https in AWS
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS):  # noqa: S310
        pass
