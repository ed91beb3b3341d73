"""Helpers for the file fault tests: Mini-Agent logs written byte by byte, a workspace with only the local sink,
a live `agenttail run` whose stderr goes to a file, and rows compared with a clean reference run.

Event ids are derived from the file's device, inode and first bytes, so two runs over the same text in different
folders give different ids. Rows are therefore compared by label: a session by its file name, start and task, every
other row by its session, table, byte offset and source. Id columns are replaced by the label of the row they name,
the log folder by `<logs>`, and `file_key` is dropped from the metadata.
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from faults import MiniAgentLog
from stack import BINARY, TABLES

SYSTEM = {"role": "system", "content": "You are a careful coding assistant working inside a sandboxed workspace. "
                                      "Prefer small, verifiable steps and report what you changed."}
NOBODY = 65534


@dataclass
class RunLog:
    """A Mini-Agent run log built entry by entry; `offsets` holds the byte offset of each record's first line."""

    start: datetime
    data: bytearray = field(default_factory=bytearray)
    offsets: list = field(default_factory=list)
    writer: MiniAgentLog | None = None

    def __post_init__(self):
        self.writer = MiniAgentLog(self.start)
        self.data += self.writer.header().encode()

    def entry(self, kind: str, label: str, body, advance_ms: int = 40) -> int:
        """Appends one entry exactly as Mini-Agent writes it (a bytes body as it is); returns the record's offset."""
        head = self.writer.head(kind, label, advance_ms).encode()
        text = body if isinstance(body, bytes) else json.dumps(body, indent=2, ensure_ascii=False).encode()
        offset = len(self.data) + 1
        self.data += head + text + b"\n"
        self.offsets.append(offset)
        return offset

    def request(self, task: str, history: int = 0) -> int:
        """An LLM request: the system prompt, the task, and `history` earlier assistant messages."""
        messages = [SYSTEM, {"role": "user", "content": task}]
        messages += [{"role": "assistant", "content": f"step {n}"} for n in range(history)]
        return self.entry("REQUEST", "LLM Request:", {"messages": messages, "tools": ["bash", "read_file"]}, 1)

    def response(self, content: str, calls: list | None = None) -> int:
        """An LLM response asking for the bash `calls`, or the final answer when there are none."""
        body = {"content": content, "finish_reason": "tool_use" if calls else "end_turn"}
        if calls:
            body["tool_calls"] = [{"id": f"call_{command}", "type": "function",
                                   "function": {"name": "bash", "arguments": {"command": command}}}
                                  for command in calls]
        return self.entry("RESPONSE", "LLM Response:", body)

    def tool_result(self, command: str, output: str, success: bool = True) -> int:
        """The result of one bash command."""
        body = {"tool_name": "bash", "arguments": {"command": command}, "success": success,
                "result" if success else "error": output}
        return self.entry("TOOL_RESULT", "Tool Execution:", body, 5)

    def step(self, task: str, number: int, padding: int = 0) -> None:
        """One request, a response asking for one bash command, and its result (`padding` more bytes of output)."""
        self.request(task, history=number)
        self.response(f"step {number} of {task}", [f"echo {number}"])
        self.tool_result(f"echo {number}", f"{number}\n" + "z" * padding)

    def finish(self, task: str, steps: int) -> None:
        """The last request and the final answer, which completes the run."""
        self.request(task, history=steps)
        self.response(f"{task}: done")

    def raw(self, data: bytes) -> int:
        """Appends bytes as they are; returns their offset."""
        offset = len(self.data)
        self.data += data
        return offset


def complete_run(task: str, start: datetime, steps: int = 2, padding: int = 0) -> RunLog:
    """A finished run: `steps` tool steps, then the final answer."""
    log = RunLog(start)
    for number in range(steps):
        log.step(task, number, padding)
    log.finish(task, steps)
    return log


def append(path: Path, data: bytes) -> None:
    """Appends with one write call, as a logger does."""
    with open(path, "ab") as handle:
        handle.write(data)


@dataclass
class LogFile:
    """What a log file should mean: its final name, its bytes, and whether its session must come out concluded
    (abandoned or failed after silence) rather than still running or completed."""

    name: str
    data: bytes
    concluded: bool = False


class LocalWorkspace:
    """A log folder, a state file and a local store, with a config that uses only the local sink."""

    def __init__(self, root: Path, logs: Path | None = None, state: Path | None = None,
                 store: Path | None = None, session_timeout: str = "1h", tailing: str = "", user: int | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.logs = logs or root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.state = state or root / "state.sqlite"
        self.store = store or root / "events.sqlite"
        self.config = root / "agenttail.yaml"
        self.stderr_path = root / "agenttail.stderr"
        self.user = user
        self.process = None
        self.config.write_text(f"""sources:
  - name: mini-agent
    paths: ["{self.logs / 'agent_run_*.log'}"]
    session_timeout: {session_timeout}
state:
  path: {self.state}
{tailing}
sinks:
  local:
    path: {self.store}
""")

    def command(self, *arguments) -> list:
        """The agenttail command line, run as `user` when one was given."""
        prefix = [] if self.user is None else [
            "setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--clear-groups"]
        return [*prefix, str(BINARY), *arguments, "--config", str(self.config)]

    def run(self, *arguments, timeout: float = 120) -> subprocess.CompletedProcess:
        """Runs an agenttail command to its end."""
        return subprocess.run(self.command(*arguments), capture_output=True, text=True, timeout=timeout,
                              errors="replace")

    def once(self) -> subprocess.CompletedProcess:
        """`run --once`, which must exit 0."""
        result = self.run("run", "--once", "--log-level", "warning")
        assert result.returncode == 0, f"run --once exited {result.returncode}: {result.stderr}"
        return result

    def start(self) -> None:
        """Starts `agenttail run`; its stderr goes to a file, so a chatty run never blocks on a full pipe."""
        self.stderr_file = open(self.stderr_path, "w")
        self.process = subprocess.Popen(self.command("run", "--log-level", "notice"), stdout=subprocess.DEVNULL,
                                        stderr=self.stderr_file)

    def stderr(self) -> str:
        """What the live run wrote to stderr so far."""
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def assert_alive(self, doing: str) -> None:
        assert self.process.poll() is None, \
            f"agenttail exited with {self.process.returncode} while {doing}; stderr:\n{self.stderr()}"

    def stop(self) -> str:
        """SIGTERM: agenttail must exit 0 within 5 seconds. Returns its stderr."""
        self.assert_alive("running")
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"agenttail did not stop within 5 s of SIGTERM; stderr:\n{self.stderr()}")
        finally:
            self.stderr_file.close()
        assert code == 0, f"agenttail exited {code} after SIGTERM; stderr:\n{self.stderr()}"
        return self.stderr()

    def kill(self) -> None:
        """Ends a run that a failed test left behind."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()
            self.stderr_file.close()

    @contextmanager
    def frozen(self):
        """Holds the running agenttail with SIGSTOP, so that everything done meanwhile reaches it as one change."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def error_lines(self) -> list:
        """Lines agenttail logged at level error or critical."""
        return [line for line in self.stderr().splitlines() if re.match(r"\S+ (error|critical) ", line)]

    def raw_rows(self) -> dict:
        """Every row of the local store by table; empty while the store does not exist yet."""
        if not self.store.exists():
            return {table: [] for table in TABLES}
        connection = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=10)
        connection.row_factory = sqlite3.Row
        try:
            names = {row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")}
            return {table: [dict(row) for row in connection.execute(f"select * from {table} order by id")]
                    if table in names else [] for table in TABLES}
        finally:
            connection.close()

    def query(self, sql: str) -> list:
        """Rows of a query on the local store (empty while it has no tables), without loading whole tables."""
        return read_only_query(self.store, sql)

    def rows(self) -> dict:
        """The store's rows by label (see the module docstring)."""
        return labelled(self.raw_rows(), str(self.logs))

    def checkpoint_sizes(self) -> dict:
        """Bytes read so far per tracked path, from the state's checkpoints."""
        return dict(self.state_query("select path, size from files"))

    def outbox_empty(self) -> bool:
        """True when every row agenttail committed has been delivered to the store."""
        return self.state_query("select count(*) from outbox") == [(0,)]

    def state_query(self, sql: str) -> list:
        """Rows of a query on the state (empty while it has no tables)."""
        return read_only_query(self.state, sql)


def read_only_query(database: Path, sql: str) -> list:
    """Rows of a query on a SQLite file opened read-only; empty while the file or its tables do not exist yet."""
    if not database.exists():
        return []
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql).fetchall()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []
        raise
    finally:
        connection.close()


def labelled(tables: dict, logs: str) -> dict:
    """Rows keyed by label, with ids replaced by labels and the log folder by `<logs>`."""
    def local(text):
        return text.replace(logs + "/", "<logs>/") if isinstance(text, str) else text

    labels = {}
    for row in tables["agent_sessions"]:
        labels[row["id"]] = f"session {local(row['source_path'])} {row['started_at']} {row['task']!r}"
    for table in TABLES[1:]:
        for row in tables[table]:
            metadata = json.loads(row["metadata"] or "{}")
            offset = metadata.get("offset", metadata.get("request_offset", metadata.get("response_offset")))
            session = labels.get(row["session_id"], f"unknown session {row['session_id']}")
            kind = f" {row['source']}" if table == "agent_errors" else ""
            labels[row["id"]] = f"{table}{kind} @{offset} in {session}"
    result = {}
    for table in TABLES:
        for row in tables[table]:
            label = labels[row["id"]]
            assert label not in result, f"two rows are the same event under different ids: {label}"
            clean = {}
            for column, value in row.items():
                if column in ("id", "session_id", "llm_call_id", "related_id") and value is not None:
                    value = labels.get(value, f"unknown id {value}")
                elif column == "metadata" and value is not None:
                    metadata = json.loads(value)
                    metadata.pop("file_key", None)
                    value = {key: local(item) for key, item in metadata.items()}
                clean[column] = local(value)
            result[label] = clean
    return result


def reference_rows(root: Path, files: list) -> dict:
    """The rows a clean `run --once` makes of each file alone, in a fresh workspace of its own."""
    result = {}
    for number, log in enumerate(files):
        workspace = LocalWorkspace(root / f"reference-{number}")
        path = workspace.logs / log.name
        path.write_bytes(log.data)
        if log.concluded:
            os.utime(path, (time.time() - 7200, time.time() - 7200))
        workspace.once()
        rows = workspace.rows()
        assert rows, f"the reference run over {log.name} wrote no rows"
        overlap = set(rows) & set(result)
        assert not overlap, f"reference files give rows with the same labels: {sorted(overlap)}"
        result.update(rows)
    return result


def difference(actual: dict, expected: dict) -> str:
    """A readable account of how two labelled row sets differ, empty when they are equal."""
    lines = [f"missing: {label}" for label in sorted(set(expected) - set(actual))]
    lines += [f"unexpected: {label}" for label in sorted(set(actual) - set(expected))]
    for label in sorted(set(actual) & set(expected)):
        for column in sorted(set(actual[label]) | set(expected[label])):
            if actual[label].get(column) != expected[label].get(column):
                lines.append(f"{label}: {column} is {actual[label].get(column)!r}, "
                             f"expected {expected[label].get(column)!r}")
    return "\n".join(lines)


def wait_until(condition, what: str, workspace: LocalWorkspace | None = None, timeout: float = 15):
    """Polls `condition` until it returns something true; fails after `timeout` seconds or if agenttail exits."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if workspace is not None and workspace.process is not None:
            workspace.assert_alive(f"waiting for {what}")
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)


def wait_for_rows(workspace: LocalWorkspace, expected: dict, timeout: float = 15) -> None:
    """Waits until the live store holds exactly `expected`; on timeout, fails with the difference."""
    deadline = time.monotonic() + timeout
    while workspace.rows() != expected:
        if workspace.process is not None:
            workspace.assert_alive("waiting for the expected rows")
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s the store still differs from the reference:\n"
                                 + difference(workspace.rows(), expected))
        time.sleep(0.05)


def assert_rows(workspace: LocalWorkspace, expected: dict, when: str) -> None:
    """The store holds exactly `expected` now."""
    found = workspace.rows()
    assert found == expected, f"{when}, the store differs from the reference:\n" + difference(found, expected)
