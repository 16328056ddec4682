"""AWS faults injected into the code's own AWS calls: a botocore hook on the layer's cached client
of a service (``execution_api.infra.clients.client``) fails one operation with an AWS error, or
answers it with a response of the test's choosing, instead of sending it.

The handler tests use it through their ``fail_aws`` fixture; the local server offers it over HTTP
at ``/_local/faults`` (``local.server``), for the end-to-end tests. Never in deployed code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

_REPLY = "toolkit_fault_reply"


@dataclass
class Fault:
    """Fails ``operation`` of ``client`` with a ``ClientError`` of ``code`` (or raises
    ``exception``, or answers ``reply``), for the calls whose parameters include ``match``, until
    :meth:`remove`d or, with ``times``, for that many calls. ``calls`` has the parameters of each
    call it saw."""

    client: Any
    operation: str
    code: str = "ThrottlingException"
    exception: Exception | None = None
    times: int | None = None
    match: dict[str, Any] | None = None
    reply: dict[str, Any] | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        service = self.client.meta.service_model.service_id.hyphenize()
        self._events = (
            (f"before-parameter-build.{service}.{self.operation}", self._before_parameters),
            (f"before-call.{service}.{self.operation}", self._before_call),
        )
        for event, handler in self._events:
            self.client.meta.events.register(event, handler)

    def remove(self) -> None:
        for event, handler in self._events:
            self.client.meta.events.unregister(event, handler)

    def _before_parameters(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.match and any(params.get(name) != value for name, value in self.match.items()):
            return
        self.calls.append(params)
        if self.times is not None and len(self.calls) > self.times:
            return
        if self.reply is not None:
            context[_REPLY] = self.reply
            return
        if self.exception is not None:
            raise self.exception
        raise ClientError({"Error": {"Code": self.code, "Message": f"injected {self.code}"}}, self.operation)

    def _before_call(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        reply = context.pop(_REPLY, None)
        if reply is None:
            return None
        return AWSResponse("https://toolkit.faults.invalid", 200, {}, None), reply


def inject(
    service: str,
    operation: str,
    code: str = "ThrottlingException",
    *,
    exception: Exception | None = None,
    times: int | None = None,
    match: dict[str, Any] | None = None,
    reply: dict[str, Any] | None = None,
) -> Fault:
    """A fault on the code's own (cached) client of ``service``."""
    from execution_api.infra.clients import client  # noqa: PLC0415 - the layer reads its settings lazily

    return Fault(client(service), operation, code, exception, times, match, reply)
