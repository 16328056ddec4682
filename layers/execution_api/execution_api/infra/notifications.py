"""Delivers decision links: an SNS message per recipient and, if configured, a webhook post
(Slack-style JSON). Links are never logged."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from execution_api.infra.clients import client
from execution_api.infra.observability import logger
from execution_api.infra.settings import get_settings

WEBHOOK_TIMEOUT_SECONDS = 3


def deliver_links(recipient: str, summary: str, links: dict[str, str]) -> None:
    settings = get_settings()
    text = f"{summary}\nApprove: {links['console_approve']}\nDeny: {links['console_deny']}"
    if settings.signal_topic_arn:
        client("sns").publish(
            TopicArn=settings.signal_topic_arn,
            Subject="Decision requested"[:100],
            Message=text,
            MessageAttributes={"recipient": {"DataType": "String", "StringValue": recipient}},
        )
    if settings.signal_webhook_url:
        _post_webhook(settings.signal_webhook_url, {"text": text, "recipient": recipient, "links": links})
    logger.info("decision links delivered", extra={"recipient": recipient})


def _post_webhook(url: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 - the URL is a stack parameter, https in AWS
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS):  # noqa: S310
        pass
