"""Memory and CPU of tool runs, measured from outside a live agent: a test agent whose tools allocate, spawn and
burn known amounts, followed by `agenttail run`; the figures stored must match what the agent measured itself."""
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from stack import BINARY, wait_for

AGENT = Path(__file__).resolve().parent / "test_agent.py"
MB = 1 << 20


def follow_agent(tmp_path, plan, command="test_agent.py"):
    """Runs the test agent on `plan` while agenttail follows its log; returns the tool rows, in order, and
    agenttail's log lines."""
    logs = tmp_path / "logs"
    logs.mkdir()
    config = tmp_path / "agenttail.yaml"
    config.write_text(f"""
sources:
  - name: agent
    paths: ["{logs}/*.log"]
    session_timeout: 1h
    process: {{command: {command}}}
state:
  path: {tmp_path}/state.sqlite
sinks:
  local:
    path: {tmp_path}/events.sqlite
""")
    agenttail = subprocess.Popen([str(BINARY), "run", "--config", str(config), "--log-level", "info"],
                                 stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip() for line in agenttail.stderr), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("no file matches" in line for line in lines), 30, lambda: "\n".join(lines))
        (tmp_path / "plan.json").write_text(json.dumps(plan))
        subprocess.run([sys.executable, str(AGENT), str(logs / "agent_run_1.log"), str(tmp_path / "plan.json")],
                       check=True, timeout=120)

        def tools():
            with sqlite3.connect(tmp_path / "events.sqlite") as connection:
                connection.row_factory = sqlite3.Row
                return [dict(row) for row in connection.execute("select * from tool_executions order by started_at")]
        runs = sum(len(step.get("parallel", [step])) for step in plan)
        return wait_for(lambda: (lambda rows: rows if len(rows) == runs else None)(tools()), 30,
                        lambda: "\n".join(lines)), lines
    finally:
        agenttail.terminate()
        assert agenttail.wait(timeout=20) == 0, "\n".join(lines)
        reader.join(timeout=5)


def measured(row):
    return json.loads(row["result"])


def test_memory_cpu_and_children_of_tool_runs_match_what_the_agent_measured(tmp_path):
    plan = [
        {"tool": "allocate", "do": "allocate", "mb": 200, "hold": 0.5},
        {"tool": "spawn", "do": "child", "mb": 120, "burn": 0.5, "hold": 0.5},
        {"tool": "burn", "do": "burn", "seconds": 2.0},
        {"tool": "idle", "do": "idle", "seconds": 0.6},
    ]
    rows, lines = follow_agent(tmp_path, plan)
    allocate, spawn, burn, idle = rows
    assert any("measuring tool runs" in line for line in lines), "\n".join(lines)
    # Memory: the agent's base plus what the tool allocated, within 10% of the allocation.
    base = measured(allocate)["base_rss"]
    assert abs(allocate["peak_rss_bytes"] - (base + 200 * MB)) <= 20 * MB, (allocate["peak_rss_bytes"], base)
    assert allocate["max_processes"] == 1
    # A child that lived for ten sampling periods is seen, with its memory on top of the agent's.
    assert spawn["max_processes"] >= 2
    child_base = measured(spawn)["base_rss"]
    assert spawn["peak_rss_bytes"] >= child_base + 120 * MB * 0.9, (spawn["peak_rss_bytes"], child_base)
    # Its CPU, once it exited and was waited for, counts through the agent's accounting.
    assert abs(spawn["cpu_ms"] - measured(spawn)["cpu_ms"]) <= 0.1 * measured(spawn)["cpu_ms"], \
        (spawn["cpu_ms"], measured(spawn)["cpu_ms"])
    # CPU: within 10% of what the agent measured itself.
    assert abs(burn["cpu_ms"] - measured(burn)["cpu_ms"]) <= 0.1 * measured(burn)["cpu_ms"], \
        (burn["cpu_ms"], measured(burn)["cpu_ms"])
    # A tool that does nothing uses next to nothing.
    assert idle["cpu_ms"] <= 50 and idle["peak_rss_bytes"] <= measured(idle)["base_rss"] + 10 * MB
    assert all(row["io_read_bytes"] is not None and row["io_write_bytes"] is not None for row in rows)
    # The session: the highest memory its tools reached and the CPU they used.
    with sqlite3.connect(tmp_path / "events.sqlite") as connection:
        session = connection.execute("select peak_rss_bytes, cpu_ms from agent_sessions").fetchall()
    assert session == [(max(row["peak_rss_bytes"] for row in rows), sum(row["cpu_ms"] for row in rows))]


def test_parallel_calls_of_one_response_share_its_window(tmp_path):
    plan = [{"parallel": [{"tool": "burn", "do": "burn", "seconds": 0.4},
                          {"tool": "allocate", "do": "allocate", "mb": 100, "hold": 0.3}]}]
    rows, _ = follow_agent(tmp_path, plan)
    burn, allocate = rows
    assert all(json.loads(row["metadata"])["resources_shared"] is True for row in rows)
    # The first result has the window up to its time (less what the agent used before agenttail read the response,
    # some tens of milliseconds); the last has all of it, the second tool's CPU on top.
    assert burn["cpu_ms"] >= measured(burn)["cpu_ms"] * 0.75
    assert allocate["cpu_ms"] - burn["cpu_ms"] >= measured(allocate)["cpu_ms"] * 0.7, (burn, allocate)
    assert allocate["peak_rss_bytes"] >= measured(allocate)["base_rss"] + 90 * MB > burn["peak_rss_bytes"]
    # The session counts the window's CPU once.
    with sqlite3.connect(tmp_path / "events.sqlite") as connection:
        assert connection.execute("select cpu_ms from agent_sessions").fetchone()[0] == allocate["cpu_ms"]


def test_a_backlog_gets_no_figures_never_a_guess(tmp_path):
    """The same runs, read after the agent finished: no window was open while they ran."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (tmp_path / "plan.json").write_text(json.dumps([{"tool": "allocate", "do": "allocate", "mb": 50, "hold": 0.1}]))
    subprocess.run([sys.executable, str(AGENT), str(logs / "agent_run_1.log"), str(tmp_path / "plan.json")],
                   check=True, timeout=60)
    config = tmp_path / "agenttail.yaml"
    config.write_text(f"sources:\n  - name: agent\n    paths: ['{logs}/*.log']\n    process: {{command: test_agent.py}}\n"
                      f"state:\n  path: {tmp_path}/state.sqlite\nsinks:\n  local:\n    path: {tmp_path}/events.sqlite\n")
    subprocess.run([str(BINARY), "run", "--once", "--config", str(config)], check=True, capture_output=True)
    with sqlite3.connect(tmp_path / "events.sqlite") as connection:
        figures = connection.execute(
            "select peak_rss_bytes, cpu_ms, max_processes, io_read_bytes, io_write_bytes from tool_executions").fetchall()
    assert figures == [(None, None, None, None, None)]
    with sqlite3.connect(tmp_path / "events.sqlite") as connection:
        assert connection.execute("select peak_rss_bytes, cpu_ms from agent_sessions").fetchall() == [(None, None)]


def test_without_a_way_to_find_the_agent_it_says_so_and_goes_on(tmp_path):
    rows, lines = follow_agent(tmp_path, [{"tool": "idle", "do": "idle", "seconds": 0.2}], command="no-such-agent")
    assert rows[0]["peak_rss_bytes"] is None and rows[0]["cpu_ms"] is None
    told = [line for line in lines if "get no memory or CPU figures" in line]
    assert len(told) == 1 and "no-such-agent" in told[0]
