"""agenttail's Supabase sink against a real PostgreSQL (Schema/ applied) behind the PostgREST-compatible server."""
import signal
import time
from decimal import Decimal
from pathlib import Path

from postgrest_emulator import make_jwt
from stack import TABLES, Workspace, assert_same_rows, cure, poison, postgres_rows


def test_fixture_logs_arrive_exactly_as_in_the_local_store(workspace, admin, server):
    workspace.add_fixtures()
    workspace.run("run", "--once")
    assert assert_same_rows(admin, workspace) == 4 + 9 + 8 + 2
    requests = server.requests()["count"]
    # A second run sends nothing new and changes nothing.
    workspace.run("run", "--once")
    assert assert_same_rows(admin, workspace) == 23
    assert server.requests()["count"] == requests


def test_claude_code_transcripts_arrive_exactly_as_in_the_local_store(tmp_path, admin, server):
    workspace = Workspace(tmp_path, server, claude_code=True)
    facts = workspace.add_claude_code_fixtures()
    workspace.run("run", "--once")
    calls = sum(len(session["messages"]) for session in facts)
    results = sum(len(session["tool_results"]) for session in facts)
    errors = sum(len(session["api_errors"]) + sum(r["is_error"] for r in session["tool_results"]) for session in facts)
    assert assert_same_rows(admin, workspace) == len(facts) + calls + results + errors
    assert {row["agent"] for row in postgres_rows(admin, "agent_sessions")} == {"claude-code"}
    tokens = sorted((m["model"], m["input_tokens"], m["output_tokens"]) for s in facts for m in s["messages"])
    assert sorted((row["model"], row["prompt_tokens"], row["completion_tokens"])
                  for row in postgres_rows(admin, "llm_calls")) == tokens


def test_claude_code_usage_cost_and_workspace_arrive_in_postgres(tmp_path, admin, server):
    """Cache tokens and exact costs per call and session ($3 / $15 / $0.30 / $3.75 per million for Sonnet 4.5),
    where the work happened, the unpriced model named, and the API error tied to its call."""
    workspace = Workspace(tmp_path, server, claude_code=True)
    facts = workspace.add_claude_code_fixtures()
    workspace.run("run", "--once")
    sessions = {Path(row["source_path"]).name: row for row in postgres_rows(admin, "agent_sessions")}
    calls = postgres_rows(admin, "llm_calls")

    def calls_of(name):
        return sorted((row for row in calls if row["session_id"] == sessions[name]["id"]), key=lambda row: row["seq"])

    first = sessions["01_single_tool.jsonl"]
    # 4×3 + 14210×0.30 + 1523×3.75 + 118×15 = 11756.25 millionths; 7×3 + 15733×0.30 + 412×3.75 + 96×15 = 7725.9.
    assert [(row["model"], row["status"], row["prompt_tokens"], row["completion_tokens"], row["cache_read_tokens"],
             row["cache_creation_tokens"], row["cost_usd"]) for row in calls_of("01_single_tool.jsonl")] == [
        ("claude-sonnet-4-5-20250929", "ok", 15737, 118, 14210, 1523, Decimal("0.011756250")),
        ("claude-sonnet-4-5-20250929", "ok", 16152, 96, 15733, 412, Decimal("0.007725900"))]
    assert {column: first[column] for column in [
        "status", "workspace", "git_branch", "agent_version", "prompt_tokens", "completion_tokens",
        "cache_read_tokens", "cache_creation_tokens", "cost_usd"]} == {
        "status": "completed", "workspace": "/home/jo/code/lanternfish", "git_branch": "main",
        "agent_version": "2.0.14", "prompt_tokens": 15737 + 16152, "completion_tokens": 118 + 96,
        "cache_read_tokens": 14210 + 15733, "cache_creation_tokens": 1523 + 412, "cost_usd": Decimal("0.019482150")}
    assert "unpriced_models" not in first["metadata"]

    # claude-sonnet-4-20250514 has no price: no cost is guessed, the session names the model, tokens still add up.
    unpriced = sessions["02_parallel_tools_and_failure.jsonl"]
    assert [(row["model"], row["cost_usd"]) for row in calls_of("02_parallel_tools_and_failure.jsonl")] == [
        ("claude-sonnet-4-20250514", None)] * 2
    assert (unpriced["cost_usd"], unpriced["metadata"]["unpriced_models"]) == (None, ["claude-sonnet-4-20250514"])
    assert (unpriced["workspace"], unpriced["git_branch"], unpriced["agent_version"]) == (
        "/Users/priya/work/ledgerline", "feat/webhook-retries", "1.0.88")
    assert (unpriced["prompt_tokens"], unpriced["cache_read_tokens"], unpriced["cache_creation_tokens"]) == (
        14090 + 14779, 11876 + 14086, 2210 + 689)

    # The 529 of fixture 04 is an llm error of the call whose request it failed (answered on retry), not a call.
    assert "<synthetic>" not in {row["model"] for row in calls}
    assert len(calls_of("04_multi_turn_api_error.jsonl")) == 5
    errors = [row for row in postgres_rows(admin, "agent_errors") if row["source"] == "llm"]
    assert len(errors) == 1 and errors[0]["message"].startswith("API Error: 529 ")
    error = errors[0]
    assert error["session_id"] == sessions["04_multi_turn_api_error.jsonl"]["id"]
    related = [row for row in calls if row["id"] == error["related_id"]]
    assert [(row["session_id"], row["seq"], row["metadata"]["message_id"]) for row in related] == [
        (error["session_id"], 5, "msg_01Sw7nKq3VbR8xTz5LmC2hPd")]
    assert related[0]["started_at"] <= error["occurred_at"] <= related[0]["ended_at"]

    # Runs the user stopped and the calls they cut arrive as 'interrupted' (expected.json; a call is ok unless said).
    statuses = {s["file"]: [m.get("status", "ok") for m in s["messages"]] for s in facts}
    assert {name: [row["status"] for row in calls_of(name)] for name in statuses} == statuses
    assert "interrupted" in {status for calls_statuses in statuses.values() for status in calls_statuses}
    assert {s["file"]: sessions[s["file"]]["status"] for s in facts if "status" in s} == {
        s["file"]: s["status"] for s in facts if "status" in s}
    cached = {s["file"]: [(m["cache_read_input_tokens"], m["cache_creation_input_tokens"]) for m in s["messages"]]
              for s in facts if all("cache_read_input_tokens" in m for m in s["messages"])}
    assert {name: [(row["cache_read_tokens"], row["cache_creation_tokens"]) for row in calls_of(name)]
            for name in cached} == cached


def test_sigkill_mid_delivery_changes_nothing(tmp_path, admin, server):
    workspace = Workspace(tmp_path, server, batch_size=1)
    workspace.add_fixtures()
    server.faults(delay_ratio=1.0, delay_seconds=0.2, delay_commits=True)
    process = workspace.start()
    deadline = time.time() + 20
    while server.requests()["count"] < 3 and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    server.faults()
    workspace.run("run", "--once")
    assert assert_same_rows(admin, workspace) == 23


def test_flapping_server_still_gets_everything_exactly_once(tmp_path, admin, server):
    workspace = Workspace(tmp_path, server, batch_size=3)
    workspace.add_fixtures()
    # Half of all requests fail: 503s, 429s with Retry-After, connections dropped without an answer, and answers
    # slower than the sink's 2 s timeout although the server commits (the lost-response case).
    server.faults(fail_ratio=0.27, throttle_ratio=0.15, retry_after=0, drop_ratio=0.05, delay_ratio=0.03,
                  delay_seconds=2.5, delay_commits=True, seed=7)
    process = workspace.start("--log-level", "error")
    deadline = time.time() + 90
    while time.time() < deadline:
        assert process.poll() is None, f"agenttail exited early: {process.stderr.read()}"
        result = workspace.run("status", "--json", check=False)
        if '"name":"supabase","outbox_depth":0' in result.stdout.replace(" ", "") and workspace.store.exists():
            if sum(len(postgres_rows(admin, table)) for table in TABLES) == 23:
                break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    counts = server.requests()
    assert counts["statuses"].get("503", 0) > 0 and counts["statuses"].get("429", 0) > 0
    assert counts["dropped"] > 0
    assert assert_same_rows(admin, workspace) == 23


def test_poisoned_row_is_dead_lettered_alone(workspace, admin, server):
    poison(admin)
    try:
        workspace.add_fixtures()
        workspace.run("run", "--once")
        remote = postgres_rows(admin, "tool_executions")
        assert len(remote) == 7
        assert all(not (row["arguments"] or {}).get("command") == "ls -la" for row in remote)
        status = workspace.run("status", "--json")
        assert '"dead_letters":1' in status.stdout.replace(" ", "")
        for table in ["agent_sessions", "llm_calls", "agent_errors"]:
            assert len(postgres_rows(admin, table)) == len(workspace.local_rows(table))
    finally:
        cure(admin)


def test_wrong_key_stops_the_sink_with_one_clear_error_and_local_goes_on(tmp_path, admin, server):
    # A service_role key of another project: its kind is right, the server refuses it.
    other = make_jwt("another-projects-jwt-secret-of-32-characters", {"role": "service_role", "iss": "supabase"})
    workspace = Workspace(tmp_path, server, key=other)
    workspace.add_fixtures()
    result = workspace.run("run", "--once", check=False)
    assert result.returncode == 1
    assert "sink supabase stopped: Supabase refused the legacy service_role key (HTTP 401" in result.stderr
    assert len(workspace.local_rows("llm_calls")) == 9
    assert sum(len(postgres_rows(admin, table)) for table in TABLES) == 0
    status = workspace.run("status")
    assert "supabase  outbox" in status.stdout and "last error: Supabase refused the legacy service_role key" in status.stdout


def secret_key_sinks(batch_size: int = 500) -> str:
    return "\n".join(["  supabase:", "    url: ${SUPABASE_URL}", "    secret_key: ${SUPABASE_SECRET_KEY}",
                      f"    batch_size: {batch_size}", "    timeout: 2s"])


def test_a_secret_key_goes_in_apikey_alone_and_rows_arrive(tmp_path, admin, server):
    workspace = Workspace(tmp_path, server, sinks=secret_key_sinks(),
                          env={"SUPABASE_SECRET_KEY": server.sb_secret_key})
    workspace.add_fixtures()
    assert "accepts rows in them with a secret key (sb_secret_...)" in workspace.run("check").stdout
    before = server.requests()
    workspace.run("run", "--once")
    assert assert_same_rows(admin, workspace) == 4 + 9 + 8 + 2
    after = server.requests()
    assert after["count"] > before["count"] and after["bearer_sb_keys"] == before["bearer_sb_keys"] == 0


def test_a_key_of_the_wrong_kind_is_refused_by_check_and_run(tmp_path, server):
    for value, says in [(server.sb_publishable_key, "publishable key"), (server.anon_key, "JWT for the 'anon' role")]:
        workspace = Workspace(tmp_path / says.replace(" ", "-").replace("'", ""), server, sinks=secret_key_sinks(),
                              env={"SUPABASE_SECRET_KEY": value})
        for command in ["check", "run"]:
            result = workspace.run(command, check=False)
            assert result.returncode == 2, result.stderr
            assert f"{workspace.config}:" in result.stderr and says in result.stderr, result.stderr
            assert "Project Settings → API Keys" in result.stderr
            assert value not in result.stderr + result.stdout


def test_check_reports_what_is_missing(workspace, admin, server):
    assert "exposes all four tables to the Data API and accepts rows in them" in workspace.run("check").stdout
    # A table the migrations did not grant is not exposed: a project created now grants nothing by default.
    with admin.cursor() as cursor:
        cursor.execute("revoke insert on table llm_calls from service_role")
    try:
        result = workspace.run("check", check=False)
        assert result.returncode == 1
        assert "table llm_calls is not exposed to the Data API for the service role" in result.stderr, result.stderr
        assert "Supabase refused" not in result.stderr
    finally:
        with admin.cursor() as cursor:
            cursor.execute("grant insert on table llm_calls to service_role")
    with admin.cursor() as cursor:
        cursor.execute("alter table tool_executions rename to tool_executions_old")
    try:
        result = workspace.run("check", check=False)
        assert result.returncode == 1
        assert "table tool_executions not found: apply Schema/ first" in result.stderr
    finally:
        with admin.cursor() as cursor:
            cursor.execute("alter table tool_executions_old rename to tool_executions")


def test_missing_column_waits_for_the_schema_instead_of_dead_lettering(workspace, admin, server):
    with admin.cursor() as cursor:
        cursor.execute("alter table llm_calls rename column thinking to thoughts")
    try:
        workspace.add_fixtures()
        # The sink is retried for --max-wait without a successful delivery, then given up with every file read.
        result = workspace.run("run", "--once", "--max-wait", "3s", check=False)
        assert result.returncode == 1
        assert "error: sink supabase gave up after 3s without a successful delivery: " in result.stderr
        assert "rows wait in the outbox for the next run (0 delivered)" in result.stderr
        assert "left unread" not in result.stderr
        assert len(workspace.local_rows("llm_calls")) == 9
        assert '"dead_letters":0' in workspace.run("status", "--json").stdout.replace(" ", "")
        assert "lacks a column agenttail writes" in workspace.run("status").stdout
        check = workspace.run("check", check=False)
        assert "table llm_calls does not accept agenttail's rows (HTTP 400 PGRST204" in check.stderr
    finally:
        with admin.cursor() as cursor:
            cursor.execute("alter table llm_calls rename column thoughts to thinking")
    # Once the schema is right again, everything that waited arrives.
    workspace.run("run", "--once")
    assert len(postgres_rows(admin, "llm_calls")) == 9
