"""The one place that reads configuration from the environment.

Settings load lazily and once per container (``get_settings``), so importing a module never
requires environment variables: tests and tools can import freely.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    table_name: str = Field(alias="EXECUTIONS_TABLE")
    task_queue: str = Field(alias="TASK_QUEUE")
    # {"<workflow name>": "<state machine ARN>"} for every workflow of every stage's catalogue
    # (``make generate`` writes it into the template from config/workflows.toml).
    state_machines: dict[str, str] = Field(alias="STATE_MACHINES")
    cursor_secret_name: str = Field(alias="CURSOR_SECRET_NAME")
    admin_group: str = Field(default="execution-admins", alias="ADMIN_GROUP")
    groups_claim: str = Field(default="execution_api_groups", alias="GROUPS_CLAIM")
    idempotency_table: str | None = Field(default=None, alias="IDEMPOTENCY_TABLE")
    secret_max_age_seconds: int = Field(default=300, alias="SECRET_MAX_AGE_SECONDS")
    signal_key_secret_name: str | None = Field(default=None, alias="SIGNAL_KEY_SECRET_NAME")
    signal_topic_arn: str | None = Field(default=None, alias="SIGNAL_TOPIC_ARN")
    signal_webhook_url: str | None = Field(default=None, alias="SIGNAL_WEBHOOK_URL")
    # Where people reach the stack (``https://<host>``): the API is under /api/v1, the console under /console.
    public_url: str | None = Field(default=None, alias="PUBLIC_URL")
    reconcile_grace_seconds: int = Field(default=300, ge=0, alias="RECONCILE_GRACE_SECONDS")
    approval_timeout_seconds: int = Field(default=86400, ge=1, alias="APPROVAL_TIMEOUT_SECONDS")
    stage: str = Field(default="dev", alias="STAGE")
    # The ConfigLayer's files (config/ in the repository): Lambda mounts layers at /opt.
    config_dir: Path = Field(default=Path("/opt"), alias="CONFIG_DIR")
    # Emails count only when the token says they are verified, unless the deployment's identity
    # provider issues verified emails only (the IdpEmailsVerified parameter).
    trust_unverified_email: bool = Field(default=False, alias="IDP_EMAILS_VERIFIED")
    # A role's IAM group is <prefix><group>; never empty, so the functions' IAM scope is never group/*.
    elevation_group_prefix: str = Field(
        default="elevate-", min_length=1, pattern=r"^[A-Za-z0-9+=,.@_-]+$", alias="ELEVATION_GROUP_PREFIX"
    )
    audit_retention_days: int = Field(default=400, ge=1, alias="AUDIT_RETENTION_DAYS")
    # The IAM Identity Center instance this stack may assign in (the IdentityCenterInstanceArn
    # parameter, which scopes the functions' IAM): roles of provider aws-sso work only when the
    # policy names this very instance. Unset: the provider is off.
    identity_center_instance_arn: str | None = Field(default=None, alias="IDENTITY_CENTER_INSTANCE_ARN")
    # How long a grant or revoke waits for Identity Center's asynchronous assignment request to end.
    identity_center_wait_seconds: float = Field(default=60, gt=0, le=600, alias="IDENTITY_CENTER_WAIT_SECONDS")
    # The web console's sign-in: the OIDC issuer and the console's app client. The three endpoints
    # are only needed where they are not under the issuer's discovery document (Cognito's hosted UI).
    oidc_issuer: str | None = Field(default=None, alias="OIDC_ISSUER")
    console_client_id: str | None = Field(default=None, alias="CONSOLE_CLIENT_ID")
    oidc_authorization_endpoint: str | None = Field(default=None, alias="OIDC_AUTHORIZATION_ENDPOINT")
    oidc_token_endpoint: str | None = Field(default=None, alias="OIDC_TOKEN_ENDPOINT")
    oidc_end_session_endpoint: str | None = Field(default=None, alias="OIDC_END_SESSION_ENDPOINT")

    @field_validator(
        "signal_topic_arn",
        "signal_webhook_url",
        "identity_center_instance_arn",
        "public_url",
        "oidc_issuer",
        "console_client_id",
        "oidc_authorization_endpoint",
        "oidc_token_endpoint",
        "oidc_end_session_endpoint",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return value or None

    @field_validator("state_machines", mode="before")
    @classmethod
    def _parse_json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
