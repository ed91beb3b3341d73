"""The Langfuse OTLP test server against /work/shared/contracts/langfuse-otlp.md: the worked example (§11), both
encodings, the strict OTLP/JSON checks, auth, gzip, size limit, the level/type/trace mapping, re-sent spans and
the fault injection."""
import base64
import copy
import gzip
import hashlib
import http.client
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

SERVER = Path(__file__).with_name("langfuse_otlp_server.py")
PUBLIC_KEY, SECRET_KEY = "pk-lf-test", "sk-lf-test"
TRACES = "/api/public/otel/v1/traces"
BASIC = "Basic " + base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
JSON_TYPE = "application/json"
PROTOBUF_TYPE = "application/x-protobuf"


def sha_hex(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


TRACE_ID = sha_hex("claude-code:sess-7f3a", 32)
ROOT_ID, GEN_ID, TOOL_ID = (sha_hex(f"claude-code:sess-7f3a:{part}", 16) for part in ("root", "gen-1", "tool-1"))


def string_attr(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


TRACE_ATTRS = [string_attr("langfuse.trace.name", "agent-run"), string_attr("session.id", "sess-7f3a"),
               string_attr("user.id", "alice")]

# Contract §11, verbatim.
WORKED_EXAMPLE = {"resourceSpans": [{
    "resource": {"attributes": [string_attr("service.name", "agenttail"),
                                string_attr("deployment.environment.name", "local")]},
    "scopeSpans": [{"scope": {"name": "agenttail", "version": "0.3.0"}, "spans": [
        {"traceId": TRACE_ID, "spanId": ROOT_ID, "name": "claude-code session",
         "kind": 1, "startTimeUnixNano": "1767261600000000000", "endTimeUnixNano": "1767261612500000000",
         "attributes": [
             string_attr("langfuse.observation.type", "agent"), *TRACE_ATTRS,
             {"key": "langfuse.trace.tags", "value": {"arrayValue": {"values": [
                 {"stringValue": "agenttail"}, {"stringValue": "claude-code"}]}}},
             string_attr("langfuse.trace.metadata.log_file", "sess-7f3a.jsonl"),
             string_attr("langfuse.observation.input", "{\"prompt\":\"fix the failing test\"}"),
             string_attr("langfuse.observation.output", "{\"result\":\"tests still failing\"}")],
         "status": {}},
        {"traceId": TRACE_ID, "spanId": GEN_ID, "parentSpanId": ROOT_ID,
         "name": "chat claude-sonnet-4", "kind": 3,
         "startTimeUnixNano": "1767261601000000000", "endTimeUnixNano": "1767261604200000000",
         "attributes": [
             string_attr("langfuse.observation.type", "generation"), *TRACE_ATTRS,
             string_attr("langfuse.observation.model.name", "claude-sonnet-4-20250514"),
             string_attr("langfuse.observation.model.parameters", "{\"max_tokens\":4096,\"temperature\":0}"),
             string_attr("langfuse.observation.usage_details", "{\"input\":1200,\"output\":85,\"total\":1285}"),
             string_attr("langfuse.observation.cost_details", "{\"total\":0.004875}"),
             string_attr("langfuse.observation.completion_start_time", "2026-01-01T10:00:01.900Z"),
             string_attr("langfuse.observation.input", "[{\"role\":\"user\",\"content\":\"fix the failing test\"}]"),
             string_attr("langfuse.observation.output", "{\"role\":\"assistant\",\"content\":\"Running the tests.\"}")],
         "status": {"code": 1}},
        {"traceId": TRACE_ID, "spanId": TOOL_ID, "parentSpanId": ROOT_ID,
         "name": "Bash", "kind": 1,
         "startTimeUnixNano": "1767261604500000000", "endTimeUnixNano": "1767261606000000000",
         "attributes": [
             string_attr("langfuse.observation.type", "tool"), *TRACE_ATTRS,
             string_attr("langfuse.observation.level", "ERROR"),
             string_attr("langfuse.observation.status_message", "npm test exited with status 1"),
             string_attr("langfuse.observation.input", "{\"command\":\"npm test\"}"),
             string_attr("langfuse.observation.output", "{\"exit_code\":1,\"stderr\":\"1 failing\"}")],
         "status": {"code": 2, "message": "exit status 1"}}]}]}]}


def export_of(*spans, resource_attrs=()) -> dict:
    return {"resourceSpans": [{"resource": {"attributes": list(resource_attrs)},
                               "scopeSpans": [{"scope": {"name": "agenttail"}, "spans": list(spans)}]}]}


def span(span_id: str, name: str = "step", parent: str | None = None, trace_id: str = TRACE_ID,
         attrs=(), status=None, start: int = 1767261600, end: int | None = None) -> dict:
    body = {"traceId": trace_id, "spanId": span_id, "name": name, "kind": 1,
            "startTimeUnixNano": str(start * 10**9), "endTimeUnixNano": str((end or start + 1) * 10**9),
            "attributes": list(attrs)}
    if parent:
        body["parentSpanId"] = parent
    if status is not None:
        body["status"] = status
    return body


def to_protobuf(document: dict) -> bytes:
    """The same export in protobuf: hex ids become raw bytes (json_format wants base64 for bytes)."""
    document = copy.deepcopy(document)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for item in scope_spans["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in item:
                        item[key] = base64.b64encode(bytes.fromhex(item[key])).decode()
    return json_format.ParseDict(document, ExportTraceServiceRequest()).SerializeToString()


class Reply:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class Server:
    def __init__(self, *extra_args: str):
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--public-key", PUBLIC_KEY, "--secret-key", SECRET_KEY, "--port", "0",
             *extra_args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        assert line.startswith("listening on "), line
        self.port = int(line.split()[-1])

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)

    def request(self, method: str, path: str, body: bytes | None = None, headers=None, timeout: float = 10.0) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def export(self, document, content_type: str = JSON_TYPE, auth: str | None = BASIC, headers=None,
               timeout: float = 10.0) -> Reply:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        sent = {"Content-Type": content_type, "x-langfuse-ingestion-version": "4", **(headers or {})}
        if auth is not None:
            sent["Authorization"] = auth
        return self.request("POST", TRACES, body, sent, timeout)

    def get(self, path: str):
        return self.request("GET", path).json()

    def post_json(self, path: str, document) -> Reply:
        return self.request("POST", path, json.dumps(document).encode(), {"Content-Type": JSON_TYPE})

    def store(self) -> dict:
        return self.get("/__store")


@pytest.fixture(scope="module")
def running_server():
    server = Server()
    yield server
    assert server.stop() == 0


@pytest.fixture
def server(running_server):
    assert running_server.post_json("/__reset", {}).status == 200
    return running_server


def assert_rejected(reply: Reply, status: int, *fragments: str) -> None:
    assert reply.status == status, reply.body
    message = reply.json()["message"]
    for fragment in fragments:
        assert fragment in message, message


def assert_nothing_stored(server: Server) -> None:
    assert server.store()["observations"] == []


def strip_receipt(observations: list[dict]) -> list[dict]:
    return [{k: v for k, v in o.items() if k != "receivedAt"} for o in observations]


# ---------------------------------------------------------------- worked example, encodings

def test_health_needs_no_auth(server):
    assert server.request("GET", "/api/public/health").json() == {"status": "OK", "version": "4.16.0"}


def test_worked_example_gives_the_trace_and_observations_of_the_contract(server):
    reply = server.export(WORKED_EXAMPLE)
    assert (reply.status, reply.json()) == (200, {})
    store = server.store()
    assert list(store["traces"]) == [TRACE_ID]
    trace = store["traces"][TRACE_ID]
    assert trace["name"] == "agent-run"
    assert (trace["sessionId"], trace["userId"]) == ("sess-7f3a", "alice")
    assert trace["tags"] == ["agenttail", "claude-code"]
    assert trace["metadata"] == {"log_file": "sess-7f3a.jsonl"}
    assert trace["input"] == "{\"prompt\":\"fix the failing test\"}"
    assert trace["output"] == "{\"result\":\"tests still failing\"}"
    assert trace["environment"] == "local"
    assert trace["timestamp"] == "2026-01-01T10:00:00.000Z"
    assert trace["rootObservationId"] == ROOT_ID
    assert trace["danglingParentIds"] == []

    by_id = {o["id"]: o for o in store["observations"]}
    assert [by_id[i]["type"] for i in (ROOT_ID, GEN_ID, TOOL_ID)] == ["AGENT", "GENERATION", "TOOL"]
    assert [o["level"] for o in store["observations"]].count("ERROR") == 1
    assert by_id[ROOT_ID]["parentObservationId"] is None
    assert by_id[GEN_ID]["parentObservationId"] == by_id[TOOL_ID]["parentObservationId"] == ROOT_ID

    generation = by_id[GEN_ID]
    assert generation["name"] == "chat claude-sonnet-4"
    assert (generation["startTime"], generation["endTime"]) == ("2026-01-01T10:00:01.000Z", "2026-01-01T10:00:04.200Z")
    assert generation["model"] == "claude-sonnet-4-20250514"
    assert generation["modelParameters"] == {"max_tokens": 4096, "temperature": 0}
    assert generation["usageDetails"] == {"input": 1200, "output": 85, "total": 1285}
    assert generation["costDetails"] == {"total": 0.004875}
    assert generation["completionStartTime"] == "2026-01-01T10:00:01.900Z"
    assert generation["level"] == "DEFAULT"
    assert generation["metadata"]["resourceAttributes"] == {"service.name": "agenttail",
                                                            "deployment.environment.name": "local"}
    assert generation["metadata"]["scope"] == {"name": "agenttail", "version": "0.3.0"}
    assert generation["attributes"]["langfuse.observation.model.name"] == "claude-sonnet-4-20250514"

    tool = by_id[TOOL_ID]
    assert (tool["level"], tool["statusMessage"]) == ("ERROR", "npm test exited with status 1")
    assert tool["output"] == "{\"exit_code\":1,\"stderr\":\"1 failing\"}"
    assert (store["duplicates"], store["changed_resends"]) == (0, 0)
    assert server.get("/__requests") == {"count": 1, "statuses": {"200": 1}, "spans_received": 3,
                                         "dropped": 0, "abandoned": 0}


def test_protobuf_export_is_stored_like_the_json_one(server):
    assert server.export(WORKED_EXAMPLE).status == 200
    from_json = server.store()
    server.post_json("/__reset", {})
    reply = server.export(to_protobuf(WORKED_EXAMPLE), PROTOBUF_TYPE)
    assert (reply.status, reply.json()) == (200, {})
    from_protobuf = server.store()
    assert strip_receipt(from_protobuf["observations"]) == strip_receipt(from_json["observations"])
    assert from_protobuf["traces"] == from_json["traces"]


def test_content_type_with_charset_and_gzip_are_accepted(server):
    body = gzip.compress(json.dumps(WORKED_EXAMPLE).encode())
    reply = server.export(body, "application/json; charset=utf-8", headers={"Content-Encoding": "gzip"})
    assert reply.status == 200
    assert len(server.store()["observations"]) == 3


def test_broken_gzip_is_a_400(server):
    reply = server.export(b"not gzip", headers={"Content-Encoding": "gzip"})
    assert_rejected(reply, 400, "Failed to decompress request body")


def test_empty_export_is_accepted(server):
    assert server.export({"resourceSpans": []}).json() == {}
    assert server.export(b"", PROTOBUF_TYPE).status == 200
    assert_nothing_stored(server)


# ---------------------------------------------------------------- auth, headers, size

@pytest.mark.parametrize("auth, status, message", [
    (None, 401, "No authorization header"),
    ("Basic " + base64.b64encode(b"pk-lf-test:sk-lf-wrong").decode(), 401, "Invalid credentials"),
    ("Basic " + base64.b64encode(b"pk-lf-other:sk-lf-test").decode(), 401, "Invalid credentials"),
    ("Basic not-base64!", 401, "Invalid authorization header"),
    ("Bearer pk-lf-test", 403, "Access denied"),
])
def test_auth_failures(server, auth, status, message):
    assert_rejected(server.export(WORKED_EXAMPLE, auth=auth), status, message)
    assert_nothing_stored(server)


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", ""])
def test_other_content_types_are_rejected(server, content_type):
    assert_rejected(server.export(WORKED_EXAMPLE, content_type), 400, "Invalid content type")


def test_ingestion_version_above_4_is_rejected(server):
    reply = server.export(WORKED_EXAMPLE, headers={"x-langfuse-ingestion-version": "5"})
    assert_rejected(reply, 400, 'Unsupported x-langfuse-ingestion-version: "5"')


def test_get_on_the_traces_route_is_405(server):
    reply = server.request("GET", TRACES, headers={"Authorization": BASIC})
    assert (reply.status, reply.json()["error"]) == (405, "MethodNotAllowedError")


def test_body_over_the_default_limit_is_413(server):
    big = span("1111111111111111", attrs=[string_attr("langfuse.observation.input", "x" * 4_600_000)])
    assert_rejected(server.export(export_of(big)), 413, "too large")
    assert_nothing_stored(server)


def test_limit_applies_after_gunzip():
    small = Server("--max-body-bytes", "2000")
    try:
        padded = span("1111111111111111", attrs=[string_attr("langfuse.observation.input", "x" * 5000)])
        body = gzip.compress(json.dumps(export_of(padded)).encode())
        assert len(body) < 2000
        assert_rejected(small.export(body, headers={"Content-Encoding": "gzip"}), 413, "after gunzip")
        assert small.export(export_of(span("1111111111111111"))).status == 200
    finally:
        assert small.stop() == 0


# ---------------------------------------------------------------- strict OTLP/JSON

def test_snake_case_keys_are_rejected(server):
    snake = {"resource_spans": WORKED_EXAMPLE["resourceSpans"]}
    assert_rejected(server.export(snake), 400, "snake_case", "resourceSpans")
    nested = copy.deepcopy(WORKED_EXAMPLE)
    first = nested["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    first["start_time_unix_nano"] = first.pop("startTimeUnixNano")
    assert_rejected(server.export(nested), 400, "snake_case", "startTimeUnixNano")
    assert_nothing_stored(server)


@pytest.mark.parametrize("field, value, fragment", [
    ("traceId", base64.b64encode(bytes.fromhex(TRACE_ID)).decode(), "lowercase hex"),
    ("traceId", TRACE_ID.upper(), "lowercase hex"),
    ("traceId", TRACE_ID[:30], "16 bytes"),
    ("spanId", "0" * 16, "all zero"),
    ("traceId", "0" * 32, "all zero"),
    ("spanId", ROOT_ID + "00", "8 bytes"),
    ("parentSpanId", "00" * 8, "all zero"),
    ("spanId", "", "8 bytes"),
])
def test_bad_ids_are_rejected(server, field, value, fragment):
    assert_rejected(server.export(export_of(span(GEN_ID) | {field: value}, span(TOOL_ID))), 400, fragment)
    assert_nothing_stored(server)


def test_bad_protobuf_ids_are_rejected(server):
    export = ExportTraceServiceRequest()
    bad = export.resource_spans.add().scope_spans.add().spans.add()
    bad.trace_id, bad.span_id, bad.name = bytes(16), bytes.fromhex(GEN_ID), "zero trace"
    assert_rejected(server.export(export.SerializeToString(), PROTOBUF_TYPE), 400, "traceId", "all zero")


def test_garbage_protobuf_is_rejected(server):
    assert_rejected(server.export(b"\xff\xff\xff", PROTOBUF_TYPE), 400, "Failed to parse OTel Protobuf Trace")


def test_attributes_as_object_are_rejected(server):
    bad = span(GEN_ID) | {"attributes": {"langfuse.observation.type": "tool"}}
    assert_rejected(server.export(export_of(bad)), 400, "attributes", "must be a list")


@pytest.mark.parametrize("mutate, fragment", [
    (lambda s: s.update(colour="blue"), "unknown field"),
    (lambda s: s.update(status={"code": "STATUS_CODE_ERROR"}), "enums must be integers"),
    (lambda s: s.update(startTimeUnixNano="soon"), "startTimeUnixNano"),
    (lambda s: s["attributes"].append({"key": "k", "value": {"stringValue": "v", "extra": 1}}), "unknown field"),
])
def test_invalid_proto3_json_is_rejected(server, mutate, fragment):
    bad = span(GEN_ID)
    mutate(bad)
    assert_rejected(server.export(export_of(bad)), 400, fragment)
    assert_nothing_stored(server)


def test_invalid_json_is_rejected(server):
    assert_rejected(server.export(b"{not json"), 400, "Failed to parse OTel JSON Trace")


def test_numeric_int64_and_integer_values_are_accepted(server):
    numeric = span(GEN_ID, attrs=[{"key": "retries", "value": {"intValue": 3}}])
    numeric["startTimeUnixNano"] = 1767261600123456789
    assert server.export(export_of(numeric)).status == 200
    observation = server.store()["observations"][0]
    assert observation["startTime"] == "2026-01-01T10:00:00.123Z"
    assert observation["metadata"]["attributes"] == {"retries": "3"}


def test_non_string_environment_is_rejected(server):
    bad = span(GEN_ID, attrs=[{"key": "langfuse.environment", "value": {"intValue": "7"}}])
    assert_rejected(server.export(export_of(bad)), 400, "langfuse.environment must be a string")


# ---------------------------------------------------------------- mapping

@pytest.mark.parametrize("level, status, expected", [
    (None, None, "DEFAULT"),
    (None, {"code": 2, "message": "boom"}, "ERROR"),
    (None, {"code": 1}, "DEFAULT"),
    ("WARNING", {"code": 2}, "WARNING"),
    ("warn", None, "WARNING"),
    ("INFO", {"code": 2}, "DEFAULT"),
    ("FATAL", None, "ERROR"),
    ("LOUD", {"code": 2}, "ERROR"),
])
def test_level_from_attribute_then_status(server, level, status, expected):
    attrs = [string_attr("langfuse.observation.level", level)] if level else []
    assert server.export(export_of(span(GEN_ID, attrs=attrs, status=status))).status == 200
    assert server.store()["observations"][0]["level"] == expected


def test_status_message_falls_back_to_the_span_status(server):
    assert server.export(export_of(span(GEN_ID, status={"code": 2, "message": "exit status 1"}))).status == 200
    assert server.store()["observations"][0]["statusMessage"] == "exit status 1"


@pytest.mark.parametrize("attrs, expected", [
    ([], "SPAN"),
    ([string_attr("langfuse.observation.type", "Generation")], "SPAN"),
    ([string_attr("langfuse.observation.type", "event")], "EVENT"),
    ([string_attr("model", "gpt-4o")], "GENERATION"),
    ([string_attr("langfuse.observation.type", "tool"), string_attr("model", "gpt-4o")], "TOOL"),
    ([string_attr("gen_ai.operation.name", "execute_tool")], "TOOL"),
    ([string_attr("openinference.span.kind", "AGENT")], "AGENT"),
])
def test_observation_type_selection(server, attrs, expected):
    assert server.export(export_of(span(GEN_ID, attrs=attrs))).status == 200
    assert server.store()["observations"][0]["type"] == expected


def test_usage_and_cost_keep_only_valid_values(server):
    attrs = [string_attr("langfuse.observation.type", "generation"),
             string_attr("langfuse.observation.usage_details", '{"input":10,"output":-1,"total":"12","cache":1.5}'),
             string_attr("langfuse.observation.cost_details", '{"total":0.5,"input":"0.1"}')]
    assert server.export(export_of(span(GEN_ID, attrs=attrs))).status == 200
    observation = server.store()["observations"][0]
    assert (observation["usageDetails"], observation["costDetails"]) == ({"input": 10}, {"total": 0.5})


def test_trace_aggregation_newest_values_and_root_fields(server):
    child_attrs = [string_attr("langfuse.trace.name", "early-name"), string_attr("session.id", "sess-1"),
                   {"key": "langfuse.trace.tags", "value": {"arrayValue": {"values": [{"stringValue": "old"}]}}}]
    children = [span(GEN_ID, "llm", parent=ROOT_ID, attrs=child_attrs, start=1767261601),
                span(TOOL_ID, "tool", parent=ROOT_ID, start=1767261602,
                     attrs=[string_attr("langfuse.trace.tags", '["new","tags"]')])]
    assert server.export(export_of(*children)).status == 200
    partial = server.store()["traces"][TRACE_ID]
    assert (partial["name"], partial["danglingParentIds"], partial["input"]) == ("early-name", [ROOT_ID], None)

    root_attrs = [string_attr("langfuse.trace.name", "final-name"), string_attr("session.id", ""),
                  string_attr("langfuse.observation.input", '"in"'),
                  string_attr("langfuse.observation.output", '"out"'),
                  string_attr("langfuse.trace.metadata.host", "h1")]
    assert server.export(export_of(span(ROOT_ID, "root", attrs=root_attrs))).status == 200
    trace = server.store()["traces"][TRACE_ID]
    assert trace["name"] == "final-name"
    assert trace["sessionId"] == "sess-1"
    assert trace["tags"] == ["new", "tags"]
    assert (trace["input"], trace["output"], trace["metadata"]) == ('"in"', '"out"', {"host": "h1"})
    assert trace["danglingParentIds"] == []
    assert trace["timestamp"] == "2026-01-01T10:00:00.000Z"


def test_trace_name_falls_back_to_the_root_span_name(server):
    assert server.export(export_of(span(ROOT_ID, "claude-code session"), span(GEN_ID, "child", ROOT_ID))).status == 200
    assert server.store()["traces"][TRACE_ID]["name"] == "claude-code session"


# ---------------------------------------------------------------- re-sent spans

def test_identical_resend_is_a_duplicate_but_not_changed(server):
    assert server.export(WORKED_EXAMPLE).status == 200
    assert server.export(to_protobuf(WORKED_EXAMPLE), PROTOBUF_TYPE).status == 200
    store = server.store()
    assert len(store["observations"]) == 6
    assert (store["duplicates"], store["changed_resends"]) == (3, 0)
    assert [o["resend"] for o in store["observations"]] == [0, 0, 0, 1, 1, 1]


def test_changed_resend_is_counted_as_changed(server):
    assert server.export(export_of(span(GEN_ID, attrs=[string_attr("langfuse.observation.output", "a")]))).status == 200
    assert server.export(export_of(span(GEN_ID, attrs=[string_attr("langfuse.observation.output", "b")]))).status == 200
    store = server.store()
    assert (store["duplicates"], store["changed_resends"]) == (1, 1)
    assert [(o["output"], o["changedFromFirst"]) for o in store["observations"]] == [("a", False), ("b", True)]


# ---------------------------------------------------------------- faults

def set_faults(server: Server, **settings) -> None:
    reply = server.post_json("/__faults", settings)
    assert reply.status == 200, reply.body


def test_fail_fault(server):
    set_faults(server, fail_ratio=1, fail_status=500)
    assert_rejected(server.export(WORKED_EXAMPLE), 500, "Internal Server Error")
    set_faults(server, fail_ratio=1)
    assert_rejected(server.export(WORKED_EXAMPLE), 503, "Service Unavailable")
    assert_nothing_stored(server)
    assert server.get("/__requests")["statuses"] == {"500": 1, "503": 1}


def test_throttle_fault_sends_retry_after(server):
    set_faults(server, throttle_ratio=1, retry_after=7)
    reply = server.export(WORKED_EXAMPLE)
    assert_rejected(reply, 429, "Rate limit exceeded")
    assert reply.headers["Retry-After"] == "7"
    assert_nothing_stored(server)


def test_delay_fault_answers_late(server):
    set_faults(server, delay_ratio=1, delay_seconds=0.5)
    started = time.monotonic()
    assert server.export(WORKED_EXAMPLE).status == 200
    assert time.monotonic() - started >= 0.5
    assert len(server.store()["observations"]) == 3


def test_delay_without_commit_stores_nothing_when_the_client_gives_up(server):
    set_faults(server, delay_ratio=1, delay_seconds=1.0)
    with pytest.raises(TimeoutError):
        server.export(WORKED_EXAMPLE, timeout=0.3)
    time.sleep(1.2)
    assert_nothing_stored(server)
    assert server.get("/__requests")["abandoned"] == 1


def test_delay_commits_stores_before_the_slow_answer(server):
    set_faults(server, delay_ratio=1, delay_seconds=1.0, delay_commits=True)
    with pytest.raises(TimeoutError):
        server.export(WORKED_EXAMPLE, timeout=0.3)
    assert len(server.store()["observations"]) == 3


def test_drop_fault_closes_the_connection(server):
    set_faults(server, drop_ratio=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        server.export(WORKED_EXAMPLE)
    assert_nothing_stored(server)
    set_faults(server, drop_ratio=1, drop_after_commit=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        server.export(WORKED_EXAMPLE)
    assert len(server.store()["observations"]) == 3
    requests = server.get("/__requests")
    assert (requests["dropped"], requests["statuses"], requests["count"]) == (2, {}, 2)


def test_poisoned_span_rejects_the_whole_export(server):
    set_faults(server, reject_span_names=["Bash"])
    reply = server.export(WORKED_EXAMPLE)
    assert (reply.status, reply.json()) == (400, {"message": "poisoned span Bash"})
    assert_nothing_stored(server)
    assert server.export(export_of(span(GEN_ID, "Read"))).status == 200


def test_seeded_faults_repeat(server):
    def statuses():
        set_faults(server, fail_ratio=0.5, seed=42)
        return [server.export(export_of(span(GEN_ID))).status for _ in range(12)]

    first = statuses()
    assert set(first) == {200, 503}
    assert statuses() == first


def test_bad_fault_settings_are_rejected(server):
    assert server.post_json("/__faults", {"fail_ratio": 2}).status == 400
    assert server.post_json("/__faults", {"explode": True}).status == 400


def test_reset_clears_store_counters_and_faults(server):
    set_faults(server, fail_ratio=1)
    server.export(WORKED_EXAMPLE)
    set_faults(server)
    server.export(WORKED_EXAMPLE)
    assert server.post_json("/__reset", {}).status == 200
    assert server.store() == {"traces": {}, "observations": [], "duplicates": 0, "changed_resends": 0}
    assert server.get("/__requests") == {"count": 0, "statuses": {}, "spans_received": 0, "dropped": 0,
                                         "abandoned": 0}
    assert server.get("/__faults")["fail_ratio"] == 0
    assert server.export(WORKED_EXAMPLE).status == 200
