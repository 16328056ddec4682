"""Section 4: deployment size, state transitions per execution, DynamoDB write units."""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

from bench.common import CallRecorder, call_handler, embedded_aws, http_event, invoke, print_table
from toolkit.build import BUILD_DIR, sam_build
from toolkit.runtime import deployed_version, find_runtime_python, not_found_reason
from toolkit.waiting import wait_until

# Lambda quotas: 50 MB zipped for a direct upload, 250 MB unzipped for function + all layers.
ZIPPED_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024


# --------------------------------------------------------------------------- sizes


def _zip_dir(source: Path, archive: Path, prefix: str = "") -> tuple[int, int]:
    """Zips ``source`` (deflate, level 9 like most tooling) and returns (zipped, unzipped) bytes."""
    unzipped = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            zf.write(path, prefix + str(path.relative_to(source)))
            unzipped += path.stat().st_size
    return archive.stat().st_size, unzipped


def _per_package(root: Path) -> list[tuple[str, int]]:
    sizes: dict[str, int] = defaultdict(int)
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            top = path.relative_to(root).parts[0]
            name = top.split("-")[0] if top.endswith((".dist-info", ".egg-info")) else top
            sizes[name.removesuffix(".py")] += path.stat().st_size
    return sorted(sizes.items(), key=lambda kv: kv[1], reverse=True)


def measure_sizes() -> dict[str, Any]:
    """Each artefact of the real build (``sam build``, as ``make build`` runs it, cached), zipped."""
    version = deployed_version()
    python = find_runtime_python(version)
    if python is None:
        return {"method": f"not measured: {not_found_reason(version)}", "artefacts": {}}
    if sam_build(python, version) != 0:
        return {"method": "not measured: sam build failed (its output is above)", "artefacts": {}}
    artefacts: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-size-") as tmp:
        for path in sorted(BUILD_DIR.iterdir()):
            if not path.is_dir():
                continue
            zipped, unzipped = _zip_dir(path, Path(tmp) / f"{path.name}.zip")
            artefacts[path.name] = {"zipped": zipped, "unzipped": unzipped}
            if (path / "python").is_dir():  # a layer
                artefacts[path.name]["packages"] = _per_package(path / "python")[:8]
    return {
        "method": f"sam build on Python {python.version}, each artefact of .aws-sam/build zipped",
        "artefacts": artefacts,
    }


# --------------------------------------------------------------------------- DynamoDB item size


def attribute_value_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB AttributeValue, per the DynamoDB developer guide's item size rules."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = str(Decimal(data).normalize()).lstrip("-").replace(".", "").lstrip("0") or "0"
        digits = digits.split("E")[0]
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_value_size({kind[0]: element}) for element in data)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_value_size(v) for k, v in data.items())
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in item.items())


def _indexes(template: dict[str, Any], logical: str) -> list[tuple[str, list[str]]]:
    props = template["Resources"][logical]["Properties"]
    return [
        (gsi["IndexName"], [k["AttributeName"] for k in gsi["KeySchema"]])
        for gsi in props.get("GlobalSecondaryIndexes", [])
    ]


def write_units(
    item: dict[str, Any], indexes: list[tuple[str, list[str]]], transactional: bool = False
) -> dict[str, Any]:
    """Write units of a PutItem of a new ``item``: the table plus each GSI whose keys it has
    (ALL projection: the index entry is the whole item); 1 WCU per started KB of each, 2 in a
    transaction (DynamoDB's price of TransactWriteItems)."""
    size = item_size(item)
    per_kb = math.ceil(size / 1024) * (2 if transactional else 1)
    projected = [name for name, keys in indexes if all(k in item for k in keys)]
    return {
        "item_bytes": size,
        "table_wcu": per_kb,
        "gsis": projected,
        "gsi_wcu": per_kb * len(projected),
        "total_wcu": per_kb * (1 + len(projected)),
    }


# --------------------------------------------------------------------------- executions


def _created_record(calls: list[Any], table: str, guid: str) -> tuple[dict[str, Any], bool]:
    """The record item ``POST /execution`` wrote, and whether in a transaction (an elevation's
    record is written together with the first event of its audit trail)."""
    pk = {"S": f"EXEC#{guid}"}
    for call in calls:
        if call.operation == "PutItem" and call.params["TableName"] == table and call.params["Item"]["pk"] == pk:
            return call.params["Item"], False
        if call.operation == "TransactWriteItems":
            for entry in call.params["TransactItems"]:
                put = entry.get("Put", {})
                if put.get("TableName") == table and put["Item"]["pk"] == pk and put["Item"]["sk"]["S"] == "RECORD":
                    return put["Item"], True
    raise LookupError(f"POST /execution wrote no record for {guid}")


def _execution_arn(state_machine_arn: str, guid: str) -> str:
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{guid}"


def _transitions(sfn: Any, arn: str) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**request)
        events.extend(page["events"])
        if not page.get("nextToken"):
            break
        request["nextToken"] = page["nextToken"]
    entered = [e for e in events if e["type"].endswith("StateEntered")]
    return {
        "state_entered": len(entered),
        "events": len(events),
        "states": [e.get("stateEnteredEventDetails", {}).get("name") for e in entered],
        "status": sfn.describe_execution(executionArn=arn)["status"],
    }


def _status_change(stack: Any, workflow: str, guid: str, status: str, output: str | None) -> dict[str, Any]:
    arn = _execution_arn(stack.workflow_arn(workflow), guid)
    now = int(time.time() * 1000)
    return {
        "version": "0",
        "id": guid,
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "us-east-1",
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": stack.workflow_arn(workflow),
            "name": guid,
            "status": status,
            "stopDate": now,
            "output": output,
        },
    }


def run_executions() -> dict[str, Any]:
    runs: dict[str, Any] = {}
    with embedded_aws() as stack:
        template = stack.template
        indexes = _indexes(template, "ExecutionsTable")
        ddb = boto3.client("dynamodb")
        sfn = boto3.client("stepfunctions")
        key = {"sk": {"S": "RECORD"}}

        def record(guid: str) -> dict[str, Any]:
            return ddb.get_item(TableName=stack.table, Key={"pk": {"S": f"EXEC#{guid}"}, **key}).get("Item", {})

        def start(workflow: str, payload: dict[str, Any], session: str | None = "sess-1", idem: bool = False) -> Any:
            body: dict[str, Any] = {"workflow": workflow, "input": payload}
            if session:
                body["sessionId"] = session
            headers = {"idempotency-key": f"bench-{time.time_ns()}"} if idem else None
            with CallRecorder() as rec:
                status, response = invoke(
                    "start_execution", http_event("POST", "/api/v1/execution", body=body, headers=headers)
                )
            if status != 201:
                raise RuntimeError(f"POST /execution {workflow}: {status} {response}")
            return response["run_id"], rec.calls

        def finish(workflow: str, guid: str) -> str:
            arn = _execution_arn(stack.workflow_arn(workflow), guid)

            def ended() -> str | None:
                status = sfn.describe_execution(executionArn=arn)["status"]
                return None if status == "RUNNING" else status

            return wait_until(ended, timeout=60)

        def answer(guid: str, step: str, output: dict[str, Any]) -> None:
            def waiting() -> str | None:
                item = record(guid)
                return item["wait_token"]["S"] if item.get("wait_step", {}).get("S") == step else None

            token = wait_until(waiting, timeout=30)
            sfn.send_task_success(taskToken=token, output=json.dumps(output))

        def lifecycle(name: str, workflow: str, payload: dict[str, Any], steps: list[tuple[str, dict]]) -> None:
            with CallRecorder(all_threads=True) as everything:
                guid, start_calls = start(workflow, payload)
                for step, output in steps:
                    answer(guid, step, output)
                status = finish(workflow, guid)
                arn = _execution_arn(stack.workflow_arn(workflow), guid)
                detail = sfn.describe_execution(executionArn=arn)
                event = _status_change(stack, workflow, guid, status, detail.get("output"))
                call_handler("sync_status", event)
            final_item = record(guid)
            created, transactional = _created_record(start_calls, stack.table, guid)
            record_key = {"pk": {"S": f"EXEC#{guid}"}, "sk": {"S": "RECORD"}}
            table_writes = [
                c
                for c in everything.calls
                if c.service == "dynamodb"
                and c.operation in ("PutItem", "UpdateItem", "DeleteItem")
                and c.params.get("TableName") == stack.table
            ]
            writes = [
                c
                for c in table_writes
                if c.params.get("Key") == record_key
                or (c.operation == "PutItem" and c.params["Item"].get("pk") == record_key["pk"])
            ]
            runs[name] = {
                "workflow": workflow,
                "input": payload,
                **_transitions(sfn, arn),
                "create": write_units(created, indexes, transactional),
                "lifecycle": _lifecycle_wcu(writes, created, final_item, indexes),
                "other_table_writes": len(table_writes) - len(writes),
            }

        lifecycle("default (denied)", "default", _ELEVATION, [("approval", {"approved": False, "by": "bench"})])
        # The grant step is answered as GrantAccessFunction answers it (the stream does not run
        # here); its ledger and audit items are not the record's writes.
        granted = {"granted_at": "2026-01-01T00:00:00.000Z", "expires_at": "2026-01-01T01:00:00.000Z"}
        lifecycle(
            "default (approved, hold ended)",
            "default",
            _ELEVATION,
            [("approval", {"approved": True, "by": ["bench"]}), ("grant", granted), ("hold", {"released": True})],
        )
        lifecycle("batch (1 item)", "batch", {"items": ["a"]}, [])
        lifecycle("batch (3 items)", "batch", {"items": ["a", "b", "c"]}, [])
        lifecycle("batch (10 items)", "batch", {"items": [f"i{n}" for n in range(10)]}, [])

        # Idempotency-Key: the extra items written to the idempotency table.
        idem_table = stack.tables.get("IdempotencyTable")
        if idem_table:
            guid, calls = start("batch", {"items": ["a"]}, idem=True)
            idem_writes = [c for c in calls if c.params.get("TableName") == idem_table]
            stored = ddb.scan(TableName=idem_table)["Items"]
            biggest = max((item_size(i) for i in stored), default=0)
            runs["idempotency"] = {
                "writes": [c.operation for c in idem_writes],
                "record_bytes": biggest,
                "wcu": len(idem_writes) * max(1, math.ceil(biggest / 1024)),
            }
            finish("batch", guid)
    return runs


# A role of the shipped policy that needs an approval (config/roles.toml).
_ELEVATION = {"role": "developer", "provider": "aws", "reason": "bench: investigate an incident", "duration": "PT1H"}


def _lifecycle_wcu(
    writes: list[Any], created: dict[str, Any], final_item: dict[str, Any], indexes: list[tuple[str, list[str]]]
) -> dict[str, Any]:
    """An estimate: every write to the record counted at the larger of its created and final
    size, on the table and on each GSI the record was in (ALL projection: any attribute change
    rewrites the index entry); a write that SETs a GSI's key attribute to a new value (the state
    change of ``owner_state``) costs that GSI a delete and a put."""
    per_kb = math.ceil(max(item_size(created), item_size(final_item)) / 1024)
    members = [
        (name, keys) for name, keys in indexes if all(k in created for k in keys) or all(k in final_item for k in keys)
    ]
    total = 0
    for call in writes:
        total += per_kb * (1 + len(members))
        expression = call.params.get("UpdateExpression", "")
        assigned = expression.split("SET", 1)[1].split("REMOVE", 1)[0] if "SET" in expression else ""
        for _, keys in members:
            if f"{keys[0]} =" in assigned:
                total += per_kb
    return {
        "writes": [c.operation for c in writes],
        "gsis": [name for name, _ in members],
        "final_item_bytes": item_size(final_item),
        "total_wcu": total,
    }


# --------------------------------------------------------------------------- section


def run(quick: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {}
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    results["sizes"] = measure_sizes()
    artefacts = results["sizes"].get("artefacts", {})
    rows = []
    for name, entry in artefacts.items():
        if "error" in entry:
            rows.append([name, None, None, "ERR " + entry["error"][-80:]])
            continue
        rows.append([name, entry["zipped"] / 1024, entry["unzipped"] / 1024, ""])
    print_table(
        "4a. Deployment size (KiB)",
        ["artefact", "zipped KiB", "unzipped KiB", "note"],
        rows,
        note=f"method: {results['sizes']['method']}",
    )
    for name, layer in artefacts.items():
        if not layer.get("packages"):
            continue
        total = layer["unzipped"]
        print_table(
            f"4a'. {name}: content by package (unzipped)",
            ["package", "KiB", "share"],
            [[name, size / 1024, f"{100 * size / total:.0f}%"] for name, size in layer["packages"]],
            note=(
                f"Lambda quotas: {ZIPPED_LIMIT // 2**20} MB zipped per direct upload, "
                f"{UNZIPPED_LIMIT // 2**20} MB unzipped for a function and its layers."
            ),
        )

    try:
        runs = run_executions()
    except Exception as error:  # noqa: BLE001
        runs = {"error": repr(error)}
        print(f"   executions failed: {error!r}")
    results["executions"] = runs
    rows = []
    for name, entry in runs.items():
        if name in ("idempotency", "error") or not isinstance(entry, dict):
            continue
        create = entry["create"]
        rows.append(
            [
                name,
                entry["status"],
                entry["state_entered"],
                entry["events"],
                create["item_bytes"],
                f"{create['table_wcu']} + {create['gsi_wcu']} ({len(create['gsis'])} GSIs)",
                create["total_wcu"],
                len(entry["lifecycle"]["writes"]),
                entry["lifecycle"]["total_wcu"],
            ]
        )
    print_table(
        "4b. Per execution: state transitions (StateEntered events) and DynamoDB write units",
        ["execution", "status", "transitions", "events", "item B", "create WCU", "create total", "writes", "life WCU"],
        rows,
        note=(
            "create = the record's write in POST /execution (an elevation's: a transaction with its first audit "
            "event,\nat 2 WCU/KB): table + each GSI the item is projected into (ALL), 1 WCU/KB each (computed from "
            "the item:\nmoto's ConsumedCapacity is a dummy). life = every write to the record "
            "until\nsync_status stored the end (estimate: each at the larger of the created and final item "
            "size, on the\ntable + every GSI the record was in; the state change rewrites ByOwnerState twice). "
            'default runs answer\nthe approval with {"approved": false, "by": "bench"}; the approved run answers '
            "the approval, the grant step\n(as GrantAccessFunction does; its ledger and audit items are not "
            "counted) and the hold."
        ),
    )
    batches = {name: e for name, e in runs.items() if isinstance(e, dict) and name.startswith("batch (")}
    one, ten = batches.get("batch (1 item)"), batches.get("batch (10 items)")
    if one and ten:
        per_item = (ten["state_entered"] - one["state_entered"]) / 9
        results["batch_transitions_per_item"] = per_item
        print(f"   batch: {one['state_entered'] - per_item:.0f} + {per_item:.0f} transitions per item")
    idem = runs.get("idempotency")
    if idem:
        print(
            f"   Idempotency-Key adds {' + '.join(idem['writes'])} on the idempotency table "
            f"({idem['record_bytes']} B record): +{idem['wcu']} WCU per start"
        )
    return results
