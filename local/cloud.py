"""The embedded AWS: moto in-process, with the template's resources created from their own
properties. Everything lives in memory and is gone when the process ends.

Local-only provisioning (what a real account and identity store already have):

* IAM groups ``<ElevationGroupPrefix><role>`` for the roles ``admin``, ``developer`` and
  ``readonly``: the ``default`` (elevation) workflow grants a role by adding the requester to
  that group with ``aws-sdk:iam:addUserToGroup``.
* Secrets get generated values, as CloudFormation would; ``$LOCAL_SECRETS_FILE`` may name a JSON
  file ``{"<logical id>": "<secret string>"}`` whose values are used instead (e.g. a known
  ``SignalKeySecret`` keyring, so that tests can seal decision links the server accepts).
* An IAM user named exactly after the caller's identity (email claim, else ``sub``), created the
  first time that caller makes an authenticated request, so that the grant has a user to add.

moto workaround (local only, never in production code): moto leaves an execution that waits on
a task token RUNNING after ``StopExecution`` until the token is answered. A botocore
``after-call`` handler for ``StopExecution`` on the default boto3 session (the one the layer's
clients come from) reads the token the execution registered on its record
(``ExecutionRepository.waiting_task_token``) and answers it with ``SendTaskSuccess``. moto has
already marked the execution stopped, so no state of the workflow runs on; the answer only
releases the wait. ``SendTaskFailure`` would not do: once stopped, moto skips the state's Catch
and ends the execution FAILED instead of ABORTED. Checked with moto 5.2.5: a top-level wait (the
``default`` workflow's approval) ends ABORTED, as in AWS; a wait inside a Map state (``batch``
item ``hang``) ends FAILED with ``States.Runtime`` (``States.QueryEvaluationError`` when the
stop lands as the Map starts), because moto fails any stop inside a Map, with or without this
workaround. The record ends TERMINATED either way.

moto thread-safety (local only; found by ``tests/e2e/test_load_invariants.py``): the server
serves requests and runs executions in many threads, and moto 5.2.5 is not thread-safe in two
places that then answered 500. ``TransactWriteItems`` deep-copies a table while other threads
write to it ("dictionary changed size during iteration"): every DynamoDB backend call is
serialized by one re-entrant lock (they never wait on another thread). A Step Functions
execution's worker builds its ``env`` in its own thread after ``StartExecution`` returned, so a
``StopExecution`` of it, or any ``SendTask*`` while any execution is starting, read ``env`` None
(``AttributeError``): the ``env`` is built before the worker's thread starts instead. And a
``StopExecution`` that lands while the program sets its first state (``Environment.
next_state_name``: ``ProgramRunning`` first, the name second, no lock) makes the setter raise
``RuntimeError`` in the worker's thread, which dies: the execution stays RUNNING with nothing
after ``ExecutionStarted``. That is what 3 of 7 load runs showed after a create and an
immediate terminate (the only path found from a stop to such a state; the traceback was not
captured). A stop now waits (at most ``STOP_WAIT_SECONDS``) until the program has started:
none in 8 load runs since.

moto streams (local only; found by running the load test before the signal tests): a
``TransactWriteItems`` that is cancelled (a failed condition, e.g. a decision link clicked
twice) rolls back by putting a deep copy of the table in its place, stream shard included, so
every shard iterator handed out before it read a shard that no longer grew and no decision
link was sent again. ``GetRecords`` here reads the table's current shard, and stream calls take
the DynamoDB lock, so that no poll sees the records of a transaction that is then rolled back.
moto also keeps every iterator it ever handed out; ``GetRecords`` drops the one it used
(``local.streams`` always goes on with ``NextShardIterator``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import string
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from local.template import REGION, ROOT, Resolver

LOG = logging.getLogger("local.cloud")
STACK_NAME = "execution-api-local"
SECRETS_FILE_ENV = "LOCAL_SECRETS_FILE"
ELEVATION_ROLES = ("admin", "developer", "readonly")
STOP_WAIT_SECONDS = 2.0
_IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}
# Anything that could point the SDK at a real account or endpoint.
_CLEARED_ENVIRONMENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE")


def use_fake_credentials() -> None:
    """Fake credentials and region, before any boto3 client exists."""
    for name in list(os.environ):
        if name in _CLEARED_ENVIRONMENT or name.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[name]
    os.environ.update(_FAKE_ENVIRONMENT)
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_CONFIG_FILE"] = os.devnull


class EmbeddedAws:
    """moto started for the life of the process, with Step Functions really executing."""

    def __init__(self) -> None:
        use_fake_credentials()
        from moto import mock_aws  # noqa: PLC0415 - moto is slow to import and only for the server

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        make_moto_thread_safe()
        import boto3  # noqa: PLC0415

        # moto replaced boto3's default session; the handlers' clients come from the new one.
        boto3.setup_default_session(region_name=REGION)
        self.session = boto3.DEFAULT_SESSION
        # Creating clients from one session is not thread-safe, and here HTTP requests and the
        # event-source threads all create their first clients lazily, at once. In Lambda each
        # container does that alone.
        self.session.client = _serialized(self.session.client)  # type: ignore[method-assign]
        self.account_id: str = self.client("sts").get_caller_identity()["Account"]
        self._users: set[str] = set()

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=REGION)

    def streams_client(self) -> Any:
        """botocore sends stream calls to an account endpoint (``<account>.streams-ddb...``)
        that moto does not intercept; the regional endpoint it does intercept is pinned here."""
        return self.session.client(
            "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
        )

    def stop(self) -> None:
        self._mock.stop()

    # -- resources from the template ---------------------------------------------------------

    def create_resources(self, template: dict[str, Any], resolver: Resolver) -> None:
        """Creates what the handlers use, in dependency order, and registers every resource's
        physical ids with ``resolver`` (fake ones for what has no local counterpart)."""
        resources = {
            logical_id: spec for logical_id, spec in template.get("Resources", {}).items() if resolver.is_enabled(spec)
        }
        creators = {
            "AWS::DynamoDB::Table": self._create_table,
            "AWS::SecretsManager::Secret": self._create_secret,
            "AWS::SNS::Topic": self._create_topic,
            "AWS::SQS::Queue": self._create_queue,
            "AWS::Serverless::StateMachine": self._create_state_machine,
            "AWS::StepFunctions::StateMachine": self._create_state_machine,
        }
        # Physical ids of what is not created come first: they depend on nothing.
        skipped: Counter[str] = Counter()
        for logical_id, spec in resources.items():
            if spec.get("Type") not in creators:
                self._register_placeholder(logical_id, spec, resolver, skipped)
        if skipped:
            summary = ", ".join(f"{count} {kind}" for kind, count in sorted(skipped.items()))
            LOG.info("not created locally (nothing here uses them): %s", summary)
        for resource_type, create in creators.items():
            for logical_id, spec in resources.items():
                if spec.get("Type") == resource_type:
                    create(logical_id, spec, resolver)

    def _arn(self, service: str, resource: str, region: str = REGION) -> str:
        return f"arn:aws:{service}:{region}:{self.account_id}:{resource}"

    def _create_table(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}))
        dynamodb = self.client("dynamodb")
        name = properties.get("TableName") or f"{STACK_NAME}-{logical_id}"
        request: dict[str, Any] = {"TableName": name}
        for key in (
            "AttributeDefinitions",
            "KeySchema",
            "LocalSecondaryIndexes",
            "BillingMode",
            "ProvisionedThroughput",
            "Tags",
            "DeletionProtectionEnabled",
            "TableClass",
        ):
            if key in properties:
                request[key] = properties[key]
        if "GlobalSecondaryIndexes" in properties:
            allowed = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
            request["GlobalSecondaryIndexes"] = [
                {key: index[key] for key in allowed if key in index} for index in properties["GlobalSecondaryIndexes"]
            ]
        if "StreamSpecification" in properties:
            request["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        sse = properties.get("SSESpecification")
        if sse:
            request["SSESpecification"] = {
                "Enabled": bool(sse.get("SSEEnabled")),
                **{key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse},
            }
        try:
            description = dynamodb.create_table(**request)["TableDescription"]
        except dynamodb.exceptions.ClientError:
            LOG.info("table %s: SSESpecification not accepted locally, created without it", name)
            request.pop("SSESpecification", None)
            description = dynamodb.create_table(**request)["TableDescription"]
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
            )
        pitr = properties.get("PointInTimeRecoverySpecification")
        if pitr and pitr.get("PointInTimeRecoveryEnabled"):
            try:
                dynamodb.update_continuous_backups(
                    TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
                )
            except dynamodb.exceptions.ClientError:
                LOG.info("table %s: point-in-time recovery not accepted locally, skipped", name)
        resolver.register(
            logical_id,
            name,
            Arn=description["TableArn"],
            StreamArn=description.get("LatestStreamArn"),
        )

    def _create_secret(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}))
        name = properties.get("Name") or f"{logical_id}-{secrets.token_hex(3)}"
        value = properties.get("SecretString")
        if value is None:
            value = _secret_overrides().get(logical_id)
        if value is None:
            value = _generated_secret(properties.get("GenerateSecretString") or {})
        request: dict[str, Any] = {"Name": name, "SecretString": value}
        if properties.get("Description"):
            request["Description"] = properties["Description"]
        arn = self.client("secretsmanager").create_secret(**request)["ARN"]
        # Like CloudFormation, !Ref of a secret is its ARN (GetSecretValue accepts ARN or name).
        resolver.register(logical_id, arn, Id=arn, Name=name)

    def _create_topic(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}))
        name = properties.get("TopicName") or f"{STACK_NAME}-{logical_id}"
        if properties.get("FifoTopic") and not name.endswith(".fifo"):
            name += ".fifo"
        attributes = {
            key: _env_text(properties[key])
            for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication")
            if key in properties
        }
        sns = self.client("sns")
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        resolver.register(logical_id, arn, TopicArn=arn, TopicName=name)

    def _create_queue(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}))
        name = properties.get("QueueName") or f"{STACK_NAME}-{logical_id}"
        attributes = {"FifoQueue": "true"} if properties.get("FifoQueue") else {}
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        resolver.register(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _create_state_machine(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = spec.get("Properties", {})
        serverless = spec["Type"] == "AWS::Serverless::StateMachine"
        name = resolver.resolve(properties.get("Name" if serverless else "StateMachineName")) or (
            f"{STACK_NAME}-{logical_id}"
        )
        definition = _definition(properties, serverless)
        substitutions = resolver.resolve(properties.get("DefinitionSubstitutions") or {})
        for key, value in substitutions.items():
            definition = definition.replace("${" + key + "}", str(value))
        json.loads(definition)  # a broken substitution fails here, loudly
        request = {
            "name": name,
            "definition": definition,
            "roleArn": f"arn:aws:iam::{self.account_id}:role/{STACK_NAME}-{logical_id}-role",
            "type": properties.get("Type") or properties.get("StateMachineType") or "STANDARD",
        }
        arn = self.client("stepfunctions").create_state_machine(**request)["stateMachineArn"]
        resolver.register(logical_id, arn, Arn=arn, Name=name)

    def _register_placeholder(
        self, logical_id: str, spec: dict[str, Any], resolver: Resolver, skipped: Counter[str]
    ) -> None:
        kind = spec.get("Type", "")
        if kind == "AWS::Serverless::Function":
            name = function_name(logical_id, spec, resolver)
            resolver.register(logical_id, name, Arn=self._arn("lambda", f"function:{name}"))
        elif kind in ("AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api"):
            api_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
            resolver.register(logical_id, api_id, ApiEndpoint=f"https://{api_id}.execute-api.{REGION}.amazonaws.com")
        elif kind == "AWS::Serverless::LayerVersion":
            resolver.register(logical_id, self._arn("lambda", f"layer:{STACK_NAME}-{logical_id}:1"))
        else:
            skipped[kind] += 1
            name = f"{STACK_NAME}-{logical_id}"
            service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "local"
            arn = self._arn(service, name)
            resolver.register_placeholder(
                logical_id, name, lambda attribute: arn if attribute.endswith("Arn") else name
            )

    # -- local-only provisioning ---------------------------------------------------------------

    def create_elevation_groups(self, prefix: str) -> list[str]:
        iam = self.client("iam")
        names = [f"{prefix}{role}" for role in ELEVATION_ROLES]
        for name in names:
            iam.create_group(GroupName=name)
        return names

    def ensure_user(self, identity: str) -> None:
        """An IAM user named ``identity``, created once (stands in for the identity store)."""
        if identity in self._users:
            return
        if not _IAM_USER_NAME.match(identity):
            LOG.info("caller identity is not a valid IAM user name; no local IAM user provisioned")
            self._users.add(identity)
            return
        iam = self.client("iam")
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_user(UserName=identity)
        self._users.add(identity)

    # -- moto workaround ------------------------------------------------------------------------

    def install_stop_execution_workaround(self, table_name: Any) -> None:
        """See the module docstring. ``table_name`` is a callable giving the executions table."""
        events = self.session.events
        events.register("before-parameter-build.sfn.StopExecution", _remember_execution_arn)
        events.register(
            "after-call.sfn.StopExecution",
            lambda http_response, context, **_: _answer_waiting_token(http_response, context, table_name()),
        )


def make_moto_thread_safe() -> None:
    """See the module docstring. Also for the tests and the bench, whose state machines run
    beside the test's own calls (a Map's items write the same record concurrently)."""
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend  # noqa: PLC0415
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker  # noqa: PLC0415

    if getattr(DynamoDBBackend, "_local_thread_safe", False):
        return
    lock = threading.RLock()

    def locked(method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return call

    get_records = DynamoDBStreamsBackend.get_records

    def get_current_records(self: Any, iterator_arn: str, limit: int) -> Any:
        iterator = self.shard_iterators[iterator_arn]
        iterator.stream_shard = self.dynamodb.get_table(iterator.stream_shard.table.name).stream_shard
        try:
            return get_records(self, iterator_arn, limit)
        finally:
            del self.shard_iterators[iterator_arn]

    DynamoDBStreamsBackend.get_records = get_current_records  # type: ignore[method-assign]
    for backend in (DynamoDBBackend, DynamoDBStreamsBackend):
        for name, member in list(vars(backend).items()):
            if not name.startswith("_") and callable(member) and not isinstance(member, (staticmethod, classmethod)):
                setattr(backend, name, locked(member))
    DynamoDBBackend._local_thread_safe = True  # type: ignore[attr-defined]

    build_environment = ExecutionWorker._get_evaluation_environment
    start_worker = ExecutionWorker.start

    def environment(self: Any) -> Any:
        return self.env if self.env is not None else build_environment(self)

    def start(self: Any) -> None:
        if self.env is None:
            self.env = build_environment(self)
        start_worker(self)

    ExecutionWorker._get_evaluation_environment = environment  # type: ignore[method-assign]
    ExecutionWorker.start = start  # type: ignore[method-assign]
    stop_worker = ExecutionWorker.stop

    def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while _program_starting(self.env) and time.monotonic() < deadline:
            time.sleep(0.005)
        stop_worker(self, stop_date=stop_date, error=error, cause=cause)

    ExecutionWorker.stop = stop  # type: ignore[method-assign]


def _program_starting(env: Any) -> bool:
    """Before the program has entered its first state (moto's ``Environment``)."""
    return env._program_state is None or (env.is_running() and env.next_state_name is None)


def _serialized(create: Any) -> Any:
    lock = threading.Lock()

    def client(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return create(*args, **kwargs)

    return client


def function_name(logical_id: str, spec: dict[str, Any], resolver: Resolver) -> str:
    name = spec.get("Properties", {}).get("FunctionName")
    return str(resolver.resolve(name)) if name else f"{STACK_NAME}-{logical_id}"


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _definition(properties: dict[str, Any], serverless: bool) -> str:
    if serverless and isinstance(properties.get("Definition"), dict):
        return json.dumps(properties["Definition"])
    if not serverless and properties.get("DefinitionString"):
        return str(properties["DefinitionString"])
    if not serverless and isinstance(properties.get("Definition"), dict):
        return json.dumps(properties["Definition"])
    uri = properties.get("DefinitionUri")
    if not isinstance(uri, str):
        raise ValueError("state machine: only a local DefinitionUri file or an inline Definition works locally")
    return (Path(ROOT) / uri).read_text()


def _secret_overrides() -> dict[str, str]:
    path = os.environ.get(SECRETS_FILE_ENV)
    if not path:
        return {}
    overrides = json.loads(Path(path).read_text())
    return {str(key): value if isinstance(value, str) else json.dumps(value) for key, value in overrides.items()}


def _generated_secret(spec: dict[str, Any]) -> str:
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-./:;<=>?@[]^_{|}~"
    excluded = set(spec.get("ExcludeCharacters", ""))
    alphabet = "".join(char for char in alphabet if char not in excluded) or string.ascii_letters
    if spec.get("IncludeSpace"):
        alphabet += " "
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if spec.get("SecretStringTemplate") and spec.get("GenerateStringKey"):
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def _remember_execution_arn(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["local_stop_execution_arn"] = params.get("executionArn")


def _answer_waiting_token(http_response: Any, context: dict[str, Any], table_name: str) -> None:
    """After a successful StopExecution: answer the task token the execution waits on, if any.

    Answered with SendTaskSuccess, not SendTaskFailure: moto has already marked the program
    stopped, so it skips the state's Catch and any failure would end the execution FAILED;
    a success lets it end ABORTED as in AWS. The stopped program never evaluates the result.
    """
    arn = context.get("local_stop_execution_arn")
    if not arn or getattr(http_response, "status_code", 500) >= 300:
        return
    from botocore.exceptions import ClientError  # noqa: PLC0415

    from execution_api.dal.executions import ExecutionRepository  # noqa: PLC0415
    from execution_api.infra.clients import stepfunctions_client  # noqa: PLC0415

    token = ExecutionRepository(table_name).waiting_task_token(arn.rsplit(":", 1)[-1])
    if not token:
        return
    try:
        stepfunctions_client().send_task_success(taskToken=token, output=json.dumps({"stopped": True}))
    except ClientError as error:  # the wait had moved on already: nothing is waiting
        LOG.debug("stop workaround: token not answered (%s)", error.response["Error"]["Code"])
