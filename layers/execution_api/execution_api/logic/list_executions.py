"""``GET /executions``: the caller's executions, filtered, newest first, paged by cursor."""

from __future__ import annotations

import hashlib
import json

from execution_api.dal import repositories
from execution_api.dal.cursor import decode_cursor, encode_cursor
from execution_api.dal.listing import ExecutionFilter
from execution_api.infra.catalogue_config import workflow_catalogue
from execution_api.infra.secrets import cursor_signing_key
from execution_api.infra.timefmt import parse_instant
from execution_api.logic.ownership import render
from execution_api.models.caller import Caller
from execution_api.models.domain import STATE_BY_STATUS, ExecutionState
from execution_api.models.errors import InvalidRequest
from execution_api.models.ids import guid_from_id
from execution_api.models.requests import ListExecutionsQuery
from execution_api.models.responses import ExecutionPage


def list_executions(caller: Caller, query: ListExecutionsQuery) -> ExecutionPage:
    selection = _selection(caller, query)
    if query.guid is not None:
        return _list_by_guid(query, selection)
    page = ExecutionPage(executions=[], total=0, page=query.page, limit=query.limit, next_token=None)
    if selection is None:
        return page
    listing = repositories.listing()
    fingerprint = _fingerprint(query)
    secret = cursor_signing_key()
    start_key = None
    if query.next_token:
        start_key = decode_cursor(query.next_token, caller.identity, fingerprint, secret)
    elif query.page > 1:
        start_key, reached = listing.skip(selection, (query.page - 1) * query.limit)
        if not reached:
            page.total = listing.count(selection)
            return page
    executions, next_key, _ = listing.query_page(selection, query.limit, start_key)
    page.executions = [render(execution) for execution in executions]
    page.total = listing.count(selection)
    if next_key:
        page.next_token = encode_cursor(next_key, caller.identity, fingerprint, secret)
    return page


def _list_by_guid(query: ListExecutionsQuery, selection: ExecutionFilter | None) -> ExecutionPage:
    """A guid filter is a key lookup; the other filters still apply to the one record."""
    assert query.guid is not None
    execution = repositories.executions().get(guid_from_id(query.guid, field="guid"))
    found = [execution] if execution and selection and selection.matches(execution) and query.page == 1 else []
    return ExecutionPage(
        executions=[render(item) for item in found],
        total=len(found),
        page=query.page,
        limit=query.limit,
        next_token=None,
    )


def _selection(caller: Caller, query: ListExecutionsQuery) -> ExecutionFilter | None:
    """The filter to query with; ``None`` when the filters cannot match anything."""
    start_from = parse_instant(query.startDate, "startDate") if query.startDate else None
    start_to = parse_instant(query.endDate, "endDate", end_of_day=True) if query.endDate else None
    if start_from and start_to and start_from > start_to:
        raise InvalidRequest("startDate: must not be after endDate")
    state = ExecutionState(query.state) if query.state else None
    if query.status:
        by_status = STATE_BY_STATUS[query.status]
        if state and state != by_status:
            raise InvalidRequest("status: contradicts state")
        state = by_status
    names = {name for name in (query.workflow, query.agentflowName) if name}
    if query.agentflowId:
        # Records are kept by workflow name; the catalogue names the workflow of an agentflowId.
        workflow = workflow_catalogue().by_agentflow_id(query.agentflowId)
        names.add(workflow.name if workflow else f"\0{query.agentflowId}")
    if len(names) > 1 or any(name.startswith("\0") for name in names):
        return None
    return ExecutionFilter(
        owner=caller.identity,
        state=state,
        workflow=next(iter(names), None),
        session_id=query.sessionId,
        start_from=start_from,
        start_to=start_to,
    )


def _fingerprint(query: ListExecutionsQuery) -> str:
    """What a cursor is bound to: every filter, but not the position (page, next_token)."""
    filters = query.model_dump(exclude={"page", "next_token"})
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()
