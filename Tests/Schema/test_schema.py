"""Schema/ applied to a fresh PostgreSQL: the views' numbers on a known data set, and who may read or write."""
import uuid
from decimal import Decimal

import psycopg2
import pytest

TABLES = ["agent_sessions", "llm_calls", "tool_executions", "agent_errors"]
VIEWS = ["agent_performance_daily", "tool_usage_stats", "error_patterns", "daily_summary"]


def uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


@pytest.fixture
def seeded(admin):
    """Six sessions over two UTC days, with their calls, tools and errors. Cleared afterwards."""
    rows = {
        "agent_sessions": [
            # id, agent, status, started_at, duration_ms, llm_calls, tool_calls
            ("s1", "mini-agent", "completed", "2026-11-26 09:00:00+00", 1000, 2, 1),
            ("s2", "mini-agent", "completed", "2026-11-26 10:00:00+00", 3000, 3, 2),
            ("s3", "mini-agent", "failed", "2026-11-26 11:00:00+00", 2000, 2, 1),
            ("s4", "mini-agent", "abandoned", "2026-11-26 12:00:00+00", 4000, 1, 0),
            ("s5", "mini-agent", "running", "2026-11-26 23:59:59+00", 500, 1, 0),
            ("s6", "other-agent", "completed", "2026-11-27 00:00:00+00", 10000, 1, 0),
        ],
    }
    with admin.cursor() as cursor:
        for name, agent, status, started, duration, llm, tools in rows["agent_sessions"]:
            cursor.execute(
                """insert into agent_sessions (id, agent, host, status, started_at, ended_at, duration_ms, llm_calls,
                   tool_calls) values (%s, %s, 'h', %s, %s, %s::timestamptz + make_interval(secs => %s / 1000.0), %s,
                   %s, %s)""",
                (uid(name), agent, status, started, started, duration, duration, llm, tools))
        for index, (session, status, tokens) in enumerate(
                [("s1", "ok", 100), ("s1", "ok", 50), ("s3", "no_response", None), ("s6", "ok", 10)]):
            cursor.execute(
                """insert into llm_calls (id, session_id, seq, started_at, status, prompt_tokens, completion_tokens)
                   values (%s, %s, %s, %s, %s, %s, %s)""",
                (uid(f"c{index}"), uid(session), index + 1,
                 "2026-11-27 00:00:01+00" if session == "s6" else "2026-11-26 09:00:01+00", status, tokens,
                 tokens and tokens // 10))
        for index, (tool, category, duration, success) in enumerate(
                [("bash", "shell", 10, True), ("bash", "shell", 20, False), ("bash", "shell", 30, True),
                 ("bash", "shell", 40, True), ("read_file", "file", 5, False)]):
            cursor.execute(
                """insert into tool_executions (id, session_id, tool_name, category, success, started_at, ended_at,
                   duration_ms) values (%s, %s, %s, %s, %s, %s, %s::timestamptz + make_interval(secs => %s / 1000.0),
                   %s)""",
                (uid(f"t{index}"), uid("s2"), tool, category, success, f"2026-11-26 10:00:0{index}+00",
                 f"2026-11-26 10:00:0{index}+00", duration, duration))
        for index, (session, message, occurred) in enumerate(
                [("s1", "File not found: a.txt", "2026-11-26 09:00:02+00"),
                 ("s2", "File not found: b.txt", "2026-11-26 10:00:02+00"),
                 ("s2", "File not found: c.txt", "2026-11-26 10:00:03+00"),
                 ("s3", "LLM request got no response", "2026-11-26 11:00:05+00")]):
            source = "tool" if message.startswith("File") else "llm"
            fingerprint = "File not found: <path>" if source == "tool" else message
            cursor.execute(
                """insert into agent_errors (id, session_id, source, message, fingerprint, occurred_at)
                   values (%s, %s, %s, %s, %s, %s)""",
                (uid(f"e{index}"), uid(session), source, message, fingerprint, occurred))
    admin.commit()
    yield
    with admin.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"delete from {table}")
    admin.commit()


def fetch(connection, sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def test_agent_performance_daily(seeded, admin):
    rows = fetch(admin, "select * from agent_performance_daily order by day, agent")
    assert len(rows) == 2
    day = rows[0]
    assert str(day["day"]) == "2026-11-26" and day["agent"] == "mini-agent"
    assert (day["sessions"], day["completed"], day["failed"], day["abandoned"], day["running"]) == (5, 2, 1, 1, 1)
    assert day["success_rate"] == Decimal("0.5000")  # 2 completed of 4 finished
    assert day["mean_duration_ms"] == Decimal("2500.0")  # running sessions are left out
    assert day["p95_duration_ms"] == pytest.approx(3850.0)  # 1000, 2000, 3000, 4000
    assert (day["llm_calls"], day["tool_calls"]) == (9, 4)
    other = rows[1]
    assert (str(other["day"]), other["agent"], other["sessions"], other["success_rate"]) == (
        "2026-11-27", "other-agent", 1, Decimal("1.0000"))


def test_tool_usage_stats(seeded, admin):
    rows = {row["tool_name"]: row for row in fetch(admin, "select * from tool_usage_stats")}
    bash = rows["bash"]
    assert (bash["category"], bash["calls"], bash["failures"]) == ("shell", 4, 1)
    assert bash["failure_rate"] == Decimal("0.2500")
    assert bash["p50_duration_ms"] == pytest.approx(25.0)
    assert bash["p95_duration_ms"] == pytest.approx(38.5)
    assert bash["max_duration_ms"] == 40
    assert str(bash["last_used"]) == "2026-11-26 10:00:03.040000+00:00"
    assert (rows["read_file"]["calls"], rows["read_file"]["failure_rate"]) == (1, Decimal("1.0000"))


def test_error_patterns(seeded, admin):
    rows = {row["fingerprint"]: row for row in fetch(admin, "select * from error_patterns")}
    files = rows["File not found: <path>"]
    assert (files["source"], files["occurrences"], files["sessions_affected"]) == ("tool", 3, 2)
    assert str(files["first_seen"]) == "2026-11-26 09:00:02+00:00"
    assert str(files["last_seen"]) == "2026-11-26 10:00:03+00:00"
    assert files["example_message"] == "File not found: c.txt"
    assert rows["LLM request got no response"]["occurrences"] == 1


def test_daily_summary(seeded, admin):
    rows = fetch(admin, "select * from daily_summary order by day")
    assert [str(row["day"]) for row in rows] == ["2026-11-26", "2026-11-27"]
    first = rows[0]
    assert (first["sessions"], first["completed"], first["failed"], first["abandoned"]) == (5, 2, 1, 1)
    assert first["mean_session_ms"] == Decimal("2500.0")
    assert (first["llm_calls"], first["llm_failures"], first["prompt_tokens"], first["completion_tokens"]) == (
        3, 1, 150, 15)
    assert (first["tool_executions"], first["tool_failures"], first["errors"]) == (5, 2, 4)
    second = rows[1]
    assert (second["sessions"], second["llm_calls"], second["tool_executions"], second["errors"]) == (1, 1, 0, 0)


def test_views_count_interrupted_runs_and_sum_cost(admin):
    """An interrupted run is neither a success nor a failure; an interrupted call is no failure; costs add up."""
    with admin.cursor() as cursor:
        for name, status, cost in [("v1", "completed", "0.25"), ("v2", "interrupted", "0.125"), ("v3", "failed", None)]:
            cursor.execute(
                """insert into agent_sessions (id, agent, host, status, started_at, duration_ms, cost_usd)
                   values (%s, 'view-agent', 'h', %s, '2030-01-02 10:00:00+00', 1000, %s)""", (uid(name), status, cost))
        for index, (status, read, cost) in enumerate([("ok", 900, "0.25"), ("interrupted", 100, "0.125"),
                                                      ("no_response", None, None)]):
            cursor.execute(
                """insert into llm_calls (id, session_id, seq, started_at, status, prompt_tokens, cache_read_tokens,
                   cache_creation_tokens, cost_usd) values (%s, %s, 1, '2030-01-02 10:00:01+00', %s, 1000, %s, 10, %s)""",
                (uid(f"vc{index}"), uid(f"v{index + 1}"), status, read, cost))
    admin.commit()
    try:
        [day] = fetch(admin, "select * from agent_performance_daily where agent = 'view-agent'")
        assert (day["sessions"], day["completed"], day["failed"], day["interrupted"]) == (3, 1, 1, 1)
        assert day["success_rate"] == Decimal("0.5000")  # 1 completed of 2 finished, the interrupted one left out
        assert day["cost_usd"] == Decimal("0.375")
        [summary] = fetch(admin, "select * from daily_summary where day = '2030-01-02'")
        assert (summary["interrupted"], summary["llm_calls"], summary["llm_failures"]) == (1, 3, 1)
        assert (summary["prompt_tokens"], summary["cache_read_tokens"], summary["cache_creation_tokens"]) == (
            3000, 1000, 30)
        assert summary["cost_usd"] == Decimal("0.375")
    finally:
        with admin.cursor() as cursor:
            cursor.execute("delete from llm_calls where id = any(%s::uuid[])", ([uid(f"vc{i}") for i in range(3)],))
            cursor.execute("delete from agent_sessions where id = any(%s::uuid[])",
                           ([uid(f"v{i}") for i in range(1, 4)],))
        admin.commit()


@pytest.mark.parametrize("relation", TABLES + VIEWS)
def test_anon_can_neither_read_nor_write(seeded, connect, relation):
    anon = connect("anon")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        fetch(anon, f"select * from {relation}")
    anon.rollback()
    if relation in TABLES:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            with anon.cursor() as cursor:
                cursor.execute(f"insert into {relation} (id) values (%s)", (uid("anon"),))
        anon.rollback()


@pytest.mark.parametrize("relation", TABLES + VIEWS)
def test_authenticated_reads_but_cannot_write(seeded, connect, relation):
    user = connect("authenticated")
    assert len(fetch(user, f"select * from {relation}")) > 0
    user.rollback()
    if relation in TABLES:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            with user.cursor() as cursor:
                cursor.execute(f"insert into {relation} (id) values (%s)", (uid("user"),))
        user.rollback()


def test_service_role_upserts_and_rows_need_no_parent(connect, admin):
    service = connect("service_role")
    orphan = uid("orphan-call")
    with service.cursor() as cursor:
        # A call whose session has not arrived yet is accepted.
        cursor.execute(
            """insert into llm_calls (id, session_id, seq, status) values (%s, %s, 1, 'ok')
               on conflict (id) do update set status = excluded.status""", (orphan, uid("no-such-session")))
        cursor.execute(
            """insert into llm_calls (id, session_id, seq, status) values (%s, %s, 1, 'no_response')
               on conflict (id) do update set status = excluded.status""", (orphan, uid("no-such-session")))
    service.commit()
    assert fetch(admin, "select status from llm_calls where id = %s", (orphan,)) == [{"status": "no_response"}]
    with admin.cursor() as cursor:
        cursor.execute("delete from llm_calls where id = %s", (orphan,))
    admin.commit()


def test_session_rows_only_move_forward(connect, admin):
    """An upsert carrying an older revision (a request committed late) leaves the newer row as it is."""
    service = connect("service_role")
    session = uid("forward-only")
    upsert = """insert into agent_sessions (id, agent, host, status, revision) values (%s, 'a', 'h', %s, %s)
                on conflict (id) do update set status = excluded.status, revision = excluded.revision"""
    with service.cursor() as cursor:
        cursor.execute(upsert, (session, "running", 400))
        cursor.execute(upsert, (session, "completed", 902))
        cursor.execute(upsert, (session, "running", 400))  # the late one
    service.commit()
    assert fetch(admin, "select status, revision from agent_sessions where id = %s", (session,)) == \
        [{"status": "completed", "revision": 902}]
    with service.cursor() as cursor:
        cursor.execute(upsert, (session, "abandoned", 902))  # the same revision again: a replay, applied
        cursor.execute(upsert, (session, "running", 1200))  # the run went on
    service.commit()
    assert fetch(admin, "select status, revision from agent_sessions where id = %s", (session,)) == \
        [{"status": "running", "revision": 1200}]
    with admin.cursor() as cursor:
        cursor.execute("delete from agent_sessions where id = %s", (session,))
    admin.commit()


def test_status_values_are_checked(connect):
    service = connect("service_role")
    with pytest.raises(psycopg2.errors.CheckViolation):
        with service.cursor() as cursor:
            cursor.execute(
                "insert into agent_sessions (id, agent, host, status) values (%s, 'a', 'h', 'exploded')",
                (uid("bad-status"),))
    service.rollback()


def test_views_run_with_the_callers_rights(admin):
    options = fetch(admin, "select relname, reloptions from pg_class where relname = any(%s)", (VIEWS,))
    assert len(options) == 4
    assert all("security_invoker=true" in (row["reloptions"] or []) for row in options)
    rls = fetch(admin, "select relname, relrowsecurity from pg_class where relname = any(%s)", (TABLES,))
    assert all(row["relrowsecurity"] for row in rls)


def test_the_database_grants_the_api_roles_nothing_by_default(admin):
    """As on a project created now: Schema/ holds only because it grants what it exposes, table by table."""
    defaults = fetch(admin, """
        select count(*) as grants from pg_default_acl d, aclexplode(d.defaclacl) a
        join pg_roles r on r.oid = a.grantee
        where r.rolname in ('anon', 'authenticated', 'service_role')""")
    assert defaults == [{"grants": 0}]
    granted = fetch(admin, """
        select table_name, grantee, string_agg(privilege_type, ',' order by privilege_type) as privileges
        from information_schema.role_table_grants
        where table_schema = 'public' and grantee in ('anon', 'authenticated', 'service_role')
        group by table_name, grantee order by table_name, grantee""")
    tables = ["agent_errors", "agent_sessions", "llm_calls", "tool_executions"]
    views = ["agent_performance_daily", "daily_summary", "error_patterns", "tool_usage_stats"]
    expected = sorted([(t, "authenticated", "SELECT") for t in tables + views]
                      + [(t, "service_role", "INSERT,SELECT,UPDATE") for t in tables]
                      + [(v, "service_role", "SELECT") for v in views])
    assert sorted((row["table_name"], row["grantee"], row["privileges"]) for row in granted) == expected


USAGE_COLUMNS = {
    # 20261203000000_agenttail_usage_and_workspace.sql: (table, column) -> type; all nullable (unknown stays null).
    ("llm_calls", "cache_read_tokens"): "integer",
    ("llm_calls", "cache_creation_tokens"): "integer",
    ("llm_calls", "cost_usd"): "numeric(20,9)",
    ("agent_sessions", "workspace"): "text",
    ("agent_sessions", "git_branch"): "text",
    ("agent_sessions", "agent_version"): "text",
    ("agent_sessions", "prompt_tokens"): "bigint",
    ("agent_sessions", "completion_tokens"): "bigint",
    ("agent_sessions", "cache_read_tokens"): "bigint",
    ("agent_sessions", "cache_creation_tokens"): "bigint",
    ("agent_sessions", "cost_usd"): "numeric(20,9)",
}
COUNTED_COLUMNS = [key for key, kind in USAGE_COLUMNS.items() if kind != "text"]
REQUIRED = {"llm_calls": "session_id, seq, status", "agent_sessions": "agent, host, status"}
REQUIRED_VALUES = {"llm_calls": (uid("some-session"), 1, "ok"), "agent_sessions": ("a", "h", "completed")}


def test_usage_and_workspace_columns_exist(admin):
    """Tokens with their cache parts, an exact cost, and where the work happened; none of them required."""
    rows = fetch(admin, """
        select c.relname as table_name, a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type,
               a.attnotnull as not_null
        from pg_attribute a join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
        where c.relname in ('llm_calls', 'agent_sessions') and a.attnum > 0 and not a.attisdropped""")
    found = {(row["table_name"], row["column_name"]): (row["type"], row["not_null"]) for row in rows}
    assert {key: found.get(key) for key in USAGE_COLUMNS} == {key: (kind, False) for key, kind in USAGE_COLUMNS.items()}


@pytest.mark.parametrize("table,column", COUNTED_COLUMNS)
def test_negative_tokens_and_costs_are_refused(connect, table, column):
    service = connect("service_role")
    negative = "-0.000000001" if column == "cost_usd" else "-1"
    with pytest.raises(psycopg2.errors.CheckViolation):
        with service.cursor() as cursor:
            cursor.execute(f"insert into {table} (id, {REQUIRED[table]}, {column}) values (%s, %s, %s, %s, %s)",
                           (uid(f"negative-{table}-{column}"), *REQUIRED_VALUES[table], negative))
    service.rollback()


@pytest.mark.parametrize("table", ["agent_sessions", "llm_calls"])
def test_interrupted_is_a_status_of_sessions_and_calls(connect, table):
    """A run the user stopped and the call it cut; any other new word is still refused."""
    service = connect("service_role")
    columns, values = REQUIRED[table], REQUIRED_VALUES[table][:-1]
    with service.cursor() as cursor:
        cursor.execute(f"insert into {table} (id, {columns}) values (%s, %s, %s, 'interrupted') returning status",
                       (uid(f"interrupted-{table}"), *values))
        assert cursor.fetchall() == [("interrupted",)]
    service.rollback()
    with pytest.raises(psycopg2.errors.CheckViolation):
        with service.cursor() as cursor:
            cursor.execute(f"insert into {table} (id, {columns}) values (%s, %s, %s, 'exploded')",
                           (uid(f"exploded-{table}"), *values))
    service.rollback()


def test_service_role_upserts_usage_and_workspace(connect, admin):
    """The sink's upsert path carries the new columns; costs keep all nine decimals, unknown ones stay null."""
    service = connect("service_role")
    session, call = uid("usage-session"), uid("usage-call")
    upsert_session = """
        insert into agent_sessions (id, agent, host, status, revision, workspace, git_branch, agent_version,
            prompt_tokens, completion_tokens, cache_read_tokens, cache_creation_tokens, cost_usd)
        values (%s, 'claude-code', 'h', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (id) do update set status = excluded.status, revision = excluded.revision,
            workspace = excluded.workspace, git_branch = excluded.git_branch, agent_version = excluded.agent_version,
            prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
            cache_read_tokens = excluded.cache_read_tokens, cache_creation_tokens = excluded.cache_creation_tokens,
            cost_usd = excluded.cost_usd"""
    upsert_call = """
        insert into llm_calls (id, session_id, seq, status, model, prompt_tokens, completion_tokens,
            cache_read_tokens, cache_creation_tokens, cost_usd)
        values (%s, %s, 1, %s, 'claude-sonnet-4-5-20250929', %s, %s, %s, %s, %s)
        on conflict (id) do update set status = excluded.status, prompt_tokens = excluded.prompt_tokens,
            completion_tokens = excluded.completion_tokens, cache_read_tokens = excluded.cache_read_tokens,
            cache_creation_tokens = excluded.cache_creation_tokens, cost_usd = excluded.cost_usd"""
    with service.cursor() as cursor:
        cursor.execute(upsert_session, (session, "running", 1, "/home/jo/code/lanternfish", "main", "2.0.14",
                                        15737, 118, 14210, 1523, None))
        cursor.execute(upsert_call, (call, session, "interrupted", 15737, 118, 14210, 1523, None))
        cursor.execute(upsert_session, (session, "completed", 2, "/home/jo/code/lanternfish", "main", "2.0.14",
                                        31889, 214, 29943, 1935, Decimal("0.019482150")))
        cursor.execute(upsert_call, (call, session, "ok", 15737, 118, 14210, 1523, Decimal("0.011756250")))
    service.commit()
    try:
        assert fetch(admin, """select status, workspace, git_branch, agent_version, prompt_tokens, completion_tokens,
                                      cache_read_tokens, cache_creation_tokens, cost_usd
                               from agent_sessions where id = %s""", (session,)) == [{
            "status": "completed", "workspace": "/home/jo/code/lanternfish", "git_branch": "main",
            "agent_version": "2.0.14", "prompt_tokens": 31889, "completion_tokens": 214, "cache_read_tokens": 29943,
            "cache_creation_tokens": 1935, "cost_usd": Decimal("0.019482150")}]
        assert fetch(admin, """select status, prompt_tokens, completion_tokens, cache_read_tokens,
                                      cache_creation_tokens, cost_usd::text as cost
                               from llm_calls where id = %s""", (call,)) == [{
            "status": "ok", "prompt_tokens": 15737, "completion_tokens": 118, "cache_read_tokens": 14210,
            "cache_creation_tokens": 1523, "cost": "0.011756250"}]
        # A call whose price is unknown keeps a null cost.
        with service.cursor() as cursor:
            cursor.execute(upsert_call, (call, session, "ok", 15737, 118, 14210, 1523, None))
        service.commit()
        assert fetch(admin, "select cost_usd from llm_calls where id = %s", (call,)) == [{"cost_usd": None}]
    finally:
        with admin.cursor() as cursor:
            cursor.execute("delete from llm_calls where id = %s", (call,))
            cursor.execute("delete from agent_sessions where id = %s", (session,))
        admin.commit()


RESOURCE_COLUMNS = {
    # 20261203100000_agenttail_tool_resources.sql: what a tool run used; null when it was not measured.
    "peak_rss_bytes": "bigint", "cpu_ms": "bigint", "max_processes": "integer", "io_read_bytes": "bigint",
    "io_write_bytes": "bigint",
}


def test_tool_resource_columns_exist_and_may_be_null(admin):
    rows = fetch(admin, """
        select a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null
        from pg_attribute a join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
        where c.relname = 'tool_executions' and a.attnum > 0 and not a.attisdropped""")
    found = {row["column_name"]: (row["type"], row["not_null"]) for row in rows}
    assert {column: found.get(column) for column in RESOURCE_COLUMNS} == \
        {column: (kind, False) for column, kind in RESOURCE_COLUMNS.items()}


@pytest.mark.parametrize("column", RESOURCE_COLUMNS)
def test_negative_tool_resources_are_refused(connect, column):
    service = connect("service_role")
    with service.cursor() as cursor:
        cursor.execute(f"insert into tool_executions (id, session_id, tool_name, success, {column}) "
                       "values (%s, %s, 'bash', true, 0)", (uid(f"zero-{column}"), uid("resources-session")))
    with pytest.raises(psycopg2.errors.CheckViolation):
        with service.cursor() as cursor:
            cursor.execute(f"insert into tool_executions (id, session_id, tool_name, success, {column}) "
                           "values (%s, %s, 'bash', true, -1)", (uid(f"negative-{column}"), uid("resources-session")))
    service.rollback()
