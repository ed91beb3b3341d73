"""Helpers shared by the fault suite: Mini-Agent logs written piece by piece from a seed, the agenttail process and
its status, the test servers' in-flight requests, the clean reference run, and the comparison of the local store,
PostgreSQL and Langfuse against that reference."""
import json
import operator
import os
import random
import signal
import sqlite3
import subprocess
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from stack import TABLES, Workspace, assert_same_rows, postgres_rows, same_value, wait_for  # noqa: F401

# UUID.agentTailNamespace (Sources/AgentTail/Support/UUID+Name.swift): every id agenttail derives is a UUIDv5 in it.
AGENTTAIL_NAMESPACE = uuid.UUID("6F1C2A0E-3B7D-5E39-9A43-2B8C7D1E0F55")
# A file is given its key (part of every id) once it holds this many bytes (FileIdentity.fingerprintLimit).
FINGERPRINT_BYTES = 512
# The tool whose spans the Langfuse test server refuses (reject_span_names) when a test wants dead letters.
from mini_agent_log import POISONED_TOOL, TOOLS, MiniAgentLog  # noqa: E402,F401


def fault_seed() -> int:
    """The seed of this test: AGENTTAIL_FAULT_SEED when set (to replay a failure), else a fresh one. Printed, so
    that pytest shows it with the output of a failing test."""
    seed = int(os.environ.get("AGENTTAIL_FAULT_SEED") or random.randrange(1, 1_000_000))
    print(f"\nfault seed {seed} (replay with AGENTTAIL_FAULT_SEED={seed})")
    return seed


# ---------------------------------------------------------------------------------------------------------------------
# Mini-Agent logs


def filler(rng: random.Random, size: int) -> str:
    """`size` characters of tool output, with some non-ASCII text so that pieces may split a character's bytes."""
    words = ["ok", "file", "ünïcødé", "línea", "✓", "数据", "line\n", "error:", "path/to/x.py", "{\"k\": 1}"]
    text = []
    length = 0
    while length < size:
        word = rng.choice(words)
        text.append(word)
        length += len(word) + 1
    return " ".join(text)[:size]


def stray_text(rng: random.Random) -> str:
    """Lines between two entries that belong to no record (a traceback the agent printed): a parser error."""
    lines = ["Traceback (most recent call last):", '  File "agent.py", line 212, in run',
             "    result = tool.execute(**arguments)", f"KeyError: 'key_{rng.randrange(1000)}'"]
    return "\n".join(lines[:rng.randint(1, len(lines))]) + "\n"


@dataclass
class RunPlan:
    """What one agent run writes: its file name and its texts in file order, the header first."""
    name: str
    texts: list[str] = field(default_factory=list)


def agent_run(rng: random.Random, name: str, index: int, steps: int, output_size: tuple[int, int],
              poisoned_ratio: float = 0.0) -> RunPlan:
    """A complete run: `steps` steps of request, response with 1-3 tool calls (some failing, some with thinking),
    one result per call, sometimes stray text between entries; then the final answer, which completes the session.
    `poisoned_ratio` of the tool calls use POISONED_TOOL."""
    log = MiniAgentLog(datetime(2026, 11, 26, 10, 0, 0) + timedelta(minutes=index))
    system = {"role": "system", "content": "You are a careful coding assistant working in a sandbox. " * 8}
    user = {"role": "user", "content": f"task {index}: tidy the repository ✓ ünïcødé"}
    history = []
    plan = RunPlan(name, [log.header()])
    for step in range(steps):
        plan.texts.append(log.request([system, user] + history[-4:], advance_ms=rng.randint(1, 50)))
        calls = []
        for number in range(rng.randint(1, 3)):
            tool = POISONED_TOOL if rng.random() < poisoned_ratio else rng.choice(TOOLS)
            calls.append((f"call_{index}_{step}_{number}", tool, {"command": f"echo {step} {number}"}))
        thinking = filler(rng, rng.randint(10, 200)) if rng.random() < 0.5 else None
        plan.texts.append(log.response(f"step {step}", thinking, calls, advance_ms=rng.randint(20, 2000)))
        history.append({"role": "assistant", "content": f"step {step}"})
        for call_id, tool, arguments in calls:
            output = filler(rng, rng.randint(*output_size))
            plan.texts.append(log.tool_result(tool, arguments, rng.random() > 0.2, output, rng.randint(1, 300)))
            history.append({"role": "tool", "content": output[:200], "tool_call_id": call_id})
            if rng.random() < 0.1:
                plan.texts.append(stray_text(rng))
    plan.texts.append(log.request([system, user] + history[-4:]))
    plan.texts.append(log.response(f"finished task {index}", advance_ms=rng.randint(20, 2000)))
    return plan


@dataclass(frozen=True)
class Piece:
    """Bytes one write() call appends to a log file."""
    name: str
    data: bytes


def pieces_of(rng: random.Random, plan: RunPlan) -> list[Piece]:
    """The run's bytes cut at random points, up to 4 writes per text, as a buffered writer would flush them (a cut
    may fall inside a multi-byte character). The first write holds at least FINGERPRINT_BYTES, as Mini-Agent writes
    the header and the first request together, so the file's key never depends on when agenttail first saw it."""
    data = "".join(plan.texts).encode()
    first = len(plan.texts[0].encode()) + len(plan.texts[1].encode())
    cuts = {rng.randint(FINGERPRINT_BYTES, first)}
    position = first
    for text in plan.texts[2:]:
        size = len(text.encode())
        cuts.update(position + rng.randint(1, size) for _ in range(rng.randint(0, 3)))
        position += size
        cuts.add(position)
    bounds = [0] + sorted(cut for cut in cuts if 0 < cut < len(data)) + [len(data)]
    return [Piece(plan.name, data[start:end]) for start, end in zip(bounds, bounds[1:])]


def interleave(rng: random.Random, queues: list[list[Piece]]) -> list[Piece]:
    """Merges the files' pieces in a random order that keeps each file's own order, as agents running side by
    side write them."""
    queues = [list(queue) for queue in queues]
    order = []
    while any(queues):
        queue = rng.choice([queue for queue in queues if queue])
        order.append(queue.pop(0))
    return order


def write_plan(seed: int, files: int, steps: int, prefix: str = "", output_size=(20, 1500),
               poisoned_ratio: float = 0.0) -> list[Piece]:
    """Pieces of `files` runs written side by side; the same arguments always give the same bytes and order."""
    rng = random.Random(seed)
    plans = [agent_run(rng, f"agent_run_20261126_{prefix}{index:04d}.log", index, steps, output_size, poisoned_ratio)
             for index in range(files)]
    return interleave(rng, [pieces_of(rng, plan) for plan in plans])


def append(logs: Path, piece: Piece) -> None:
    """Appends the piece with one write() call."""
    descriptor = os.open(logs / piece.name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        assert os.write(descriptor, piece.data) == len(piece.data), f"short write to {piece.name}"
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------------------------------------------------------------
# Workspaces and the agenttail process


def supabase_and_langfuse(langfuse, batch_size: int = 500, batch_spans: int = 500) -> str:
    """The sinks section with both remote sinks (the local store is always on in a Workspace); credentials come from
    the environment the Workspace passes (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, LANGFUSE_SECRET_KEY)."""
    supabase = "\n".join(["  supabase:", "    url: ${SUPABASE_URL}",
                          "    service_role_key: ${SUPABASE_SERVICE_ROLE_KEY}", f"    batch_size: {batch_size}",
                          "    timeout: 2s"])
    return supabase + "\n" + langfuse.sinks(batch_spans=batch_spans)


def both_sinks_workspace(root: Path, server, langfuse, outbox_limit: int | None = None, **batches) -> Workspace:
    """A workspace shipping to the local store, Supabase and Langfuse, with an optional `state.outbox_limit`."""
    workspace = Workspace(root, server, sinks=supabase_and_langfuse(langfuse, **batches),
                          env={"LANGFUSE_SECRET_KEY": langfuse.secret_key})
    if outbox_limit is not None:
        config = workspace.config.read_text()
        workspace.config.write_text(config.replace("state:\n", f"state:\n  outbox_limit: {outbox_limit}\n", 1))
    return workspace


def kill(process: subprocess.Popen) -> None:
    """SIGKILLs a running `agenttail run` and reaps it; fails if it had exited by itself."""
    early = process.poll()
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=30)
    assert early is None and process.returncode == -signal.SIGKILL, \
        f"agenttail exited by itself with {process.returncode} before the kill: {stderr}"


def status(workspace: Workspace) -> dict | None:
    """`agenttail status --json` as a dict, or None before the first run created the state."""
    result = workspace.run("status", "--json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def outbox_depth(report: dict) -> int:
    """Rows in the outbox: the depth of the sink furthest behind (rows leave once every sink has them)."""
    return max(sink["outbox_depth"] for sink in report["sinks"])


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS from /proc/PID/status), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def in_flight(server) -> int:
    """Requests a test server received but has not answered, dropped or seen abandoned yet (delayed ones)."""
    counts = server.requests()
    return counts["count"] - sum(counts["statuses"].values()) - counts["dropped"] - counts.get("abandoned", 0)


def wait_until_answered(*servers, timeout: float = 30) -> None:
    """Waits until no request is in flight at any of the servers, so that no late commit can follow."""
    for server in servers:
        wait_for(lambda: in_flight(server) == 0, timeout, lambda: f"requests still in flight: {server.requests()}")


# ---------------------------------------------------------------------------------------------------------------------
# The clean reference and the comparisons


def reference_run(root: Path, logs: Path, server) -> Workspace:
    """A fresh workspace (new state, new store, the local store alone) over the same log files, run once.

    The very files, not copies: a file's key, part of every row id, is made of its device, inode and first bytes
    (FileIdentity.key), so copies would give other ids."""
    reference = Workspace(root, server, sinks="  # the local store only")
    reference.config.write_text(reference.config.read_text().replace(f'"{reference.logs}/*.log"', f'"{logs}/*.log"'))
    reference.run("run", "--once", "--log-level", "error")
    return reference


def store_rows(workspace: Workspace) -> dict:
    """Every table of the local store as {id: row}, all columns."""
    return {table: {row["id"]: row for row in workspace.local_rows(table)} for table in TABLES}


@dataclass
class Comparison:
    """How one copy of the rows differs from the expected ones, by (table, id)."""
    checked: int = 0
    lost: list = field(default_factory=list)
    duplicated: list = field(default_factory=list)
    changed: list = field(default_factory=list)

    def describe(self, limit: int = 5) -> str:
        """The counts, with the first `limit` rows of each kind."""
        return (f"lost {len(self.lost)} {self.lost[:limit]}, duplicated {len(self.duplicated)} "
                f"{self.duplicated[:limit]}, changed {len(self.changed)} {self.changed[:limit]}")


def compare_rows(actual: dict, expected: dict, same=operator.eq) -> Comparison:
    """Row by row, all columns, both as {table: {id: row}}: `lost` are expected rows missing, `duplicated` rows no
    clean run makes (a record stored again under another id), `changed` rows with a column that differs (the first
    one is given). `same(actual value, expected value)` compares values."""
    comparison = Comparison()
    for table in TABLES:
        comparison.checked += len(expected[table])
        comparison.lost += [(table, key) for key in sorted(set(expected[table]) - set(actual[table]))]
        comparison.duplicated += [(table, key) for key in sorted(set(actual[table]) - set(expected[table]))]
        for key in sorted(set(actual[table]) & set(expected[table])):
            row, wanted = actual[table][key], expected[table][key]
            differing = [column for column, value in wanted.items() if not same(row[column], value)]
            if differing:
                comparison.changed.append((table, key, differing[0], row[differing[0]], wanted[differing[0]]))
    return comparison


def postgres_tables(admin) -> dict:
    """Every table in PostgreSQL as {id: row}, all columns."""
    return {table: {str(row["id"]): row for row in postgres_rows(admin, table)} for table in TABLES}


def span_id(row_id: str) -> str:
    """The span id of a row's observation: the row id's first 8 bytes (SpanMapper)."""
    return uuid.UUID(row_id).hex[:16]


def root_span_id(session_id: str) -> str:
    """The id of a session's root span (SpanMapper.rootSpanID)."""
    return uuid.uuid5(AGENTTAIL_NAMESPACE, f"{session_id}|root").hex[:16]


def expected_observations(rows: dict, refused_tools=()) -> set:
    """(trace id, observation id) of every span the Langfuse sink sends for these rows, following SpanMapper: a
    concluded session's root span, every LLM call and tool execution, and an event for each parser error (agent and
    tool errors are no spans: they live on the tool and generation spans). Tools named in `refused_tools` are left
    out (the server refuses them)."""
    expected = set()
    for row in rows["agent_sessions"].values():
        if row["status"] != "running" and row["started_at"]:
            expected.add((uuid.UUID(row["id"]).hex, root_span_id(row["id"])))
    for table in ("llm_calls", "tool_executions"):
        for row in rows[table].values():
            if row["session_id"] and row["started_at"] and row.get("tool_name") not in refused_tools:
                expected.add((uuid.UUID(row["session_id"]).hex, span_id(row["id"])))
    for row in rows["agent_errors"].values():
        if row["source"] == "parser" and row["session_id"] and row["occurred_at"]:
            expected.add((uuid.UUID(row["session_id"]).hex, span_id(row["id"])))
    return expected


def compare_langfuse(store: dict, expected: set) -> Comparison:
    """Which expected observations Langfuse lacks and which it holds that no row explains (resends of one span are
    fine: Langfuse keeps them as one observation, and the server counts changed copies in `changed_resends`)."""
    stored = {(observation["traceId"], observation["id"]) for observation in store["observations"]}
    return Comparison(checked=len(expected), lost=sorted(expected - stored), duplicated=sorted(stored - expected))


@dataclass
class Outcome:
    """How the local store, PostgreSQL and Langfuse compare with the clean run over the same files."""
    local: Comparison
    remote: Comparison
    traces: Comparison
    changed_resends: int

    def figures(self) -> str:
        """The summary: rows of the clean run, events checked in all three places, and what differs."""
        parts = (self.local, self.remote, self.traces)
        return (f"rows checked: {self.local.checked}, events checked: {sum(part.checked for part in parts)}, "
                f"lost: {sum(len(part.lost) for part in parts)}, "
                f"duplicated: {sum(len(part.duplicated) for part in parts)}, "
                f"changed: {sum(len(part.changed) for part in parts)}")

    def check(self, admin, workspace: Workspace) -> None:
        """Fails unless all three hold exactly what the clean run makes; PostgreSQL is then compared with the local
        store column by column."""
        assert self.local.checked > 0, "the clean run produced no rows"
        assert not (self.local.lost or self.local.duplicated or self.local.changed), \
            f"local store vs clean run: {self.local.describe()}"
        assert not (self.remote.lost or self.remote.duplicated or self.remote.changed), \
            f"PostgreSQL vs clean run: {self.remote.describe()}"
        assert_same_rows(admin, workspace)
        assert not (self.traces.lost or self.traces.duplicated), f"Langfuse vs clean run: {self.traces.describe()}"
        assert self.changed_resends == 0, f"{self.changed_resends} spans were sent again with other bytes"


def compare_with_reference(root: Path, workspace: Workspace, admin, server, langfuse, refused_tools=()) -> Outcome:
    """Makes the clean run over the workspace's final files (in `root`) and compares the three destinations with it:
    the local store and PostgreSQL row by row, Langfuse by observation id (`refused_tools` are not expected)."""
    reference = store_rows(reference_run(root, workspace.logs, server))
    store = langfuse.store()
    return Outcome(compare_rows(store_rows(workspace), reference),
                   compare_rows(postgres_tables(admin), reference, same=same_value),
                   compare_langfuse(store, expected_observations(reference, refused_tools)), store["changed_resends"])


def dead_letters(workspace: Workspace, sink: str) -> list[str]:
    """Event ids of the dead letters `sink` holds, in the state database (one entry per dead letter, sorted)."""
    with closing(sqlite3.connect(f"file:{workspace.root / 'state.sqlite'}?mode=ro", uri=True)) as connection:
        return sorted(row[0] for row in connection.execute(
            "select event_id from dead_letters where sink = ?", (sink,)))


def poisoned_rows(rows: dict) -> list[str]:
    """Ids of the tool executions whose spans the Langfuse server refuses, sorted."""
    return sorted(key for key, row in rows["tool_executions"].items() if row["tool_name"] == POISONED_TOOL)
