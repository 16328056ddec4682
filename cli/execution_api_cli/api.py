"""The API over HTTP: each method is one endpoint of the contract and returns its JSON unchanged;
an error status raises ``ApiError`` with the API's own message."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx

from execution_api_cli import __version__
from execution_api_cli.errors import ApiError, CliError

TIMEOUT_SECONDS = 30.0
MAX_PAGE_SIZE = 100  # the API's largest `limit`
# A read (GET) that meets throttling or a passing gateway error is tried again, after the
# server's Retry-After or a doubling pause; writes are never repeated behind the user's back.
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
READ_ATTEMPTS = 4
FIRST_PAUSE_SECONDS = 0.5
LONGEST_PAUSE_SECONDS = 10.0


def _path_id(execution_id: str) -> str:
    """A guid, or an execution ARN (which has colons), as one path segment."""
    return quote(execution_id, safe="")


def _pause(response: httpx.Response, attempt: int) -> float:
    """Seconds before the next try: the server's ``Retry-After`` (in seconds) if it gave one."""
    given = response.headers.get("retry-after", "")
    pause = float(given) if given.isdigit() else FIRST_PAUSE_SECONDS * 2 ** (attempt - 1)
    return min(pause, LONGEST_PAUSE_SECONDS)


class Api:
    def __init__(
        self,
        base_url: str,
        bearer: Callable[[], str],
        unauthorized_hint: str,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self._bearer = bearer
        self._token: str | None = None
        self._unauthorized_hint = unauthorized_hint
        self._http = httpx.Client(
            base_url=base_url,
            timeout=TIMEOUT_SECONDS,
            headers={"accept": "application/json", "user-agent": f"execapi/{__version__}"},
            transport=transport,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        if self._token is None:
            self._token = self._bearer()
        sent = {"authorization": f"Bearer {self._token}", **(headers or {})}
        attempt = 1
        while True:
            try:
                response = self._http.request(method, path, params=params, json=body, headers=sent)
            except httpx.HTTPError as error:
                raise CliError(f"cannot reach the API at {self.base_url}: {error}") from error
            if method != "GET" or response.status_code not in RETRIED_STATUSES or attempt == READ_ATTEMPTS:
                break
            time.sleep(_pause(response, attempt))
            attempt += 1
        if response.is_success:
            return response.json() if response.content else None
        raise self._error(response)

    def _error(self, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        message = body.get("message") if isinstance(body, dict) else None
        status = response.status_code
        if status == 401:
            return ApiError(status, f"{message or 'Unauthorized'} (HTTP 401): {self._unauthorized_hint}")
        text = str(message) if message else response.reason_phrase or "request failed"
        if status in (429, 503) and "retry-after" in response.headers:
            text += f"; retry after {response.headers['retry-after']} s"
        text += f" (HTTP {status})"
        details = body.get("details") if isinstance(body, dict) else None
        for detail in details if isinstance(details, list) else []:
            line = f"{detail.get('field')}: {detail.get('message')}" if isinstance(detail, dict) else str(detail)
            if line not in text:  # the message often names them already
                text += f"\n  {line}"
        return ApiError(status, text)

    # -- execution records ----------------------------------------------------------------------

    def list_executions(self, filters: dict[str, Any], limit: int | None, page_size: int) -> Iterator[dict[str, Any]]:
        """The caller's executions, newest first, following ``next_token`` until ``limit`` (None: all).
        Every page asks for the same ``limit``: the cursor is bound to it, as to the filters."""
        params: dict[str, Any] = {**filters, "limit": min(page_size, MAX_PAGE_SIZE)}
        yielded = 0
        while True:
            page = self.request("GET", "/executions", params=params)
            for execution in page["executions"]:
                if limit is not None and yielded >= limit:
                    return
                yield execution
                yielded += 1
            if not page.get("next_token") or (limit is not None and yielded >= limit):
                return
            params["next_token"] = page["next_token"]

    def get_record(self, execution_id: str) -> dict[str, Any]:
        return self.request("GET", f"/executions/{_path_id(execution_id)}")

    def delete(self, execution_id: str) -> dict[str, Any]:
        return self.request("DELETE", f"/executions/{_path_id(execution_id)}")

    def audit_trail(self, execution_id: str) -> dict[str, Any]:
        """An elevation's audit trail (admins)."""
        return self.request("GET", f"/executions/{_path_id(execution_id)}/audit")

    # -- workflow control -----------------------------------------------------------------------

    def workflows(self) -> list[dict[str, Any]]:
        """The workflows the caller may start, each with its input's JSON Schema."""
        return self.request("GET", "/workflows")["workflows"]

    def roles(self) -> list[dict[str, Any]]:
        """The roles the caller may request (the elevation workflow's ``role``), with their limits."""
        return self.request("GET", "/roles")["roles"]

    def describe(self, execution_id: str) -> dict[str, Any]:
        """The record with its Step Functions history."""
        return self.request("GET", f"/execution/{_path_id(execution_id)}")

    def start(
        self, workflow: str, workflow_input: Any, session_id: str | None, idempotency_key: str | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"workflow": workflow, "input": workflow_input}
        if session_id:
            body["sessionId"] = session_id
        headers = {"idempotency-key": idempotency_key} if idempotency_key else None
        return self.request("POST", "/execution", body=body, headers=headers)

    def cancel(self, execution_id: str) -> dict[str, Any]:
        return self.request("POST", f"/execution/{_path_id(execution_id)}/cancel")

    def terminate(self, execution_id: str) -> dict[str, Any]:
        return self.request("POST", f"/execution/{_path_id(execution_id)}/terminate")

    # -- decisions ------------------------------------------------------------------------------

    def pending_signals(self) -> list[dict[str, Any]]:
        return self.request("GET", "/signals")["signals"]

    def inspect_signal(self, token: str) -> dict[str, Any]:
        return self.request("POST", "/signals/inspect", body={"input": token})

    def signal(self, execution_id: str, token: str, comment: str | None) -> dict[str, Any]:
        body = {"input": token, **({"comment": comment} if comment else {})}
        return self.request("POST", f"/execution/{_path_id(execution_id)}/signal", body=body)
