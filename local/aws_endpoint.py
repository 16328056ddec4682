"""The embedded AWS over HTTP: ``<origin>/_aws`` answers AWS API calls from the AWS CLI or boto3
(``--endpoint-url http://127.0.0.1:8080/_aws``), so that anyone can look at what the API did:
IAM group memberships, the tables, the executions. It serves moto's own server application in
this process, over the same in-memory state the functions use. Local only: never deployed."""

from __future__ import annotations

import io
import sys
from typing import Any

from local.apigw import HttpRequest, HttpResponse

PATH = "/_aws"


class EmbeddedAwsEndpoint:
    def __init__(self, host: str, port: int) -> None:
        from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - moto loads only with the server
            DomainDispatcherApplication,
            create_backend_app,
        )

        self._app = DomainDispatcherApplication(create_backend_app)
        self._host, self._port = host, port

    def handle(self, request: HttpRequest) -> HttpResponse | None:
        """The response to an AWS API call under ``PATH``; ``None`` for any other path."""
        if request.raw_path != PATH and not request.raw_path.startswith(PATH + "/"):
            return None
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
