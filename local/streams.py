"""DynamoDB Streams event source mappings, played locally.

For each function event of type ``DynamoDB`` the stream is read (moto keeps real stream
records), records are filtered by the event's ``FilterCriteria`` as Lambda does, and delivered
in batches of ``BatchSize`` as the ``{"Records": [...]}`` event Lambda sends. A batch whose
handler raises is retried at the next poll, up to ``MaximumRetryAttempts``, then skipped.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local.eventbridge import matches
from toolkit.functions import LambdaFunction
from toolkit.template import Resolver

LOG = logging.getLogger("local.streams")
POLL_SECONDS = 0.2
DEFAULT_MAX_RETRIES = 10_000  # Lambda's default is "until the record expires"


@dataclass
class StreamSource:
    function: LambdaFunction
    stream_arn: str
    batch_size: int
    filters: list[dict[str, Any]]
    max_retries: int
    starting_position: str
    iterators: dict[str, str | None] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0


def build_sources(
    template: dict[str, Any], functions: dict[str, LambdaFunction], resolver: Resolver
) -> list[StreamSource]:
    sources = []
    for logical_id, function in functions.items():
        for event_name, event in template["Resources"][logical_id].get("Properties", {}).get("Events", {}).items():
            if event.get("Type") != "DynamoDB":
                continue
            raw = event.get("Properties", {})
            # Only what the local mapping uses is resolved (DestinationConfig etc. are not emulated).
            properties = {
                key: resolver.resolve(raw[key], f"{logical_id}.Events.{event_name}")
                for key in (
                    "Stream",
                    "BatchSize",
                    "FilterCriteria",
                    "MaximumRetryAttempts",
                    "StartingPosition",
                    "Enabled",
                )
                if key in raw
            }
            if properties.get("Enabled") is False:
                continue
            filters = [
                json.loads(item["Pattern"]) for item in (properties.get("FilterCriteria") or {}).get("Filters", [])
            ]
            sources.append(
                StreamSource(
                    function=function,
                    stream_arn=properties["Stream"],
                    batch_size=int(properties.get("BatchSize", 100)),
                    filters=filters,
                    max_retries=int(properties.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
                    starting_position=str(properties.get("StartingPosition", "LATEST")),
                )
            )
    return sources


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


class StreamPoller:
    def __init__(self, streams: Any, sources: list[StreamSource]) -> None:
        self._streams = streams
        self._sources = sources
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-streams", daemon=True)
        for source in sources:
            self._discover_shards(source, source.starting_position)

    def start(self) -> None:
        if self._sources:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _discover_shards(self, source: StreamSource, position: str) -> None:
        description = self._streams.describe_stream(StreamArn=source.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            if shard["ShardId"] not in source.iterators:
                source.iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=source.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=position
                )["ShardIterator"]

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            for source in self._sources:
                try:
                    self.poll_once(source)
                except Exception:
                    LOG.exception("stream poll for %s failed", source.function.logical_id)

    def poll_once(self, source: StreamSource) -> None:
        self._discover_shards(source, "TRIM_HORIZON")
        for shard_id, iterator in list(source.iterators.items()):
            if iterator is None:
                continue
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            source.iterators[shard_id] = response.get("NextShardIterator")
            for record in response.get("Records", []):
                event_record = _json_safe({**record, "eventSourceARN": source.stream_arn})
                if not source.filters or any(matches(pattern, event_record) for pattern in source.filters):
                    source.pending.append(event_record)
        while source.pending:
            batch = source.pending[: source.batch_size]
            try:
                source.function.invoke({"Records": batch})
            except Exception:
                source.attempts += 1
                if source.attempts <= source.max_retries:
                    LOG.warning("%s failed on a stream batch; retrying", source.function.logical_id)
                    return
                LOG.exception("%s failed on a stream batch; skipping it", source.function.logical_id)
            source.attempts = 0
            del source.pending[: len(batch)]
