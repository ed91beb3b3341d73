"""A local stand-in for Langfuse's OTLP trace endpoint, for agenttail's integration tests.

What it emulates (see /work/shared/contracts/langfuse-otlp.md, Langfuse 4.16.0, v4 "direct" write path):
- `GET /api/public/health` and `POST /api/public/otel/v1/traces` with Langfuse's auth (Basic `public:secret`;
  `Bearer <public key>` is 403), content-type check, gzip, the `x-langfuse-ingestion-version` check and the
  response bodies of contract §9 (200 `{}`; no partial success).
- The span mapping of §4-6: every span is stored as one observation (type, name, times truncated to ms, level,
  status message, input/output, model, parameters, usage, cost, prompt, environment, version, release,
  metadata with the leftover attributes, resource attributes and scope). Traces are aggregated when read,
  as v4 does: newest non-empty name/session/user/tags/release/version/environment, the root span's
  input/output/metadata, the root span's name when no `langfuse.trace.name` was sent.
- Re-sent spans are all kept (as v4 keeps them until ClickHouse merges) and counted: `duplicates` and
  `changed_resends` (a copy whose serialized span differs from the first copy).

Where it is deliberately stricter than Langfuse (which answers 200 and loses data later, or stores odd ids):
OTLP/JSON is parsed with the official protobuf definitions: lowerCamelCase keys only, no unknown fields,
integer enums, `attributes` as a list, lowercase hex ids of the right length and not all zero. A
non-string environment is a 400 (Langfuse's worker would drop the whole export). Bodies above
`--max-body-bytes` (on the wire or after gunzip) get 413, like a proxy in front of Langfuse would.

What it does not emulate: the v3/dual write path (upserts, trace-create events), the framework-specific
parsers (Vercel AI SDK, Genkit, LiveKit, Flue, pydantic-ai, Langfuse SDK scope quirks), the `gen_ai.usage.*`
usage fallback, `langfuse.trace.public`, price-table costs, rate limiting other than injected 429s,
organization keys and usage suspension, persistence (everything lives in memory).

Test API: `POST /__faults`, `GET /__faults`, `GET /__requests`, `GET /__store`, `POST /__reset` (see main()).
"""
import argparse
import base64
import binascii
import json
import logging
import random
import re
import select
import signal
import socket
import sys
import threading
import time
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone

from flask import Flask, Response, g, request
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from werkzeug.serving import make_server

LANGFUSE_VERSION = "4.16.0"
TRACES_PATH = "/api/public/otel/v1/traces"
DEFAULT_MAX_BODY_BYTES = 4_500_000
MAX_INGESTION_VERSION = 4
INVALID_CREDENTIALS = "Invalid credentials. Confirm that you've configured the correct host."

ID_BYTES = {"trace_id": 16, "span_id": 8, "parent_span_id": 8}
LOWER_HEX = re.compile(r"^(?:[0-9a-f]{2})*$")
STATUS_CODE_ERROR = 2

OBSERVATION_TYPES = {"span", "generation", "event", "agent", "tool", "chain", "retriever", "embedding",
                     "guardrail", "evaluator"}
OPENINFERENCE_KINDS = {"LLM": "generation", "TOOL": "tool", "AGENT": "agent", "CHAIN": "chain",
                       "RETRIEVER": "retriever", "EMBEDDING": "embedding", "GUARDRAIL": "guardrail",
                       "EVALUATOR": "evaluator"}
GEN_AI_OPERATIONS = {"chat": "generation", "text_completion": "generation", "generate_content": "generation",
                     "execute_tool": "tool", "invoke_agent": "agent", "embeddings": "embedding"}
LEVEL_ALIASES = {**dict.fromkeys(["DEBUG", "TRACE", "VERBOSE"], "DEBUG"),
                 **dict.fromkeys(["DEFAULT", "INFO", "LOG", "NOTICE", "OK", "SUCCESS"], "DEFAULT"),
                 **dict.fromkeys(["WARNING", "WARN"], "WARNING"),
                 **dict.fromkeys(["ERROR", "FATAL", "CRITICAL"], "ERROR")}

NAME_OVERRIDES = ["gen_ai.tool.name", "logfire.msg", "ai.toolCall.name", "ai.operationId"]
MODEL_KEYS = ["langfuse.observation.model.name", "gen_ai.response.model", "ai.model.id", "gen_ai.request.model",
              "llm.response.model", "llm.model_name", "model"]
INPUT_KEYS = ["langfuse.observation.input", "input.value", "gen_ai.input.messages"]
OUTPUT_KEYS = ["langfuse.observation.output", "output.value", "gen_ai.output.messages"]
ENVIRONMENT_KEYS = ["langfuse.environment", "deployment.environment.name", "deployment.environment"]
SESSION_KEYS = ["session.id", "langfuse.session.id", "gen_ai.conversation.id"]
USER_KEYS = ["user.id", "langfuse.user.id"]
ENVIRONMENT_PATTERN = re.compile(r"^[a-z0-9_-]{1,40}$")

log = logging.getLogger("langfuse_otlp_server")


class Rejected(Exception):
    """An export answered with an error status; nothing of it is stored."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(body.get("message"))
        self.status, self.body, self.headers = status, body, headers or {}


def bad_export(error: str, message: str) -> Rejected:
    """A 400 carrying Langfuse's error category and a message naming the exact problem."""
    return Rejected(400, {"error": error, "message": message})


# ---------------------------------------------------------------- auth, headers, body

def check_auth(headers, public_key: str, secret_key: str) -> None:
    header = headers.get("Authorization")
    if not header:
        raise Rejected(401, {"message": "No authorization header"})
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        if token.strip() == public_key:
            raise Rejected(403, {"message": "Access denied - insufficient permissions for this endpoint"})
        raise Rejected(401, {"message": INVALID_CREDENTIALS})
    if scheme.lower() != "basic":
        raise Rejected(401, {"message": "Invalid authorization header"})
    try:
        user, _, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Rejected(401, {"message": "Invalid authorization header"}) from None
    if (user, password) != (public_key, secret_key):
        raise Rejected(401, {"message": INVALID_CREDENTIALS})


def body_encoding(headers) -> str:
    """"json" or "protobuf", from a Content-Type that must contain one of Langfuse's two types."""
    content_type = headers.get("Content-Type", "")
    if "application/json" in content_type:
        return "json"
    if "application/x-protobuf" in content_type:
        return "protobuf"
    raise Rejected(400, {"error": "Invalid content type", "message": "Invalid content type"})


def check_ingestion_version(headers) -> None:
    version = headers.get("x-langfuse-ingestion-version")
    if version is not None and not (version.strip().isdigit() and int(version) <= MAX_INGESTION_VERSION):
        message = f'Unsupported x-langfuse-ingestion-version: "{version}". Maximum supported: "4".'
        raise Rejected(400, {"error": message, "message": message})


def too_large(size_text: str, limit: int) -> Rejected:
    return Rejected(413, {"message": f"Request body too large: {size_text} bytes, limit {limit}"})


def read_body(stream, limit: int) -> bytes:
    """The whole body (drained to the end so the client reads our answer), or 413 above `limit`."""
    kept, total = bytearray(), 0
    while chunk := stream.read(65536):
        total += len(chunk)
        if total <= limit:
            kept += chunk
    if total > limit:
        raise too_large(str(total), limit)
    return bytes(kept)


def gunzip(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise bad_export("Failed to decompress request body", f"Failed to decompress request body: {error}") from None
    if len(data) > limit:
        raise too_large(f"more than {limit} (after gunzip)", limit)
    if not inflater.eof:
        raise bad_export("Failed to decompress request body", "Failed to decompress request body: truncated gzip")
    return data


# ---------------------------------------------------------------- strict parsing

def parse_protobuf(body: bytes) -> ExportTraceServiceRequest:
    try:
        return ExportTraceServiceRequest.FromString(body)
    except DecodeError as error:
        error_name = "Failed to parse OTel Protobuf Trace"
        raise bad_export(error_name, f"{error_name}: {error}") from None


def parse_json(body: bytes) -> ExportTraceServiceRequest:
    error = "Failed to parse OTel JSON Trace"
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as problem:
        raise bad_export(error, f"{error}: invalid JSON: {problem}") from None
    proto3_json = otlp_json_to_proto3_json(document, ExportTraceServiceRequest.DESCRIPTOR, "$")
    try:
        return json_format.ParseDict(proto3_json, ExportTraceServiceRequest(), ignore_unknown_fields=False)
    except json_format.ParseError as problem:
        raise bad_export(error, f"{error}: {problem}") from None


def otlp_json_to_proto3_json(value, descriptor, path: str) -> dict:
    """Checks OTLP/JSON's rules that proto3 JSON parsing lets through (snake_case keys, enum names, objects
    for lists) and turns the hex ids into the base64 that proto3 JSON expects for bytes."""
    if not isinstance(value, dict):
        raise bad_export("Failed to parse OTel JSON Trace", f"{path}: expected an object {descriptor.name}")
    by_json_name = {f.json_name: f for f in descriptor.fields}
    by_proto_name = {f.name: f for f in descriptor.fields}
    converted = {}
    for key, item in value.items():
        where = f"{path}.{key}"
        descriptor_field = by_json_name.get(key)
        if descriptor_field is None and key in by_proto_name:
            raise bad_export("Failed to parse OTel JSON Trace",
                             f"{where}: snake_case key, OTLP/JSON needs '{by_proto_name[key].json_name}'")
        if descriptor_field is None:
            raise bad_export("Failed to parse OTel JSON Trace", f"{where}: unknown field of {descriptor.name}")
        converted[key] = convert_json_field(item, descriptor_field, where)
    return converted


def convert_json_field(value, descriptor_field, path: str):
    if value is None or not descriptor_field.is_repeated:
        return convert_json_value(value, descriptor_field, path)
    if not isinstance(value, list):
        raise bad_export("Failed to parse OTel JSON Trace",
                         f"{path}: must be a list, got a JSON {type(value).__name__}")
    return [convert_json_value(item, descriptor_field, f"{path}[{i}]") for i, item in enumerate(value)]


def convert_json_value(value, descriptor_field, path: str):
    if value is None:
        return None
    if descriptor_field.type == FieldDescriptor.TYPE_MESSAGE:
        return otlp_json_to_proto3_json(value, descriptor_field.message_type, path)
    if descriptor_field.type == FieldDescriptor.TYPE_ENUM and (type(value) is not int):
        raise bad_export("Failed to parse OTel JSON Trace", f"{path}: enums must be integers, got {value!r}")
    if descriptor_field.name in ID_BYTES:
        return hex_id_to_base64(value, path)
    return value


def hex_id_to_base64(value, path: str) -> str:
    if not isinstance(value, str) or not LOWER_HEX.match(value):
        raise bad_export("Invalid OTLP trace export", f"{path}: ids must be lowercase hex strings, got {value!r}")
    return base64.b64encode(bytes.fromhex(value)).decode()


def check_span_ids(export: ExportTraceServiceRequest) -> None:
    """Every span needs a 16-byte trace id and an 8-byte span id, an optional 8-byte parent, none all zero."""
    bad_spans, total = [], 0
    for r, resource_spans in enumerate(export.resource_spans):
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for i, span in enumerate(scope_spans.spans):
                total += 1
                problems = span_id_problems(span)
                if problems:
                    bad_spans.append(f"resourceSpans[{r}].scopeSpans[{s}].spans[{i}] " + ", ".join(problems))
    if bad_spans:
        raise bad_export("Invalid OTLP trace export",
                         f"Invalid OTLP trace export: {len(bad_spans)} of {total} span(s) cannot be processed: "
                         + "; ".join(bad_spans) + ". The entire export was rejected and no spans were ingested.")


def span_id_problems(span) -> list[str]:
    problems = []
    for name, required in (("trace_id", True), ("span_id", True), ("parent_span_id", False)):
        value = getattr(span, name)
        json_name = span.DESCRIPTOR.fields_by_name[name].json_name
        if not value and not required:
            continue
        if len(value) != ID_BYTES[name]:
            problems.append(f"{json_name}: must be {ID_BYTES[name]} bytes "
                            f"({2 * ID_BYTES[name]} hex chars), got {len(value)} bytes")
        elif not any(value):
            problems.append(f"{json_name}: must not be all zero")
    return problems


# ---------------------------------------------------------------- span -> observation mapping

def any_value_to_python(value):
    """Plain value of an OTLP AnyValue as Langfuse reads it; kvlist, bytes and empty values become the JSON
    text of the wrapper object."""
    kind = value.WhichOneof("value")
    if kind in ("string_value", "int_value", "double_value", "bool_value"):
        return getattr(value, kind)
    if kind == "array_value":
        return [any_value_to_python(item) for item in value.array_value.values]
    return json.dumps(json_format.MessageToDict(value), separators=(",", ":"))


def key_values_to_dict(key_values) -> dict:
    return {item.key: any_value_to_python(item.value) for item in key_values}


class SpanAttributes:
    """A span's attributes; remembers which ones the mapping consumed, the rest goes to metadata.attributes."""

    def __init__(self, values: dict):
        self.values, self.used = values, set()

    def first(self, *keys):
        for key in keys:
            value = self.values.get(key)
            if value not in (None, ""):
                self.used.add(key)
                return value
        return None

    def with_prefix(self, prefix: str) -> dict:
        keys = [key for key in self.values if key.startswith(prefix)]
        self.used.update(keys)
        return {key[len(prefix):]: self.values[key] for key in keys}

    def leftover(self) -> dict:
        return {key: value if isinstance(value, str) else json.dumps(value)
                for key, value in self.values.items()
                if key not in self.used and not key.startswith("langfuse.")}


def nanos_to_iso(nanos: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=nanos // 1_000_000)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def span_times(span, received_at: str) -> tuple[str, str]:
    start = span.start_time_unix_nano or span.end_time_unix_nano
    end = span.end_time_unix_nano or span.start_time_unix_nano
    if not start:
        return received_at, received_at
    return nanos_to_iso(start), nanos_to_iso(end)


def json_object(text) -> dict:
    """A JSON-object attribute (usage, cost, parameters, metadata); anything else reads as empty."""
    if isinstance(text, str):
        try:
            value = json.loads(text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def usage_details(attributes: SpanAttributes) -> dict:
    usage = json_object(attributes.first("langfuse.observation.usage_details"))
    return {key: value for key, value in usage.items() if type(value) is int and value >= 0}


def cost_details(attributes: SpanAttributes) -> dict:
    def is_cost(value):
        return type(value) in (int, float) and value >= 0

    costs = {key: value for key, value in json_object(attributes.first("langfuse.observation.cost_details")).items()
             if is_cost(value)}
    fallback = attributes.first("gen_ai.usage.cost")
    return costs or ({"total": fallback} if is_cost(fallback) else {})


def model_parameters(attributes: SpanAttributes) -> dict:
    parameters = json_object(attributes.first("langfuse.observation.model.parameters"))
    if not parameters:
        parameters = {key: value for key, value in attributes.with_prefix("gen_ai.request.").items() if key != "model"}
    return {key: value if type(value) in (str, int, float) else json.dumps(value)
            for key, value in parameters.items()}


def observation_level(attributes: SpanAttributes, status_code: int) -> str:
    explicit = attributes.first("langfuse.observation.level")
    level = LEVEL_ALIASES.get(explicit.strip().upper()) if isinstance(explicit, str) else None
    return level or ("ERROR" if status_code == STATUS_CODE_ERROR else "DEFAULT")


def observation_type(attributes: SpanAttributes, model) -> str:
    def lookup(table: dict, value):
        return table.get(value) if isinstance(value, str) else None

    candidates = [
        lookup({kind: kind for kind in OBSERVATION_TYPES}, attributes.first("langfuse.observation.type")),
        lookup(OPENINFERENCE_KINDS, attributes.first("openinference.span.kind")),
        lookup(GEN_AI_OPERATIONS, attributes.first("gen_ai.operation.name")),
        "tool" if attributes.first("gen_ai.tool.name", "gen_ai.tool.call.id") else None,
        "generation" if model else None,
    ]
    return next((kind for kind in candidates if kind), "span").upper()


def trace_tags(value) -> list[str]:
    if isinstance(value, list):
        return [str(tag) for tag in value]
    if not isinstance(value, str):
        return []
    if value.lstrip().startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(tag) for tag in parsed]
    return [tag.strip() for tag in value.split(",") if tag.strip()]


def environment(attributes: SpanAttributes, resource: dict) -> str:
    for key in ENVIRONMENT_KEYS:
        value = attributes.first(key)
        if value is None:
            value = resource.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise bad_export("Invalid OTLP trace export",
                             f"attribute {key} must be a string, got {value!r} (Langfuse would lose the export)")
        return normalize_environment(value)
    return "default"


def normalize_environment(value: str) -> str:
    value = value.lower()
    value = value[len("langfuse"):] if value.startswith("langfuse") else value
    return value if ENVIRONMENT_PATTERN.match(value) else "default"


def prompt_link(attributes: SpanAttributes, kind: str) -> dict:
    """Langfuse links prompts to generations only."""
    if kind != "GENERATION":
        return {"promptName": None, "promptVersion": None}
    return {"promptName": attributes.first("langfuse.observation.prompt.name"),
            "promptVersion": attributes.first("langfuse.observation.prompt.version")}


def span_to_observation(span, resource: dict, scope, received_at: str) -> dict:
    attributes = SpanAttributes(key_values_to_dict(span.attributes))
    name = attributes.first(*NAME_OVERRIDES) or span.name
    model = attributes.first(*MODEL_KEYS)
    kind = observation_type(attributes, model)
    start, end = span_times(span, received_at)
    observation = {
        "id": span.span_id.hex(),
        "traceId": span.trace_id.hex(),
        "parentObservationId": span.parent_span_id.hex() or None,
        "type": kind,
        "name": name,
        "startTime": start,
        "endTime": end,
        "completionStartTime": attributes.first("langfuse.observation.completion_start_time"),
        "level": observation_level(attributes, span.status.code),
        "statusMessage": attributes.first("langfuse.observation.status_message") or span.status.message or None,
        "input": attributes.first(*INPUT_KEYS),
        "output": attributes.first(*OUTPUT_KEYS),
        "model": model,
        "modelParameters": model_parameters(attributes),
        "usageDetails": usage_details(attributes),
        "costDetails": cost_details(attributes),
        **prompt_link(attributes, kind),
        "environment": environment(attributes, resource),
        "version": attributes.first("langfuse.version") or resource.get("service.version"),
        "release": attributes.first("langfuse.release") or resource.get("langfuse.release"),
        "traceName": attributes.first("langfuse.trace.name"),
        "sessionId": attributes.first(*SESSION_KEYS),
        "userId": attributes.first(*USER_KEYS),
        "tags": trace_tags(attributes.first("langfuse.trace.tags")),
        "traceMetadata": attributes.with_prefix("langfuse.trace.metadata."),
    }
    observation["metadata"] = {
        **json_object(attributes.first("langfuse.observation.metadata")),
        **attributes.with_prefix("langfuse.observation.metadata."),
        "attributes": attributes.leftover(),
        "resourceAttributes": resource,
        "scope": {"name": scope.name, "version": scope.version},
    }
    observation["attributes"] = attributes.values
    observation["receivedAt"] = received_at
    return observation


def export_to_observations(export: ExportTraceServiceRequest, received_at: str) -> list[tuple[dict, bytes]]:
    """(observation, serialized span) per span, in export order."""
    stored = []
    for resource_spans in export.resource_spans:
        resource = key_values_to_dict(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                observation = span_to_observation(span, resource, scope_spans.scope, received_at)
                stored.append((observation, span.SerializeToString(deterministic=True)))
    return stored


# ---------------------------------------------------------------- trace aggregation (read time, like v4)

NEWEST_NON_EMPTY = ["sessionId", "userId", "tags", "release", "version", "environment"]


def newest_non_empty(observations: list[dict], key: str):
    return next((o[key] for o in reversed(observations) if o[key] not in (None, "", [])), None)


def aggregate_trace(trace_id: str, observations: list[dict]) -> dict:
    roots = [o for o in observations if o["parentObservationId"] is None]
    root = roots[-1] if roots else None
    ids = list(dict.fromkeys(o["id"] for o in observations))
    parents = {o["parentObservationId"] for o in observations} - {None}
    return {
        "id": trace_id,
        "name": newest_non_empty(observations, "traceName") or (root["name"] if root else None),
        **{key: newest_non_empty(observations, key) for key in NEWEST_NON_EMPTY},
        "input": root["input"] if root else None,
        "output": root["output"] if root else None,
        "metadata": root["traceMetadata"] if root else None,
        "timestamp": root["startTime"] if root else min(o["startTime"] for o in observations),
        "rootObservationId": root["id"] if root else None,
        "observationIds": ids,
        "danglingParentIds": sorted(parents - set(ids)),
    }


def aggregate_traces(observations: list[dict]) -> dict:
    by_trace: dict[str, list[dict]] = {}
    for observation in observations:
        by_trace.setdefault(observation["traceId"], []).append(observation)
    return {trace_id: aggregate_trace(trace_id, rows) for trace_id, rows in by_trace.items()}


# ---------------------------------------------------------------- faults and state

@dataclass
class Faults:
    fail_ratio: float = 0.0
    fail_status: int = 503
    throttle_ratio: float = 0.0
    retry_after: int = 1
    delay_ratio: float = 0.0
    delay_seconds: float = 1.0
    delay_commits: bool = False
    drop_ratio: float = 0.0
    drop_after_commit: bool = False
    reject_span_names: list = field(default_factory=list)
    seed: int | None = None

    @classmethod
    def from_json(cls, document) -> "Faults":
        if not isinstance(document, dict):
            raise ValueError("expected a JSON object")
        known = {f.name: f for f in fields(cls)}
        unknown = set(document) - set(known)
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        faults = cls(**document)
        faults.check()
        return faults

    def check(self) -> None:
        for name in ("fail_ratio", "throttle_ratio", "delay_ratio", "drop_ratio"):
            value = getattr(self, name)
            if type(value) not in (int, float) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
        if type(self.fail_status) is not int or not 400 <= self.fail_status <= 599:
            raise ValueError("fail_status must be an HTTP error status")
        if type(self.retry_after) is not int or self.retry_after < 0:
            raise ValueError("retry_after must be a non-negative integer (seconds)")
        if type(self.delay_seconds) not in (int, float) or self.delay_seconds < 0:
            raise ValueError("delay_seconds must be a non-negative number")
        if not (isinstance(self.reject_span_names, list) and all(isinstance(n, str) for n in self.reject_span_names)):
            raise ValueError("reject_span_names must be a list of strings")
        if self.seed is not None and type(self.seed) is not int:
            raise ValueError("seed must be an integer")


@dataclass
class FaultDraw:
    fail: bool
    throttle: bool
    drop: bool
    delay: bool


class State:
    """Everything the server remembers, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.faults = Faults()
        self.random = random.Random()
        self.observations: list[dict] = []
        self.first_copies: dict[tuple[str, str], bytes] = {}
        self.copies: Counter = Counter()
        self.duplicates = self.changed_resends = 0
        self.request_count = self.spans_received = self.dropped = self.abandoned = 0
        self.statuses: Counter = Counter()

    def set_faults(self, faults: Faults) -> None:
        self.faults, self.random = faults, random.Random(faults.seed)

    def draw_faults(self) -> FaultDraw:
        faults = self.faults
        return FaultDraw(*(self.random.random() < ratio for ratio in
                           (faults.fail_ratio, faults.throttle_ratio, faults.drop_ratio, faults.delay_ratio)))

    def commit(self, stored: list[tuple[dict, bytes]]) -> None:
        for observation, span_bytes in stored:
            key = (observation["traceId"], observation["id"])
            first = self.first_copies.setdefault(key, span_bytes)
            observation["resend"] = self.copies[key]
            observation["changedFromFirst"] = first != span_bytes
            self.duplicates += self.copies[key] > 0
            self.copies[key] += 1
            self.changed_resends += first != span_bytes
            self.observations.append(observation)

    def store_snapshot(self) -> dict:
        return {"traces": aggregate_traces(self.observations), "observations": self.observations,
                "duplicates": self.duplicates, "changed_resends": self.changed_resends}

    def requests_snapshot(self) -> dict:
        return {"count": self.request_count, "statuses": dict(self.statuses), "spans_received": self.spans_received,
                "dropped": self.dropped, "abandoned": self.abandoned}


# ---------------------------------------------------------------- HTTP

def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def connection_socket() -> socket.socket:
    return request.environ["werkzeug.socket"]


def drop_connection() -> None:
    """Shut the socket so the client gets no answer; werkzeug's write then fails quietly."""
    connection_socket().shutdown(socket.SHUT_RDWR)


def client_hung_up() -> bool:
    sock = connection_socket()
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def poisoned_span(stored: list[tuple[dict, bytes]], names: list[str]) -> str | None:
    return next((o["name"] for o, _ in stored if o["name"] in names), None)


def receive_export(public_key: str, secret_key: str, max_body_bytes: int) -> list[tuple[dict, bytes]]:
    """Auth, headers, body and strict parsing: the mapped spans of a valid export, or Rejected."""
    check_auth(request.headers, public_key, secret_key)
    encoding = body_encoding(request.headers)
    check_ingestion_version(request.headers)
    body = read_body(request.stream, max_body_bytes)
    if "gzip" in request.headers.get("Content-Encoding", ""):
        body = gunzip(body, max_body_bytes)
    export = parse_protobuf(body) if encoding == "protobuf" else parse_json(body)
    check_span_ids(export)
    return export_to_observations(export, nanos_to_iso(time.time_ns()))


def create_app(public_key: str, secret_key: str, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Flask:
    app = Flask(__name__)
    state = State()

    @app.get("/api/public/health")
    def health():
        return json_response({"status": "OK", "version": LANGFUSE_VERSION})

    @app.post(TRACES_PATH)
    def export_traces():
        with state.lock:
            state.request_count += 1
        try:
            stored = receive_export(public_key, secret_key, max_body_bytes)
            with state.lock:
                state.spans_received += len(stored)
                faults, draw = state.faults, state.draw_faults()
            return answer_export(stored, faults, draw)
        except Rejected as rejection:
            return json_response(rejection.body, rejection.status, rejection.headers)

    def answer_export(stored, faults: Faults, draw: FaultDraw) -> Response:
        poisoned = poisoned_span(stored, faults.reject_span_names)
        if poisoned is not None:
            raise Rejected(400, {"message": f"poisoned span {poisoned}"})
        if draw.fail:
            raise Rejected(faults.fail_status, failure_body(faults.fail_status))
        if draw.throttle:
            raise Rejected(429, {"message": "Rate limit exceeded", "code": "rate_limited",
                                 "details": {"retryAfterSeconds": faults.retry_after}},
                           {"Retry-After": str(faults.retry_after)})
        if draw.drop:
            return dropped_answer(stored, faults.drop_after_commit)
        if draw.delay:
            return delayed_answer(stored, faults)
        commit(stored)
        return json_response({})

    def failure_body(status: int) -> dict:
        if status == 503:
            return {"message": "Service Unavailable"}
        if status == 500:
            return {"message": "Internal Server Error", "error": "injected fault"}
        return {"message": f"injected fault {status}"}

    def dropped_answer(stored, after_commit: bool) -> Response:
        if after_commit:
            commit(stored)
        with state.lock:
            state.dropped += 1
        log.info("fault: dropping the connection (spans %s)", "stored" if after_commit else "not stored")
        g.unanswered = True
        drop_connection()
        return json_response({})

    def delayed_answer(stored, faults: Faults) -> Response:
        if faults.delay_commits:
            commit(stored)
        time.sleep(faults.delay_seconds)
        if not faults.delay_commits:
            if client_hung_up():
                with state.lock:
                    state.abandoned += 1
                log.info("fault: client hung up during the delay, nothing stored")
                g.unanswered = True
                return json_response({})
            commit(stored)
        return json_response({})

    def commit(stored) -> None:
        with state.lock:
            state.commit(stored)

    @app.after_request
    def count_status(response: Response) -> Response:
        if request.path == TRACES_PATH and request.method == "POST" and not g.get("unanswered"):
            with state.lock:
                state.statuses[str(response.status_code)] += 1
        return response

    @app.errorhandler(405)
    def method_not_allowed(_error):
        return json_response({"message": "Method not allowed", "error": "MethodNotAllowedError"}, 405)

    @app.route("/__faults", methods=["GET", "POST"])
    def faults_settings():
        if request.method == "POST":
            try:
                faults = Faults.from_json(request.get_json(force=True, silent=True))
            except (TypeError, ValueError) as problem:
                return json_response({"message": f"bad fault settings: {problem}"}, 400)
            with state.lock:
                state.set_faults(faults)
        with state.lock:
            return json_response(asdict(state.faults))

    @app.get("/__requests")
    def requests_seen():
        with state.lock:
            return json_response(state.requests_snapshot())

    @app.get("/__store")
    def store():
        with state.lock:
            return json_response(state.store_snapshot())

    @app.post("/__reset")
    def reset():
        with state.lock:
            state.reset()
        return json_response({})

    return app


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", help="the private key of --tls-cert")
    return parser.parse_args(argv)


def stop_serving(_signal, _frame):
    raise KeyboardInterrupt  # werkzeug's serve_forever treats it as a clean stop


def main(argv=None) -> None:
    """Serves until SIGTERM/SIGINT. Test API besides the Langfuse routes:
    POST /__faults {fail_ratio, fail_status, throttle_ratio, retry_after, delay_ratio, delay_seconds, delay_commits,
                    drop_ratio, drop_after_commit, reject_span_names, seed} replaces the settings; GET shows them.
    GET /__requests {count, statuses, spans_received, dropped, abandoned}.
    GET /__store {traces: {traceId: trace}, observations: [every stored copy], duplicates, changed_resends}.
    POST /__reset clears the store, the counters and the faults."""
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(args.public_key, args.secret_key, args.max_body_bytes)
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    server = make_server(args.host, args.port, app, threaded=True, ssl_context=tls)
    for stop_signal in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: background jobs start with it ignored
        signal.signal(stop_signal, stop_serving)
    print(f"listening on {server.port}", flush=True)
    log.info("Langfuse OTLP test server on %s://%s:%d%s", "https" if tls else "http", args.host, server.port,
             TRACES_PATH)
    server.serve_forever()


if __name__ == "__main__":
    main()
