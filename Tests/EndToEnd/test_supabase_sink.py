"""agenttail's Supabase sink against a real PostgreSQL (Schema/ applied) behind the PostgREST-compatible server."""
import signal
import time

from postgrest_emulator import make_jwt
from stack import TABLES, Workspace, assert_same_rows, postgres_rows


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
    with admin.cursor() as cursor:
        cursor.execute("""
            create or replace function reject_poison() returns trigger language plpgsql as $$
            begin
                if new.tool_name = 'bash' and new.arguments->>'command' = 'ls -la' then
                    raise exception 'poisoned row';
                end if;
                return new;
            end $$;
            create trigger reject_poison before insert on tool_executions for each row execute function reject_poison();
        """)
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
        with admin.cursor() as cursor:
            cursor.execute("drop trigger reject_poison on tool_executions; drop function reject_poison();")


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
        result = workspace.run("run", "--once", check=False)
        assert result.returncode == 1
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
