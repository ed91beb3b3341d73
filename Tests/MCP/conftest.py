"""The MCP suite drives `agenttail mcp` with the official MCP Python client; helpers come from the end-to-end suite."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "EndToEnd"))

import os  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

import pytest  # noqa: E402

from mini_agent_log import MiniAgentLog  # noqa: E402
from stack import BINARY, FIXTURES  # noqa: E402

SYSTEM = {"role": "system", "content": "You are a careful coding assistant working in a sandbox."}
# Twelve error patterns: the first fails in many runs, the others once or twice, so that searches page.
ERRORS = ["Permission denied: /etc/shadow"] + [f"Unknown subcommand {word}" for word in (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo")]
LONG_OUTPUT = "".join(f"line {number:04d} of a long build log\n" for number in range(400))


def generated_run(index: int) -> str:
    """Run `index`: a task, one to three steps of tool calls (some failing), a final answer; run 0 has 30 steps
    and a long tool output."""
    log = MiniAgentLog(datetime(2026, 11, 20, 8, 0, 0) + timedelta(hours=5 * index))
    task = f"task {index}: " + ("deploy the service to staging" if index % 4 == 0 else "tidy the repository")
    user = {"role": "user", "content": task}
    texts = [log.header()]
    history = []
    steps = 30 if index == 0 else 1 + index % 3
    for step in range(steps):
        texts.append(log.request([SYSTEM, user] + history[-4:]))
        failing = step == 0 and index % 2 == 1
        tool = "bash" if step % 2 == 0 else "read_file"
        arguments = {"command": f"make step{step}"} if tool == "bash" else {"path": f"notes/{step}.md"}
        call_id = f"call_{index}_{step}"
        texts.append(log.response(f"step {step}", None, [(call_id, tool, arguments)]))
        if failing:
            error = ERRORS[0] if index % 4 == 1 else ERRORS[(index // 2) % 11 + 1]
            texts.append(log.tool_result(tool, arguments, False, error))
        else:
            output = LONG_OUTPUT if index == 0 and step == 3 else f"ok {step}"
            texts.append(log.tool_result(tool, arguments, True, output))
        history.append({"role": "tool", "content": "ok", "tool_call_id": call_id})
    texts.append(log.request([SYSTEM, user] + history[-4:]))
    texts.append(log.response(f"done with task {index}"))
    return "".join(texts)


class Records:
    """The seeded store, its configuration, and SQL on it for the expected answers."""

    def __init__(self, root):
        self.root = root
        self.config = root / "agenttail.yaml"
        self.store = root / "events.sqlite"

    def rows(self, sql, *arguments):
        with sqlite3.connect(f"file:{self.store}?mode=ro", uri=True) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql, arguments)]


@pytest.fixture(scope="session")
def records(tmp_path_factory):
    """The shared Mini-Agent fixtures and 25 generated runs, read by `run --once` into an embedded store."""
    root = tmp_path_factory.mktemp("mcp")
    logs = root / "logs"
    logs.mkdir()
    for path in FIXTURES.glob("*.log"):
        (logs / path.name).write_bytes(path.read_bytes())
    for index in range(25):
        (logs / f"agent_run_generated_{index:02d}.log").write_text(generated_run(index))
    for path in logs.iterdir():
        os.utime(path, (time.time() - 7200, time.time() - 7200))  # finished runs: silence has concluded them
    records = Records(root)
    records.config.write_text(f"""
sources:
  - name: mini-agent
    paths: ["{logs}/*.log"]
    start_at: beginning
state:
  path: {root}/state.sqlite
sinks:
  local:
    path: {records.store}
""")
    subprocess.run([str(BINARY), "run", "--once", "--config", str(records.config), "--log-level", "error"],
                   check=True, capture_output=True)
    return records
