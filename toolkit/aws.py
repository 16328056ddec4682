"""The embedded AWS: moto in this process, with the template's resources created from their own
properties. Everything lives in memory and is gone when it stops.

:func:`EmbeddedAws.deploy` is the one stack builder of the repository: the tests, the local
server and the bench all build ``template.yaml`` with it. Resources that nothing here uses (log
groups, alarms, the HTTP API, ...) are not created; they get physical ids, so that ``!Ref`` and
``!GetAtt`` of them resolve.

Provisioning that a real account and identity store already have, done only on request:

* IAM groups ``<ElevationGroupPrefix><group>`` for the roles of the policy
  (:meth:`EmbeddedAws.create_elevation_groups`): the grant function adds the requester to its
  role's group.
* Secrets get generated values, as CloudFormation would; ``$LOCAL_SECRETS_FILE`` may name a JSON
  file ``{"<logical id>": "<secret string>"}`` whose values are used instead (e.g. a known
  ``SignalKeySecret`` keyring, so that tests can seal decision links the server accepts).
* An IAM user named after a caller's verified email, lower case (:meth:`EmbeddedAws.ensure_user`),
  so that a grant has a user to add.
* The IAM Identity Center instance the policy names, with its permission sets
  (:meth:`EmbeddedAws.create_identity_center`), and an Identity Store user for a caller's verified
  email (:meth:`EmbeddedAws.ensure_identity_store_user`): the ``aws-sso`` provider assigns them.
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
from collections import Counter
from pathlib import Path
from typing import Any

from toolkit import moto_fixes
from toolkit.functions import function_name
from toolkit.template import (
    FUNCTION,
    REGION,
    ROOT,
    STACK_NAME,
    STATE_MACHINE_TYPES,
    Resolver,
    TemplateError,
    load_template,
    substitute_definition,
)

LOG = logging.getLogger("toolkit.aws")
SECRETS_FILE_ENV = "LOCAL_SECRETS_FILE"
_IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_CONFIG_FILE": os.devnull,
}
# Anything that could point the SDK at a real account or endpoint.
_CLEARED_ENVIRONMENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def use_fake_credentials() -> dict[str, str | None]:
    """Fake credentials and region, before any boto3 client exists; returns what it replaced."""
    replaced: dict[str, str | None] = {}
    for name in list(os.environ):
        if name in _CLEARED_ENVIRONMENT or name.startswith("AWS_ENDPOINT_URL"):
            replaced[name] = os.environ.pop(name)
    for name, value in _FAKE_ENVIRONMENT.items():
        replaced.setdefault(name, os.environ.get(name))
        os.environ[name] = value
    return replaced


def quiet_moto_logs() -> None:
    """moto's state machine interpreter logs each failure, caught or not, with the whole state
    machine and the workflow's data."""
    for name in ("moto", "botocore.credentials"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


class EmbeddedAws:
    """moto started until :meth:`stop` (or the ``with`` block ends), with Step Functions really
    executing and :func:`toolkit.moto_fixes.make_thread_safe` applied."""

    def __init__(self) -> None:
        self._replaced_environment = use_fake_credentials()
        from moto import mock_aws  # noqa: PLC0415 - moto is slow to import

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        moto_fixes.make_thread_safe()
        moto_fixes.fix_identity_center()
        import boto3  # noqa: PLC0415

        # moto replaced boto3's default session; the handlers' clients come from the new one.
        boto3.setup_default_session(region_name=REGION)
        self.session = boto3.DEFAULT_SESSION
        # Creating clients from one session is not thread-safe, and the local server's requests
        # and event-source threads all create their first clients lazily, at once. In Lambda
        # each container does that alone.
        self.session.client = _serialized(self.session.client)  # type: ignore[method-assign]
        self.account_id: str = self.client("sts").get_caller_identity()["Account"]
        self._users: set[str] = set()
        self._identity_store_users: set[tuple[str, str]] = set()

    def __enter__(self) -> EmbeddedAws:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
        for name, value in self._replaced_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    # -- the stack ---------------------------------------------------------------------------

    def deploy(
        self,
        parameter_overrides: dict[str, Any] | None = None,
        template: dict[str, Any] | None = None,
        resource_types: tuple[str, ...] | None = None,
    ) -> Resolver:
        """Builds ``template.yaml`` (or ``template``) here, or only its resources of
        ``resource_types``; the resolver it returns knows every resource's physical ids."""
        template = template if template is not None else load_template()
        resolver = Resolver(template, self.account_id, parameter_overrides=parameter_overrides)
        self.create_resources(resolver, resource_types)
        return resolver

    def create_resources(self, resolver: Resolver, resource_types: tuple[str, ...] | None = None) -> None:
        """Creates what the functions use (or only ``resource_types``), in dependency order, and
        registers every resource's physical ids with ``resolver`` (made-up ones for what is not
        created)."""
        resources = {
            logical_id: spec
            for logical_id, spec in resolver.template.get("Resources", {}).items()
            if resolver.is_enabled(logical_id)
        }
        creators = {
            "AWS::DynamoDB::Table": self._create_table,
            "AWS::SecretsManager::Secret": self._create_secret,
            "AWS::SNS::Topic": self._create_topic,
            "AWS::SQS::Queue": self._create_queue,
            **dict.fromkeys(STATE_MACHINE_TYPES, self._create_state_machine),
            # The user pool first: its groups, domain and clients name it.
            "AWS::Cognito::UserPool": self._create_user_pool,
            "AWS::Cognito::UserPoolGroup": self._create_user_pool_group,
            "AWS::Cognito::UserPoolDomain": self._create_user_pool_domain,
            "AWS::Cognito::UserPoolClient": self._create_user_pool_client,
        }
        if resource_types is not None:
            creators = {kind: create for kind, create in creators.items() if kind in resource_types}
        # Physical ids of what is not created come first: they depend on nothing.
        skipped: Counter[str] = Counter()
        for logical_id, spec in resources.items():
            if spec.get("Type") not in creators:
                self._register_placeholder(logical_id, spec, resolver, skipped)
        if skipped:
            summary = ", ".join(f"{count} {kind}" for kind, count in sorted(skipped.items()))
            LOG.info("not created (nothing here uses them): %s", summary)
        for resource_type, create in creators.items():
            for logical_id, spec in resources.items():
                if spec.get("Type") == resource_type:
                    create(logical_id, spec, resolver)

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{REGION}:{self.account_id}:{resource}"

    def _create_table(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}), logical_id)
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
        description = dynamodb.create_table(**request)["TableDescription"]
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
            )
        pitr = properties.get("PointInTimeRecoverySpecification")
        if pitr and pitr.get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        resolver.register(logical_id, name, Arn=description["TableArn"], StreamArn=description.get("LatestStreamArn"))

    def _create_secret(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}), logical_id)
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
        properties = resolver.resolve(spec.get("Properties", {}), logical_id)
        name = properties.get("TopicName") or f"{STACK_NAME}-{logical_id}"
        if properties.get("FifoTopic") and not name.endswith(".fifo"):
            name += ".fifo"
        attributes = {
            key: _text(properties[key])
            for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication")
            if key in properties
        }
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        resolver.register(logical_id, arn, TopicArn=arn, TopicName=name)

    def _create_queue(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}), logical_id)
        name = properties.get("QueueName") or f"{STACK_NAME}-{logical_id}"
        attributes = {"FifoQueue": "true"} if properties.get("FifoQueue") else {}
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        resolver.register(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _create_state_machine(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = spec.get("Properties", {})
        serverless = spec["Type"] == "AWS::Serverless::StateMachine"
        name = resolver.resolve(properties.get("Name" if serverless else "StateMachineName"), logical_id) or (
            f"{STACK_NAME}-{logical_id}"
        )
        substitutions = resolver.resolve(properties.get("DefinitionSubstitutions") or {}, logical_id)
        definition = substitute_definition(_definition(logical_id, properties, serverless), substitutions, logical_id)
        request = {
            "name": name,
            "definition": definition,
            "roleArn": f"arn:aws:iam::{self.account_id}:role/{STACK_NAME}-{logical_id}-role",
            "type": properties.get("Type") or properties.get("StateMachineType") or "STANDARD",
        }
        arn = self.client("stepfunctions").create_state_machine(**request)["stateMachineArn"]
        resolver.register(logical_id, arn, Arn=arn, Name=name)

    def _create_user_pool(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        """As CloudFormation does: the pool, then its MFA configuration (``EnabledMfas``)."""
        properties = resolver.resolve(spec.get("Properties", {}), logical_id)
        enabled_mfas = properties.pop("EnabledMfas", [])
        request = {("PoolName" if key == "UserPoolName" else key): value for key, value in properties.items()}
        cognito = self.client("cognito-idp")
        pool = cognito.create_user_pool(**request)["UserPool"]
        if properties.get("MfaConfiguration", "OFF") != "OFF":
            cognito.set_user_pool_mfa_config(
                UserPoolId=pool["Id"],
                MfaConfiguration=properties["MfaConfiguration"],
                SoftwareTokenMfaConfiguration={"Enabled": "SOFTWARE_TOKEN_MFA" in enabled_mfas},
            )
        provider_url = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
        resolver.register(logical_id, pool["Id"], Arn=pool["Arn"], ProviderURL=provider_url)

    def _create_user_pool_group(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}), logical_id)
        self.client("cognito-idp").create_group(**properties)
        resolver.register(logical_id, properties["GroupName"])

    def _create_user_pool_domain(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}), logical_id)
        self.client("cognito-idp").create_user_pool_domain(**properties)
        resolver.register(logical_id, properties["Domain"])

    def _create_user_pool_client(self, logical_id: str, spec: dict[str, Any], resolver: Resolver) -> None:
        properties = resolver.resolve(spec.get("Properties", {}), logical_id)
        client = self.client("cognito-idp").create_user_pool_client(**properties)["UserPoolClient"]
        resolver.register(logical_id, client["ClientId"])

    def _register_placeholder(
        self, logical_id: str, spec: dict[str, Any], resolver: Resolver, skipped: Counter[str]
    ) -> None:
        kind = spec.get("Type", "")
        if kind == FUNCTION:
            name = function_name(resolver.template, logical_id, resolver)
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

    # -- provisioning a real account already has ----------------------------------------------

    def create_elevation_groups(self, names: list[str]) -> None:
        """The IAM groups the policy's roles grant (an account has them before the stack)."""
        iam = self.client("iam")
        for name in names:
            iam.create_group(GroupName=name)

    def ensure_user(self, identity: str) -> None:
        """An IAM user named ``identity`` (a caller's verified email), created once: in an account
        they exist before anyone requests a role."""
        if identity in self._users:
            return
        if not _IAM_USER_NAME.match(identity):
            LOG.info("caller identity is not a valid IAM user name; no IAM user provisioned")
            self._users.add(identity)
            return
        iam = self.client("iam")
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_user(UserName=identity)
        self._users.add(identity)

    def create_identity_center(
        self, instance_arn: str, identity_store_id: str, permission_sets: dict[str, str]
    ) -> None:
        """The organization's Identity Center instance with its permission sets (by name: ARN), as
        the policy names them (an organization has them before the stack)."""
        moto_fixes.provision_identity_center(
            self.session, (self.account_id, REGION), instance_arn, identity_store_id, permission_sets
        )

    def ensure_identity_store_user(self, identity_store_id: str, email: str) -> None:
        """An Identity Store user whose user name and primary email are ``email`` (a caller's
        verified email), created once: in an organization people exist there before they ask."""
        if (identity_store_id, email) in self._identity_store_users:
            return
        store = self.client("identitystore")
        with contextlib.suppress(store.exceptions.ConflictException):
            store.create_user(
                IdentityStoreId=identity_store_id,
                UserName=email,
                DisplayName=email,
                Name={"GivenName": email.split("@", 1)[0], "FamilyName": "(local)"},
                Emails=[{"Value": email, "Type": "work", "Primary": True}],
            )
        self._identity_store_users.add((identity_store_id, email))


def _serialized(create: Any) -> Any:
    lock = threading.Lock()

    def client(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return create(*args, **kwargs)

    return client


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _definition(logical_id: str, properties: dict[str, Any], serverless: bool) -> str:
    if isinstance(properties.get("Definition"), dict):
        return json.dumps(properties["Definition"])
    if not serverless and properties.get("DefinitionString"):
        return str(properties["DefinitionString"])
    uri = properties.get("DefinitionUri")
    if not isinstance(uri, str):
        raise TemplateError(f"{logical_id}.DefinitionUri: only a file of the repository or an inline Definition")
    return (ROOT / uri).read_text()


def _secret_overrides() -> dict[str, str]:
    path = os.environ.get(SECRETS_FILE_ENV)
    if not path:
        return {}
    overrides = json.loads(Path(path).read_text())
    return {str(key): value if isinstance(value, str) else json.dumps(value) for key, value in overrides.items()}


def _generated_secret(spec: dict[str, Any]) -> str:
    """What ``GenerateSecretString`` makes: a password, alone or under a key of a JSON template."""
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
