from urllib.parse import quote

import pytest

from execution_api.models.errors import InvalidRequest
from execution_api.models.ids import execution_arn, guid_from_id, state_machine_name

GUID = "3f2b8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"
STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:execution-api-dev-batch"
EXECUTION = f"arn:aws:states:us-east-1:123456789012:execution:execution-api-dev-batch:{GUID}"


@pytest.mark.parametrize(
    "value",
    [
        GUID,
        GUID.upper(),
        f"  {GUID} ",
        EXECUTION,
        quote(EXECUTION, safe=""),
        EXECUTION.replace("arn:aws:", "arn:aws-us-gov:").replace("us-east-1", "us-gov-west-1"),
    ],
    ids=["guid", "upper-case guid", "padded guid", "execution ARN", "URL-encoded ARN", "other partition"],
)
def test_guid_and_execution_arns_name_the_guid(value):
    assert guid_from_id(value) == GUID


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "12345",
        f"{GUID}x",
        GUID.replace("-", ""),
        "../../etc/passwd",
        f"arn:aws:states:us-east-1:123456789012:execution:execution-api-dev-batch:{GUID}:extra",
        "arn:aws:states:us-east-1:123456789012:execution:execution-api-dev-batch:not-a-guid",
        f"arn:aws:states:us-east-1:123456789012:stateMachine:execution-api-dev-batch:{GUID}",
        f"arn:aws:lambda:us-east-1:123456789012:execution:execution-api-dev-batch:{GUID}",
        f"arn:aws:states:us-east-1:1234:execution:execution-api-dev-batch:{GUID}",
    ],
)
def test_anything_else_is_an_invalid_request_naming_the_field(value):
    with pytest.raises(InvalidRequest) as raised:
        guid_from_id(value, field="executionIds[3]")

    assert raised.value.message.startswith("executionIds[3]:")


def test_execution_arn_is_the_one_step_functions_gives_an_execution_named_by_the_guid():
    assert execution_arn(STATE_MACHINE, GUID) == EXECUTION
    assert guid_from_id(execution_arn(STATE_MACHINE, GUID)) == GUID
    assert state_machine_name(STATE_MACHINE) == "execution-api-dev-batch"
