"""The embedded AWS over HTTP: ``<origin>/_aws`` answers AWS API calls from the AWS CLI or boto3
(``--endpoint-url http://127.0.0.1:8080/_aws``), so that anyone can look at what the API did:
IAM group memberships, Identity Center assignments, the tables, the executions. It serves moto's
own server application in this process, over the same in-memory state the functions use.

Lambda's ``Invoke`` (``aws lambda invoke --function-name <name>``, request-response) runs the
stack's own functions (``toolkit.functions``), e.g. the reconciler's pass now rather than at its
schedule. Local only: never deployed."""

from __future__ import annotations

import io
import json
import re
import sys
import urllib.parse
from typing import Any

from local.apigw import HttpRequest, HttpResponse
from toolkit.functions import LambdaFunction

PATH = "/_aws"
_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")


class EmbeddedAwsEndpoint:
    def __init__(self, host: str, port: int, functions: dict[str, LambdaFunction] | None = None) -> None:
        from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - moto loads only with the server
            DomainDispatcherApplication,
            create_backend_app,
        )

        self._app = DomainDispatcherApplication(create_backend_app)
        self._host, self._port = host, port
        self._functions = {function.name: function for function in (functions or {}).values()}

    def handle(self, request: HttpRequest) -> HttpResponse | None:
        """The response to an AWS API call under ``PATH``; ``None`` for any other path."""
        if request.raw_path != PATH and not request.raw_path.startswith(PATH + "/"):
            return None
        invoked = _INVOKE.match(request.raw_path.removeprefix(PATH))
        if request.method == "POST" and invoked:
            return self._invoke(urllib.parse.unquote(invoked[1]), request)
        environ = self._environ(request)
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers

        chunks = self._app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        headers = [(name, value) for name, value in answer["headers"] if name.lower() != "content-length"]
        return HttpResponse(answer["status"], headers, body)

    def _invoke(self, name: str, request: HttpRequest) -> HttpResponse:
        """Lambda ``Invoke``, request-response, of one of the stack's functions (by name or ARN)."""
        function = self._functions.get(name.rsplit(":", 1)[-1] if name.startswith("arn:") else name)
        if function is None:
            return _lambda_error(404, "ResourceNotFoundException", f"Function not found: {name}")
        if (request.header("x-amz-invocation-type") or "RequestResponse") != "RequestResponse":
            return _lambda_error(400, "InvalidParameterValueException", "locally, only RequestResponse invocations")
        try:
            event = json.loads(request.body) if request.body else {}
        except ValueError:
            return _lambda_error(400, "InvalidRequestContentException", "the payload is not JSON")
        headers = [("content-type", "application/json"), ("x-amz-executed-version", "$LATEST")]
        try:
            result = function.invoke(event)
        except Exception as error:  # noqa: BLE001 - reported to the caller, as Lambda does
            failure = {"errorMessage": str(error), "errorType": type(error).__name__}
            return HttpResponse(200, [*headers, ("x-amz-function-error", "Unhandled")], json.dumps(failure).encode())
        return HttpResponse(200, headers, json.dumps(result).encode())

    def _environ(self, request: HttpRequest) -> dict[str, Any]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": request.raw_path.removeprefix(PATH) or "/",
            "QUERY_STRING": request.raw_query,
            "SERVER_NAME": self._host,
            "SERVER_PORT": str(self._port),
            "SERVER_PROTOCOL": request.protocol,
            "REMOTE_ADDR": request.source_ip,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(request.body)),
        }
        for name, value in request.headers:
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        return environ


def _lambda_error(status: int, code: str, message: str) -> HttpResponse:
    headers = [("content-type", "application/json"), ("x-amzn-errortype", code)]
    return HttpResponse(status, headers, json.dumps({"Type": "User", "message": message}).encode())
