"""The template's Lambda functions, loaded and invoked in this process as Lambda would.

Each ``AWS::Serverless::Function`` is imported from its ``CodeUri`` (once per process, like one
warm container) and called with a :class:`LambdaContext`, one event at a time in the whole
process.

Why the whole process, not one function at a time: a Lambda process handles one event at a time,
and Powertools relies on it. Its resolver keeps the event being handled on a class attribute that
every function's app shares (``BaseRouter.current_event``), and the Logger keeps the invocation's
keys on the shared logger. With a lock per function, two functions invoked at once in this one
process read each other's event: a POST lost its body (400 "body: Field required") and a list
ran as another caller and returned their executions (``tests/e2e/test_concurrent_requests.py``,
``tests/test_local_function_runner.py``). Callers still run in many threads; only the handlers'
own work is serialized, which the GIL mostly serialized already.
"""

from __future__ import annotations

import importlib.util
import logging
import secrets
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from toolkit.template import (
    ACCOUNT_ID,
    FUNCTION,
    REGION,
    ROOT,
    STACK_NAME,
    Resolver,
    TemplateError,
    function_property,
    resources_of_type,
)

LOG = logging.getLogger("toolkit.functions")
FUNCTIONS_DIR = ROOT / "functions"
DEFAULT_HANDLER = "app.lambda_handler"


class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    def __init__(self, name: str, memory_mb: int = 512, timeout_s: int = 15, account_id: str = ACCOUNT_ID) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{account_id}:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{secrets.token_hex(16)}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# One event at a time in the process: see the module docstring.
_INVOCATION_LOCK = threading.Lock()


@dataclass
class LambdaFunction:
    logical_id: str
    name: str
    handler: Any
    memory_mb: int
    timeout_s: int
    account_id: str

    def invoke(self, event: Any) -> Any:
        with _INVOCATION_LOCK:
            context = LambdaContext(self.name, self.memory_mb, self.timeout_s, self.account_id)
            started = time.monotonic()
            result = self.handler(event, context)
            elapsed = time.monotonic() - started
            if elapsed > self.timeout_s:
                LOG.warning("%s ran %.1fs, longer than its %ss timeout", self.logical_id, elapsed, self.timeout_s)
            return result


@cache
def handler_module(source: Path) -> ModuleType:
    """``functions/<dir>/<module>.py`` imported once per process, as ``functions.<dir>.<module>``
    (each function is its own Lambda: the modules must not share a name)."""
    relative = source.resolve().relative_to(ROOT).with_suffix("")
    module_name = ".".join(relative.parts)
    module_spec = importlib.util.spec_from_file_location(module_name, source)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {source}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    return module


def function_module(directory: str) -> ModuleType:
    """The handler module of ``functions/<directory>/`` (``app.py``)."""
    return handler_module(FUNCTIONS_DIR / directory / "app.py")


def handler_source(template: dict[str, Any], logical_id: str, resolver: Resolver) -> tuple[Path, str]:
    """The file of a function's handler module and the handler's attribute name."""
    code_uri = resolver.resolve(function_property(template, logical_id, "CodeUri"), f"{logical_id}.CodeUri")
    if not isinstance(code_uri, str):
        raise TemplateError(f"{logical_id}.CodeUri: only a local directory can be loaded, not {code_uri!r}")
    handler = str(function_property(template, logical_id, "Handler", DEFAULT_HANDLER))
    module_path, _, attribute = handler.rpartition(".")
    return ROOT / code_uri / (module_path.replace(".", "/") + ".py"), attribute


def function_name(template: dict[str, Any], logical_id: str, resolver: Resolver) -> str:
    name = template["Resources"][logical_id].get("Properties", {}).get("FunctionName")
    return str(resolver.resolve(name, f"{logical_id}.FunctionName")) if name else f"{STACK_NAME}-{logical_id}"


def load_function(template: dict[str, Any], logical_id: str, resolver: Resolver, account_id: str) -> LambdaFunction:
    """The function's handler, ready to invoke like one warm container."""
    source, attribute = handler_source(template, logical_id, resolver)
    return LambdaFunction(
        logical_id=logical_id,
        name=function_name(template, logical_id, resolver),
        handler=getattr(handler_module(source), attribute),
        memory_mb=int(resolver.resolve(function_property(template, logical_id, "MemorySize", 128), logical_id)),
        timeout_s=int(resolver.resolve(function_property(template, logical_id, "Timeout", 3), logical_id)),
        account_id=account_id,
    )


def load_functions(template: dict[str, Any], resolver: Resolver, account_id: str) -> dict[str, LambdaFunction]:
    """Every enabled function of the template, by logical id."""
    return {
        logical_id: load_function(template, logical_id, resolver, account_id)
        for logical_id in resources_of_type(template, FUNCTION)
        if resolver.is_enabled(logical_id)
    }


def clear_warm_caches() -> None:
    """What a warm container keeps between invocations: settings, the configuration read with them
    (roles policy, workflow catalogue), the code's clients and repositories, and cached parameter
    values. The Powertools providers themselves stay (``parameters.clear_caches()`` would drop
    them, and making one costs a boto3 session, about 0.15 s): their value caches are what must not
    leak from one test or stack to the next."""
    from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS  # noqa: PLC0415

    from execution_api.dal import repositories  # noqa: PLC0415
    from execution_api.infra import catalogue_config, clients, config  # noqa: PLC0415
    from execution_api.infra.settings import get_settings  # noqa: PLC0415

    get_settings.cache_clear()
    config.roles_policy.cache_clear()
    catalogue_config.workflow_catalogue.cache_clear()
    clients.client.cache_clear()
    repositories.reset()
    for provider in DEFAULT_PROVIDERS.values():
        provider.clear_cache()
