"""`agenttail mcp` driven by the official MCP Python client over stdio and streamable HTTP, each answer checked
against the store it reads."""
import hashlib
import json
import subprocess
import urllib.error
import urllib.request

import pytest
from mcp.shared.exceptions import MCPError

from mcp_client import TRANSPORTS, drive, http_server
from stack import BINARY

INVALID_PARAMS = -32602
TOOLS = {"list_sessions", "get_session", "report", "search_errors", "tool_stats"}


def structured(result):
    assert not result.is_error, result.content[0].text
    assert result.content[0].type == "text" and result.content[0].text
    return result.structured_content


async def every_page(client, tool, arguments):
    """Calls `tool` with `arguments`, then with each `next_cursor` it returns, until the last page."""
    pages, cursor = [], None
    while True:
        page = structured(await client.call_tool(tool, arguments | ({"cursor": cursor} if cursor else {})))
        pages.append(page)
        cursor = page.get("next_cursor")
        if not cursor:
            return pages


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_tools_are_listed_with_schemas(records, transport):
    async def scenario(client):
        return (await client.list_tools()).tools
    tools = drive(records.config, transport, scenario)
    assert {tool.name for tool in tools} == TOOLS
    for tool in tools:
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema["type"] == "object"
        assert tool.annotations.read_only_hint is True
    required = {tool.name: tool.input_schema.get("required", []) for tool in tools}
    assert required["get_session"] == ["id"] and required["tool_stats"] == ["tool"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_list_sessions_newest_first_and_filtered(records, transport):
    async def scenario(client):
        return [structured(await client.call_tool("list_sessions", arguments)) for arguments in (
            {"limit": 100},
            {"status": "failed", "limit": 100},
            {"text": "DEPLOY", "limit": 100},
            {"workspace": "03_failing", "limit": 100},
            {"day": "2026-11-21", "limit": 100},
        )]
    everything, failed, deploy, workspace, day = drive(records.config, transport, scenario)
    expected = records.rows("SELECT id, status, task, llm_calls, tool_calls FROM agent_sessions "
                            "ORDER BY started_at DESC, id DESC")
    assert everything["total"] == len(expected) == 29
    assert [(s["id"], s["status"], s["llm_calls"], s["tool_calls"]) for s in everything["sessions"]] == [
        (row["id"], row["status"], row["llm_calls"], row["tool_calls"]) for row in expected]
    assert "next_cursor" not in everything
    assert [s["id"] for s in failed["sessions"]] == [row["id"] for row in expected if row["status"] == "failed"]
    assert failed["sessions"] and all(s["status"] == "failed" for s in failed["sessions"])
    assert [s["id"] for s in deploy["sessions"]] == [
        row["id"] for row in expected if "deploy" in (row["task"] or "").lower()]
    assert len(deploy["sessions"]) == 7
    assert [s["id"] for s in workspace["sessions"]] == [
        row["id"] for row in records.rows("SELECT id FROM agent_sessions WHERE workspace LIKE '%03_failing%'")]
    assert len(workspace["sessions"]) == 1
    assert [s["id"] for s in day["sessions"]] == [row["id"] for row in records.rows(
        "SELECT id FROM agent_sessions WHERE started_at >= '2026-11-21' AND started_at < '2026-11-22' "
        "ORDER BY started_at DESC, id DESC")]
    # The failed fixture ran out of LLM retries; the list says so.
    exhausted = [s for s in everything["sessions"] if "llm_retries_exhausted" in s["problems"]]
    assert [s["id"] for s in exhausted] == [row["session_id"] for row in records.rows(
        "SELECT session_id FROM session_problems WHERE kind = 'llm_retries_exhausted'")]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_list_sessions_pages_through_everything_once(records, transport):
    async def scenario(client):
        return await every_page(client, "list_sessions", {"limit": 4})
    pages = drive(records.config, transport, scenario)
    expected = [row["id"] for row in records.rows("SELECT id FROM agent_sessions ORDER BY started_at DESC, id DESC")]
    assert len(pages) == 8  # 29 sessions, 4 a page
    assert all(len(page["sessions"]) == 4 for page in pages[:-1]) and len(pages[-1]["sessions"]) == 1
    assert [s["id"] for page in pages for s in page["sessions"]] == expected
    assert {page["total"] for page in pages} == {29}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_get_session_has_its_steps_errors_and_problems_in_order(records, transport):
    sessions = records.rows("SELECT id FROM agent_sessions ORDER BY started_at, id")

    async def scenario(client):
        return [structured(await client.call_tool("get_session", {"id": s["id"], "limit": 100})) for s in sessions]
    answers = drive(records.config, transport, scenario)
    for session, answer in zip(sessions, answers):
        sid = session["id"]
        calls = records.rows("SELECT id, model, status, latency_ms FROM llm_calls WHERE session_id = ? "
                             "ORDER BY seq", sid)
        assert answer["session"]["id"] == sid
        assert answer["steps_total"] == len(calls) and "next_cursor" not in answer
        assert [step["call"]["id"] for step in answer["steps"]] == [call["id"] for call in calls]
        assert [step["call"].get("latency_ms") for step in answer["steps"]] == [call["latency_ms"] for call in calls]
        for step in answer["steps"]:
            tools = records.rows("SELECT id, tool_name, success FROM tool_executions WHERE llm_call_id = ? "
                                 "ORDER BY started_at, id", step["call"]["id"])
            assert [(t["id"], t["name"], t["success"]) for t in step["tools"]] == [
                (t["id"], t["tool_name"], bool(t["success"])) for t in tools]
        errors = records.rows("SELECT id, message FROM agent_errors WHERE session_id = ? ORDER BY occurred_at, id", sid)
        assert [(e["id"], e["message"]) for e in answer["errors"]] == [(e["id"], e["message"]) for e in errors]
        assert answer["errors_total"] == len(errors)
        kept = records.rows("SELECT kind FROM session_problems WHERE session_id = ? ORDER BY ordinal", sid)
        assert [p["kind"] for p in answer["problems"]] == [p["kind"] for p in kept]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_get_session_cuts_long_texts_and_pages_its_steps(records, transport):
    # Generated run 0: 30 steps, a 12 KB tool output at the fourth.
    long_run = records.rows("SELECT id FROM agent_sessions WHERE task LIKE 'task 0:%'")[0]["id"]
    full = records.rows("SELECT result FROM tool_executions WHERE session_id = ? AND length(result) > 5000",
                        long_run)[0]["result"]

    async def scenario(client):
        return await every_page(client, "get_session", {"id": long_run[:8], "limit": 7, "text_limit": 300})
    pages = drive(records.config, transport, scenario)
    calls = [row["id"] for row in records.rows("SELECT id FROM llm_calls WHERE session_id = ? ORDER BY seq", long_run)]
    assert len(calls) == 31 and len(pages) == 5
    assert [step["call"]["id"] for page in pages for step in page["steps"]] == calls
    results = [run["result"] for page in pages for step in page["steps"] for run in step["tools"] if "result" in run]
    cut = [text for text in results if text.startswith("line 0000")]
    assert cut == [full[:300] + f" […{len(full) - 300} more characters cut]"]
    # A call's input keeps its newest part.
    inputs = records.rows("SELECT input FROM llm_calls WHERE session_id = ? ORDER BY seq", long_run)
    last = pages[-1]["steps"][-1]["call"]["input"]
    tail = inputs[-1]["input"][-300:]
    assert last == f"[{len(inputs[-1]['input']) - 300} earlier characters cut…] " + tail


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_report_is_the_report_command_json(records, transport):
    async def scenario(client):
        return structured(await client.call_tool("report", {"from": "2026-11-01", "to": "2026-12-01", "by": "day"}))
    answer = drive(records.config, transport, scenario)
    command = subprocess.run([str(BINARY), "report", "--config", str(records.config), "--from", "2026-11-01",
                              "--to", "2026-12-01", "--by", "day", "--format", "json"],
                             capture_output=True, text=True, check=True)
    assert answer == json.loads(command.stdout)
    assert answer["sessions"]["total"] == 29
    assert len(answer["problems"]) == 1

    async def capped(client):
        return structured(await client.call_tool("report", {"from": "2026-11-01", "to": "2026-12-01", "problems": 0}))
    answer = drive(records.config, transport, capped)
    assert answer["problems"] == []
    assert "1 problem was found; none is listed" in " ".join(answer["notes"])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_search_errors_groups_by_pattern_with_examples(records, transport):
    async def scenario(client):
        by_text = structured(await client.call_tool("search_errors", {"text": "permission DENIED", "examples": 2}))
        fingerprint = by_text["groups"][0]["fingerprint"]
        by_fingerprint = structured(await client.call_tool("search_errors", {"fingerprint": fingerprint}))
        return by_text, by_fingerprint, await every_page(client, "search_errors", {"source": "tool", "limit": 5})
    by_text, by_fingerprint, pages = drive(records.config, transport, scenario)
    denied = records.rows("SELECT id, session_id, fingerprint FROM agent_errors WHERE message LIKE 'Permission denied%' "
                          "ORDER BY occurred_at DESC, id DESC")
    assert len(denied) == 6
    [group] = by_text["groups"]
    assert (group["count"], group["sessions"], group["tools"]) == (6, 6, ["bash"])
    assert [e["id"] for e in group["examples"]] == [e["id"] for e in denied[:2]]
    assert by_fingerprint["groups"][0]["count"] == 6 and by_fingerprint["total"] == 1
    expected = records.rows("SELECT fingerprint, count(*) AS n FROM agent_errors WHERE source = 'tool' "
                            "GROUP BY source, fingerprint ORDER BY n DESC, max(occurred_at) DESC, fingerprint")
    # Permission denied, six "Unknown subcommand" words and the fixture's missing file.
    assert len(expected) == 8 and len(pages) == 2
    assert [(g["fingerprint"], g["count"]) for page in pages for g in page["groups"]] == [
        (row["fingerprint"], row["n"]) for row in expected]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_tool_stats_counts_and_recent_failures(records, transport):
    async def scenario(client):
        bash = structured(await client.call_tool("tool_stats", {"tool": "bash", "from": "2026-11-01", "failures": 3}))
        missing = structured(await client.call_tool("tool_stats", {"tool": "bsh", "from": "2026-11-01"}))
        return bash, missing
    bash, missing = drive(records.config, transport, scenario)
    runs = records.rows("SELECT success, duration_ms FROM tool_executions WHERE tool_name = 'bash'")
    failures = records.rows("SELECT id, session_id, error FROM tool_executions WHERE tool_name = 'bash' AND success = 0 "
                            "ORDER BY started_at DESC, id DESC LIMIT 3")
    assert bash["calls"] == len(runs) and bash["failures"] == sum(1 for run in runs if not run["success"])
    assert bash["failure_rate"] == round(bash["failures"] / bash["calls"], 4)
    assert bash["max_ms"] == max(run["duration_ms"] for run in runs)
    assert [(f["session_id"], f["run"]["id"], f["run"]["error"]) for f in bash["recent_failures"]] == [
        (f["session_id"], f["id"], f["error"]) for f in failures]
    assert missing["calls"] == 0 and "failure_rate" not in missing
    assert set(missing["other_tools"]) == {row["tool_name"] for row in records.rows(
        "SELECT DISTINCT tool_name FROM tool_executions")}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_bad_arguments_are_invalid_params_that_say_what_was_wrong(records, transport):
    cases = [
        ("list_sessions", {"staus": "failed"}, "there is no argument 'staus' (did you mean 'status'?)"),
        ("list_sessions", {"status": "broken"}, "'status' must be one of running, completed, failed"),
        ("list_sessions", {"limit": "ten"}, "'limit' must be a whole number from 1 to 100; got 'ten'"),
        ("list_sessions", {"limit": 1000}, "'limit' must be from 1 to 100; got 1000"),
        ("list_sessions", {"since": "yesterday"}, "'yesterday' is not a duration"),
        ("list_sessions", {"since": "7d", "day": "2026-11-20"}, "give one of 'since', 'day', 'week' and 'from'"),
        ("list_sessions", {"cursor": "not-a-cursor"}, "'cursor' is not one this server returned"),
        ("get_session", {}, "'id' is required"),
        ("report", {"by": "colour"}, "'by' must be one of day, agent, model"),
        ("report", {"from": "2026-13-45"}, "from '2026-13-45' is not a time"),
        ("search_errors", {"source": "llms"}, "(did you mean 'llm'?)"),
        ("tool_stats", {"tool": 7}, "'tool' must be a string; got 7"),
        ("get_sesion", {"id": "x"}, "there is no tool 'get_sesion' (did you mean 'get_session'?)"),
    ]

    async def scenario(client):
        errors = []
        for name, arguments, _ in cases:
            with pytest.raises(MCPError) as raised:
                await client.call_tool(name, arguments)
            errors.append((raised.value.code, raised.value.message))
        return errors
    for (name, _, expected), (code, message) in zip(cases, drive(records.config, transport, scenario)):
        assert code == INVALID_PARAMS, message
        assert expected in message and name in message, message


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_questions_the_store_cannot_answer_are_tool_errors(records, tmp_path, transport):
    missing = tmp_path / "agenttail.yaml"
    missing.write_text(records.config.read_text().replace(str(records.store), str(tmp_path / "none.sqlite")))

    async def unknown_session(client):
        return await client.call_tool("get_session", {"id": "00000000-0000-0000-0000-000000000000"})

    async def no_store(client):
        return await client.call_tool("list_sessions", {})
    result = drive(records.config, transport, unknown_session)
    assert result.is_error and "no session has the id 00000000-0000-0000-0000-000000000000" in result.content[0].text
    result = drive(missing, transport, no_store)
    assert result.is_error and f"there is no local store at {tmp_path / 'none.sqlite'} yet" in result.content[0].text
    assert not (tmp_path / "none.sqlite").exists()


def test_stdout_carries_protocol_messages_only_and_the_store_is_untouched(records):
    before = hashlib.sha256(records.store.read_bytes()).hexdigest()
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        *({"jsonrpc": "2.0", "id": 2 + index, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
          for index, (name, arguments) in enumerate([
              ("list_sessions", {}), ("report", {"since": "30d"}), ("search_errors", {}),
              ("tool_stats", {"tool": "bash"}), ("get_session", {"id": "nope"}), ("list_sessions", {"limit": 0})])),
    ]
    # The input ends right after the last request: every request is answered all the same.
    process = subprocess.run([str(BINARY), "mcp", "--config", str(records.config), "--log-level", "debug"],
                             input="".join(json.dumps(m) + "\n" for m in messages), capture_output=True, text=True,
                             timeout=60)
    assert process.returncode == 0, process.stderr
    answers = [json.loads(line) for line in process.stdout.splitlines()]
    assert sorted(answer["id"] for answer in answers) == list(range(1, 8))
    assert all(answer["jsonrpc"] == "2.0" for answer in answers)
    assert "tool call" in process.stderr  # debug logs went to stderr
    assert hashlib.sha256(records.store.read_bytes()).hexdigest() == before


def test_http_listens_on_loopback_only_and_checks_origin(records):
    refused = subprocess.run([str(BINARY), "mcp", "--config", str(records.config), "--http", "0.0.0.0:0"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2
    assert "0.0.0.0 is not a loopback address" in refused.stderr
    with http_server(records.config) as url:
        port = url.split(":")[2].split("/")[0]
        busy = subprocess.run([str(BINARY), "mcp", "--config", str(records.config), "--http", f"127.0.0.1:{port}"],
                              capture_output=True, text=True, timeout=30)
        assert busy.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
        initialize = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        # A page of another site, reaching the loopback port from a browser, is refused.
        request = urllib.request.Request(url, data=initialize, headers=headers | {"Origin": "http://evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused_origin:
            urllib.request.urlopen(request, timeout=10)
        assert refused_origin.value.code == 403
        # A request outside a session that is not an initialize is refused with a reason.
        request = urllib.request.Request(url, data=b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}', headers=headers)
        with pytest.raises(urllib.error.HTTPError) as no_session:
            urllib.request.urlopen(request, timeout=10)
        assert no_session.value.code == 400 and b"must be an initialize request" in no_session.value.read()
