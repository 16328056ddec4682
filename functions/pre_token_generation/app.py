"""Cognito pre token generation trigger (V2_0): the user's groups in the ID token's groups claim."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PreTokenGenerationV2TriggerEvent

from execution_api.api.token_claims import add_groups_claim
from execution_api.infra.observability import logger
from execution_api.infra.settings import get_settings


@logger.inject_lambda_context
@event_source(data_class=PreTokenGenerationV2TriggerEvent)
def lambda_handler(event: PreTokenGenerationV2TriggerEvent, context: Any) -> dict:
    groups = add_groups_claim(event, get_settings().groups_claim)
    logger.info("groups claim added", extra={"trigger_source": event.trigger_source, "groups": len(groups)})
    return event.raw_event
