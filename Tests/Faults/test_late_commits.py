"""A request whose answer was lost but which the server committed later must not undo what came after it."""
from datetime import datetime

from faults import MiniAgentLog, wait_for, wait_until_answered
from stack import Workspace, postgres_rows


def test_late_commit_of_an_older_session_row_leaves_the_newer_one(tmp_path, admin, server):
    workspace = Workspace(tmp_path, server)
    log = MiniAgentLog(datetime(2026, 11, 26, 10))
    system = {"role": "system", "content": "You are careful. " * 30}
    (workspace.logs / "agent_run_20261126_100000.log").write_text(
        log.header() + log.request([system, {"role": "user", "content": "list"}])
        + log.response("looking", None, [("c1", "bash", {"command": "ls"})])
        + log.tool_result("bash", {"command": "ls"}, True, "a.txt"))
    # The first request outlives the sink's 2 s timeout, and the server commits it anyway, after the rest.
    server.faults(delay_ratio=1.0, delay_seconds=2.5, delay_commits=True)
    process = workspace.start("--log-level", "error")
    try:
        wait_for(lambda: server.requests()["count"] >= 1, 20, "agenttail sent nothing")
        server.faults()
        with open(workspace.logs / "agent_run_20261126_100000.log", "a") as file:
            file.write(log.request([system]) + log.response("done"))
        wait_for(lambda: [row["status"] for row in postgres_rows(admin, "agent_sessions")] == ["completed"], 30,
                 lambda: f"session never completed: {postgres_rows(admin, 'agent_sessions')}")
        wait_until_answered(server)
    finally:
        process.terminate()
        process.wait(timeout=30)
    remote = postgres_rows(admin, "agent_sessions")
    local = workspace.local_rows("agent_sessions")
    assert [(row["status"], row["revision"]) for row in remote] == [(row["status"], row["revision"]) for row in local]
    assert remote[0]["status"] == "completed"
