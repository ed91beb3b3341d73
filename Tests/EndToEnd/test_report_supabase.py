"""`agenttail report --source supabase`: the same JSON as `--source local` on the same rows, read through the
PostgREST-compatible server with a read key under row-level security, page by page."""
import json
import sqlite3
import time

import pytest

from stack import SECRET, Server, Workspace
from postgrest_emulator import make_jwt

PERIOD = ["--from", "2025-01-01", "--to", "2026-12-01"]


def read_key(role="authenticated"):
    now = int(time.time())
    return make_jwt(SECRET, {"role": role, "iss": "supabase", "sub": "reader", "iat": now, "exp": now + 3600})


@pytest.fixture
def shipped(tmp_path, database, admin):
    """Both agents' fixtures shipped to the local store and to Supabase by one run; a server that answers at most
    7 rows a request, so that every table is read in several pages."""
    server = Server(database, max_rows=7)
    # A team member's credentials: the project's publishable key and their own token, under row-level security.
    workspace = Workspace(tmp_path, server, claude_code=True, env={
        "SUPABASE_PUBLISHABLE_KEY": server.sb_publishable_key, "SUPABASE_ACCESS_TOKEN": read_key()})
    workspace.config.write_text(workspace.config.read_text() + """
report:
  supabase:
    url: ${SUPABASE_URL}
    api_key: ${SUPABASE_PUBLISHABLE_KEY}
    access_token: ${SUPABASE_ACCESS_TOKEN}
""")
    workspace.add_fixtures()
    workspace.add_claude_code_fixtures()
    workspace.run("run", "--once")
    # What tool runs used, as if they had been measured live, the same on both sides.
    figures = "peak_rss_bytes = 1000000 * (length(tool_name) * 7 % 13 + 1), cpu_ms = length(tool_name) * 11"
    with sqlite3.connect(workspace.store) as connection:
        connection.execute(f"update tool_executions set {figures}")
    with admin.cursor() as cursor:
        cursor.execute(f"update tool_executions set {figures}")
    yield workspace
    server.stop()


def report_json(workspace, source, *arguments):
    result = workspace.run("report", "--source", source, *PERIOD, "--format", "json", *arguments)
    report = json.loads(result.stdout)
    assert report.pop("source") == source
    return report


@pytest.mark.parametrize("dimension", [None, "day", "agent", "model", "workspace", "branch", "host"])
def test_supabase_report_equals_the_local_one(shipped, dimension):
    arguments = ["--by", dimension] if dimension else []
    local = report_json(shipped, "local", *arguments)
    remote = report_json(shipped, "supabase", *arguments)
    assert local["sessions"]["total"] > 5 and local["llm_calls"]["total"] > 10
    assert all(tool["p95_peak_rss_bytes"] > 0 and "p50_cpu_ms" in tool for tool in local["tools"])
    assert remote == local


def test_credentials_that_may_not_read_are_told_what_to_give(shipped):
    # An anonymous visitor's token: row-level security lets it read nothing.
    shipped.env["SUPABASE_ACCESS_TOKEN"] = read_key("anon")
    result = shipped.run("report", "--source", "supabase", *PERIOD, check=False)
    assert result.returncode == 1
    assert "Supabase refused to let these credentials read agent_sessions" in result.stderr
    assert "report.supabase.api_key" in result.stderr
    assert shipped.env["SUPABASE_ACCESS_TOKEN"] not in result.stderr
    assert shipped.env["SUPABASE_PUBLISHABLE_KEY"] not in result.stderr


def test_the_sinks_own_key_reads_too(shipped):
    config = shipped.config.read_text()
    shipped.config.write_text(config[:config.index("report:")])
    local = report_json(shipped, "local")
    assert report_json(shipped, "supabase") == local
