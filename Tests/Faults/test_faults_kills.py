"""Fault suite, first half: agenttail killed with SIGKILL over and over while log files grow and both remote sinks
flap, and a long outage of both sinks with a small outbox. Afterwards the local store must equal one clean run over
the final files row by row, PostgreSQL must equal the local store, and Langfuse must hold exactly the expected
observations: nothing lost, nothing twice, nothing changed.

Every test prints its seed; AGENTTAIL_FAULT_SEED=N replays it. AGENTTAIL_SOAK_SECONDS=N turns the kill test into a
soak that goes on killing for N seconds with more files (scripts/soak.sh)."""
import os
import random
import signal
import time

from faults import (POISONED_TOOL, Piece, agent_run, append, both_sinks_workspace, compare_with_reference,
                    dead_letters, fault_seed, in_flight, interleave, kill, outbox_depth, poisoned_rows, rss_kib,
                    status, store_rows, wait_for, wait_until_answered, write_plan)

SOAK_SECONDS = float(os.environ.get("AGENTTAIL_SOAK_SECONDS") or 0)
SHORT_KILLS = 20


def flapping(seed: int) -> dict:
    """Fault settings of a flapping server: 503s, 429s asking for no wait, connections dropped without an answer,
    and answers slower than the sinks' 2 s timeout although the server commits (the answer is lost)."""
    return dict(fail_ratio=0.2, throttle_ratio=0.1, retry_after=0, drop_ratio=0.05, delay_ratio=0.05,
                delay_seconds=2.5, delay_commits=True, seed=seed)


class GrowingLogs:
    """The log files the agents write, handed out piece by piece. When `endless`, a new generation of runs starts
    whenever one is written out, so that writing never stops."""

    def __init__(self, logs, seed: int, files: int, steps: int, endless: bool):
        self.logs, self.seed, self.files, self.steps, self.endless = logs, seed, files, steps, endless
        self.generation = 0
        self.pending = self.plan()
        self.total = len(self.pending)

    def plan(self):
        """The pieces of the current generation (its files have a prefix of their own)."""
        return write_plan(self.seed + self.generation, self.files, self.steps, prefix=f"g{self.generation}_",
                          poisoned_ratio=0.05)

    def write(self, count: int, rng: random.Random) -> None:
        """Appends the next `count` pieces, with a short pause now and then, as agents write at their own pace."""
        for _ in range(count):
            if not self.pending and self.endless:
                self.generation += 1
                self.pending = self.plan()
                self.total += len(self.pending)
            if not self.pending:
                return
            append(self.logs, self.pending.pop(0))
            if rng.random() < 0.2:
                time.sleep(rng.uniform(0, 0.02))

    def write_rest(self) -> None:
        """Appends everything not written yet: every run ends with its final answer."""
        for piece in self.pending:
            append(self.logs, piece)
        self.pending = []


def requests_seen(servers) -> int:
    """Requests the servers received so far, all together."""
    return sum(server.requests()["count"] for server in servers)


def kill_round(workspace, logs: GrowingLogs, count: int, rng: random.Random, servers) -> bool:
    """Starts `agenttail run`, appends `count` pieces and SIGKILLs it at a random moment: at once, after a random
    pause, or shortly after it sent a server a new request. Returns whether a request was in flight at the kill."""
    before = requests_seen(servers)
    process = workspace.start("--log-level", "error")
    logs.write(count, rng)
    moment = rng.choice(["at once", "after a pause", "mid-request"])
    if moment == "after a pause":
        time.sleep(rng.uniform(0.05, 0.6))
    elif moment == "mid-request":
        # Nothing may be left to deliver: then the round ends after the deadline, like a pause.
        deadline = time.monotonic() + 3
        while requests_seen(servers) == before and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.15))
    delivering = any(in_flight(server) for server in servers)
    kill(process)
    return delivering


def test_sigkill_20_times_while_files_grow_and_both_sinks_flap(tmp_path, admin, server, langfuse):
    """SIGKILL at random moments, 20 times (or for AGENTTAIL_SOAK_SECONDS, with 12 runs per generation), while runs
    are written piece by piece and both remote sinks flap; then the rest is written and `run --once` drains. The
    Langfuse server refuses every span of POISONED_TOOL: each must become exactly one dead letter."""
    seed = fault_seed()
    rng = random.Random(seed)
    soak = SOAK_SECONDS > 0
    workspace = both_sinks_workspace(tmp_path / "run", server, langfuse, batch_size=20, batch_spans=10)
    logs = GrowingLogs(workspace.logs, seed, files=12 if soak else 5, steps=8 if soak else 6, endless=soak)
    refused = {"reject_span_names": [POISONED_TOOL]}
    server.faults(**flapping(seed))
    langfuse.faults(**flapping(seed + 1), **refused)
    # Short mode writes about five sixths of the pieces in the kill rounds, the rest at the end.
    most = 30 if soak else max(1, 2 * logs.total * 5 // (6 * SHORT_KILLS))
    kills = delivering = 0
    deadline = time.monotonic() + SOAK_SECONDS
    while kills < SHORT_KILLS or time.monotonic() < deadline:
        delivering += kill_round(workspace, logs, rng.randint(1, most), rng, [server, langfuse])
        kills += 1
    logs.write_rest()
    server.faults()
    langfuse.faults(**refused)
    workspace.run("run", "--once", "--log-level", "error", timeout=300)
    # A delayed request of the last killed process may still commit: compare once none is in flight.
    wait_until_answered(server, langfuse)

    outcome = compare_with_reference(tmp_path / "reference", workspace, admin, server, langfuse, {POISONED_TOOL})
    expected, found = poisoned_rows(store_rows(workspace)), dead_letters(workspace, "langfuse")
    print(f"seed {seed}: {kills} kills, {delivering} of them with a request in flight, {logs.generation + 1} "
          f"generation(s) of {logs.files} runs, {logs.total} pieces written")
    print(f"kills survived: {kills}, {outcome.figures()}, dead letters expected: {len(expected)}, found: {len(found)}")
    outcome.check(admin, workspace)
    assert found == expected, f"Langfuse dead letters {found}, expected one per refused span: {expected}"


# ---------------------------------------------------------------------------------------------------------------------

OUTBOX_LIMIT = 50
# Rows one Mini-Agent entry adds to the outbox in its commit: a failed tool's execution and error, and the session's
# new version.
ENTRY_ROWS = 3
# Memory agenttail may use above its resident size at start (about 42 MiB with both sinks, measured). What it holds
# does not depend on the backlog: one read chunk (1 MiB); one commit slice, here at most one file's backlog (about
# 1.2 MiB of text, held as text, as rows that repeat the conversation, and as encoded payloads: under 8 MiB); one
# delivery batch per sink (at most 4 MiB of payload, decoded again and encoded as a request body: about 12 MiB each,
# 36 for three sinks); SQLite's page caches (2 MiB per connection, about 6 connections); the allocator's two arenas
# keep their high-water marks. Measured: 44 MiB above the start with 11 MiB of backlog, 56 MiB with 35 MiB (and 90
# to 130 MiB when one step still read the whole backlog into the outbox).
RSS_ALLOWANCE_KIB = 64 * 1024


class Sampler:
    """Watches a running agenttail through `status --json` and its resident memory, keeping the largest values."""

    def __init__(self, workspace, process):
        self.workspace, self.process = workspace, process
        self.peak_rss = self.peak_depth = 0
        self.report = None

    def sample(self) -> dict | None:
        """One look; returns the status report (None before the state exists)."""
        assert self.process.poll() is None, f"agenttail exited early: {self.process.communicate()[1]}"
        self.peak_rss = max(self.peak_rss, rss_kib(self.process.pid))
        self.report = status(self.workspace)
        if self.report:
            self.peak_depth = max(self.peak_depth, self.depth())
        return self.report

    def depth(self) -> int:
        """Rows in the outbox at the last look."""
        return outbox_depth(self.report)

    def read_offset(self, name: str) -> int:
        """The committed offset of a log file at the last look, 0 while it is not tracked."""
        offsets = {file["path"]: file["offset"] for file in (self.report or {}).get("files", [])}
        return offsets.get(str(self.workspace.logs / name), 0)

    def drained(self, sizes: dict) -> bool:
        """Looks again; true once every file is read to its end and every sink has every row."""
        return bool(self.sample()) and self.depth() == 0 and all(
            self.read_offset(name) == size for name, size in sizes.items())


def large_runs(seed: int, files: int) -> list[Piece]:
    """Runs with large tool outputs (about 1.2 MiB each), one piece per entry, in the order the agents write them;
    a file's first piece is its header with its first request."""
    rng = random.Random(seed)
    queues = []
    for index in range(files):
        plan = agent_run(rng, f"agent_run_20261126_big{index:02d}.log", index, steps=12, output_size=(20_000, 60_000))
        texts = [plan.texts[0] + plan.texts[1]] + plan.texts[2:]
        queues.append([Piece(plan.name, text.encode()) for text in texts])
    return interleave(rng, queues)


def test_sink_down_then_back_drains_everything_with_bounded_memory(tmp_path, admin, server, langfuse):
    """Both remote sinks answer 503 to everything while 10 runs (about 11 MiB, 450 rows) are written, with
    outbox_limit 50: the outbox fills to the limit and stops there (one entry's rows over it at most), tailing pauses
    while the writing goes on, memory stays bounded. Once the sinks are back everything drains, the outbox never
    more than one commit slice over the limit, and the result equals the clean run."""
    seed = fault_seed()
    workspace = both_sinks_workspace(tmp_path / "run", server, langfuse, outbox_limit=OUTBOX_LIMIT)
    server.faults(fail_ratio=1.0)
    langfuse.faults(fail_ratio=1.0)
    pieces = large_runs(seed, files=10)
    process = workspace.start("--log-level", "error")
    sampler = Sampler(workspace, process)
    wait_for(sampler.sample, 30, "agenttail never created its state")
    rss_at_start = rss_kib(process.pid)
    sizes = {}

    # Fill: one entry at a time, each once the previous one is read, until the outbox reaches the limit. The step
    # that crosses it began below the limit and read one entry: the outbox ends at most one entry's rows over.
    written = 0
    for piece in pieces:
        append(workspace.logs, piece)
        sizes[piece.name] = sizes.get(piece.name, 0) + len(piece.data)
        written += 1
        wait_for(lambda: sampler.sample() and (sampler.depth() >= OUTBOX_LIMIT
                                               or sampler.read_offset(piece.name) == sizes[piece.name]), 30,
                 lambda: f"entry {written} ({piece.name}) was never read: {sampler.report}")
        if sampler.depth() >= OUTBOX_LIMIT:
            break
    # The step that reached the limit may still be committing the slice it was reading: the pause is settled once
    # the failing sinks have been tried twice more (each round wakes the tailer, which finds the outbox full).
    settled = server.requests()["count"]
    wait_for(lambda: sampler.sample() and server.requests()["count"] >= settled + 2, 90,
             "agenttail stopped retrying the failing Supabase server")
    paused_at = sampler.depth()
    assert paused_at < OUTBOX_LIMIT + ENTRY_ROWS, \
        f"the outbox reached {paused_at} rows, more than one entry's rows over the limit {OUTBOX_LIMIT}"

    # Paused: the agents write everything else; agenttail must read none of it while its deliveries fail. Each
    # failed delivery round wakes the tailer, which must find the outbox full again: two rounds are awaited.
    backlog = 0
    for piece in pieces[written:]:
        append(workspace.logs, piece)
        sizes[piece.name] = sizes.get(piece.name, 0) + len(piece.data)
        backlog += len(piece.data)
    attempts = server.requests()["count"]
    wait_for(lambda: sampler.sample() and server.requests()["count"] >= attempts + 2, 90,
             "agenttail stopped retrying the failing Supabase server")
    unread = sum(sizes.values()) - sum(sampler.read_offset(name) for name in sizes)
    assert sampler.depth() == paused_at, \
        f"the outbox grew from {paused_at} to {sampler.depth()} rows while tailing should be paused"
    assert unread >= backlog, f"only {unread} of the {backlog} bytes written while paused wait unread"
    rss_paused = sampler.peak_rss

    # Back: everything drains.
    server.faults()
    langfuse.faults()
    sampler.peak_depth = 0
    wait_for(lambda: sampler.drained(sizes), 120, lambda: f"agenttail did not drain: {sampler.report}", interval=0.02)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0, process.communicate()[1]

    outcome = compare_with_reference(tmp_path / "reference", workspace, admin, server, langfuse)
    rows = store_rows(workspace)
    # A commit slice holds at most one file's backlog: the rows of its run and one version of its session.
    slice_rows = 1 + max(sum(row["session_id"] == session for table in ("llm_calls", "tool_executions", "agent_errors")
                             for row in rows[table].values()) for session in rows["agent_sessions"])
    depth_bound = OUTBOX_LIMIT - 1 + slice_rows
    rss_bound = rss_at_start + RSS_ALLOWANCE_KIB
    print(f"seed {seed}: outbox paused at {paused_at} rows (limit {OUTBOX_LIMIT}) with {backlog >> 20} MiB written "
          f"and unread; while draining at most {sampler.peak_depth} rows (bound {depth_bound}); RSS "
          f"{rss_at_start >> 10} MiB at start, at most {rss_paused >> 10} MiB until the sinks came back, "
          f"{sampler.peak_rss >> 10} MiB in all (bound {rss_bound >> 10} MiB)")
    print(outcome.figures())
    outcome.check(admin, workspace)
    assert sampler.peak_depth <= depth_bound, \
        (f"while draining, the outbox held {sampler.peak_depth} rows: more than one commit slice (at most one "
         f"file's backlog, {slice_rows} rows) over the limit {OUTBOX_LIMIT}")
    assert sampler.peak_rss <= rss_bound, \
        f"agenttail's RSS reached {sampler.peak_rss} KiB, over {rss_bound} KiB ({rss_at_start} KiB at start)"
