"""Fault suite, first half: agenttail killed with SIGKILL over and over while log files grow and both remote sinks
flap, and a long outage of both sinks with a small outbox. After each, the local store must equal one clean run over
the final files, row by row, PostgreSQL must equal the local store, and Langfuse must hold exactly the expected
observations: nothing lost, nothing twice, nothing changed.

Every test prints its seed; AGENTTAIL_FAULT_SEED=N replays one. AGENTTAIL_SOAK_SECONDS=N turns the kill test into
a soak that kills for N seconds with more files (scripts/soak.sh)."""
import os
import random
import signal
import time
from dataclasses import dataclass

from faults import (POISONED_TOOL, Piece, agent_run, append, both_sinks_workspace, compare_langfuse, compare_postgres,
                    compare_stores, dead_letters, expected_observations, fault_seed, in_flight, interleave, kill,
                    outbox_depth, poisoned_rows, reference_run, rss_kib, status, store_rows, wait_for,
                    wait_until_answered, write_plan)
from stack import assert_same_rows

SOAK_SECONDS = float(os.environ.get("AGENTTAIL_SOAK_SECONDS") or 0)
SHORT_KILLS = 20


def flapping(seed: int) -> dict:
    """Fault settings of a flapping server: 503s, 429s asking for no wait, connections dropped without an answer,
    and answers slower than the sinks' 2 s timeout although the server commits (the answer is lost)."""
    return dict(fail_ratio=0.2, throttle_ratio=0.1, retry_after=0, drop_ratio=0.05, delay_ratio=0.05,
                delay_seconds=2.5, delay_commits=True, seed=seed)


class GrowingLogs:
    """The log files the agents write, handed out piece by piece. In soak mode a new generation of runs starts when
    one is written out, so that writing never stops."""

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


def requests_seen(*servers) -> int:
    return sum(server.requests()["count"] for server in servers)


def kill_round(workspace, logs: GrowingLogs, count: int, rng: random.Random, servers) -> bool:
    """Starts `agenttail run`, appends `count` pieces and SIGKILLs it at a random moment: at once, after a random
    pause, or once it sent a new request to a server. Returns whether a request was in flight at the kill."""
    before = requests_seen(*servers)
    process = workspace.start("--log-level", "error")
    logs.write(count, rng)
    moment = rng.choice(["at once", "after a pause", "mid-request"])
    if moment == "after a pause":
        time.sleep(rng.uniform(0.05, 0.6))
    elif moment == "mid-request":
        deadline = time.monotonic() + 3
        while requests_seen(*servers) == before and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.15))
    delivering = any(in_flight(server) for server in servers)
    kill(process)
    return delivering


@dataclass
class Figures:
    """What a test checked, for its summary line."""
    kills: int
    rows: int
    events: int
    lost: int
    duplicated: int
    changed: int

    def line(self) -> str:
        return (f"kills survived: {self.kills}, rows checked: {self.rows}, events checked: {self.events}, "
                f"lost: {self.lost}, duplicated: {self.duplicated}, changed: {self.changed}")


def check_against_reference(tmp_path, workspace, admin, server, langfuse, kills: int, refused_tools=()) -> Figures:
    """Runs the clean reference over the final files and checks the local store against it row by row (all
    columns), PostgreSQL against the local store (all columns) and Langfuse's observation ids against the rows.
    Prints the figures before asserting, so that a failure shows how much went wrong."""
    reference = store_rows(reference_run(tmp_path / "reference", workspace.logs, server))
    local = compare_stores(store_rows(workspace), reference)
    remote = compare_postgres(admin, reference)
    store = langfuse.store()
    traces = compare_langfuse(store, expected_observations(reference, refused_tools))
    figures = Figures(kills, local.checked, local.checked + remote.checked + traces.checked,
                      len(local.lost) + len(remote.lost) + len(traces.lost),
                      len(local.duplicated) + len(remote.duplicated) + len(traces.duplicated), len(local.changed))
    print(figures.line())
    assert local.checked > 0, "the reference run produced no rows"
    assert not (local.lost or local.duplicated or local.changed), f"local store vs clean run: {local.describe()}"
    assert not (remote.lost or remote.duplicated), f"PostgreSQL vs clean run: {remote.describe()}"
    assert_same_rows(admin, workspace)
    assert not (traces.lost or traces.duplicated), f"Langfuse vs clean run: {traces.describe()}"
    assert store["changed_resends"] == 0, f"{store['changed_resends']} spans were sent again with other bytes"
    return figures


def test_sigkill_20_times_while_files_grow_and_both_sinks_flap(tmp_path, admin, server, langfuse):
    """SIGKILL at random moments (at least 20 times, or for AGENTTAIL_SOAK_SECONDS) while 5 runs (12 per generation
    in soak mode) are written piece by piece and both remote sinks flap; then the rest is written and `run --once`
    drains. The Langfuse server refuses every span of POISONED_TOOL: each must be one dead letter, no more."""
    seed = fault_seed()
    rng = random.Random(seed)
    soak = SOAK_SECONDS > 0
    workspace = both_sinks_workspace(tmp_path / "run", server, langfuse, batch_size=20, batch_spans=10)
    logs = GrowingLogs(workspace.logs, seed, files=12 if soak else 5, steps=8 if soak else 6, endless=soak)
    refused = {"reject_span_names": [POISONED_TOOL]}
    server.faults(**flapping(seed))
    langfuse.faults(**flapping(seed + 1), **refused)
    kills = delivering = 0
    deadline = time.monotonic() + SOAK_SECONDS
    while (time.monotonic() < deadline) if soak else (kills < SHORT_KILLS):
        # Short mode writes about five sixths of the pieces in the kill rounds; soak mode writes on and on.
        count = rng.randint(1, 30) if soak else rng.randint(1, max(1, 2 * logs.total * 5 // (6 * SHORT_KILLS)))
        delivering += kill_round(workspace, logs, count, rng, [server, langfuse])
        kills += 1
    logs.write_rest()
    server.faults()
    langfuse.faults(**refused)
    # A delayed request of a killed process commits late: let every one finish before the final run.
    wait_until_answered(server, langfuse)
    workspace.run("run", "--once", "--log-level", "error", timeout=300)
    print(f"seed {seed}: {kills} kills, {delivering} with a request in flight, {logs.generation + 1} generation(s) "
          f"of runs, {logs.total} pieces")
    figures = check_against_reference(tmp_path, workspace, admin, server, langfuse, kills, refused_tools={POISONED_TOOL})
    expected, found = poisoned_rows(store_rows(workspace)), dead_letters(workspace, "langfuse")
    print(f"dead letters expected: {len(expected)}, found: {len(found)}")
    assert found == expected, f"seed {seed}: Langfuse dead letters {found}, expected one per refused span {expected}"
    assert kills >= SHORT_KILLS and figures.rows > 0


# ---------------------------------------------------------------------------------------------------------------------

OUTBOX_LIMIT = 50
# Rows one Mini-Agent entry can add to the outbox in one commit: a failed tool's execution and error, and the
# session's new version.
ENTRY_ROWS = 3
# Justification of the memory bound: agenttail holds one read chunk (1 MiB), the rows of one commit slice (here at
# most one file's backlog, under 4 MiB of text, encoded twice: rows and payloads), one delivery batch per sink (500
# rows, at most 8 MiB of payload, plus its request body) and its fixed cost (runtime, SQLite caches, HTTP client;
# about 25 MiB, measured). 160 MiB leaves room for allocator slack but not for the 40 MiB backlog held twice over.
RSS_BOUND_KIB = 160 * 1024


class Sampler:
    """Watches a running agenttail: `status --json` and resident memory, keeping the largest values seen."""

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
            self.peak_depth = max(self.peak_depth, outbox_depth(self.report))
        return self.report

    def read_offset(self, name: str) -> int:
        """The committed offset of a log file, 0 when it is not tracked yet."""
        paths = {file["path"]: file["offset"] for file in (self.report or {}).get("files", [])}
        return paths.get(str(self.workspace.logs / name), 0)


def large_runs(seed: int, files: int):
    """Runs with large tool outputs, as (file name, entry text) in the order the agents write them; each file's
    first text is its header with its first request."""
    rng = random.Random(seed)
    queues = []
    for index in range(files):
        plan = agent_run(rng, f"agent_run_20261126_big{index:02d}.log", index, steps=12, output_size=(20_000, 60_000))
        texts = [plan.texts[0] + plan.texts[1]] + plan.texts[2:]
        queues.append([(plan.name, text) for text in texts])
    return interleave(rng, queues)


def test_sink_down_then_back_drains_everything_with_bounded_memory(tmp_path, admin, server, langfuse):
    """Both remote sinks answer 503 to everything while 8 runs (about 40 MiB) are written, with outbox_limit 50:
    the outbox fills to the limit and stops (at most one commit slice over it), tailing pauses while writing goes on,
    memory stays bounded; once the sinks are back everything drains, still one slice over the limit at most, and the
    result equals the clean run."""
    seed = fault_seed()
    workspace = both_sinks_workspace(tmp_path / "run", server, langfuse, outbox_limit=OUTBOX_LIMIT)
    server.faults(fail_ratio=1.0)
    langfuse.faults(fail_ratio=1.0)
    entries = large_runs(seed, files=8)
    process = workspace.start("--log-level", "error")
    sampler = Sampler(workspace, process)
    sizes = {}

    # Fill: one entry at a time, each once the previous one is read, until tailing pauses.
    written = 0
    for name, text in entries:
        append(workspace.logs, Piece(name, text.encode()))
        sizes[name] = sizes.get(name, 0) + len(text.encode())
        written += 1
        report = wait_for(lambda: (sampler.sample() and (outbox_depth(sampler.report) >= OUTBOX_LIMIT
                                                          or sampler.read_offset(name) == sizes[name])), 30,
                          lambda: f"entry {written} of {name} was never read: {sampler.report}")
        if outbox_depth(sampler.report) >= OUTBOX_LIMIT:
            break
    paused_at = outbox_depth(report)
    assert paused_at < OUTBOX_LIMIT + ENTRY_ROWS, \
        f"the outbox reached {paused_at} rows, more than one entry's rows over the limit {OUTBOX_LIMIT}"

    # Paused: the agents keep writing, agenttail must not read any of it while its delivery attempts fail.
    for name, text in entries[written:]:
        append(workspace.logs, Piece(name, text.encode()))
        sizes[name] = sizes.get(name, 0) + len(text.encode())
    attempts = server.requests()["count"]
    wait_for(lambda: sampler.sample() and server.requests()["count"] >= attempts + 2, 90,
             "the shipper stopped retrying the failing Supabase server")
    unread = sum(sizes.values()) - sum(sampler.read_offset(name) for name in sizes)
    assert outbox_depth(sampler.report) == paused_at, \
        f"the outbox grew from {paused_at} to {outbox_depth(sampler.report)} rows while tailing should be paused"
    assert unread > 30 << 20, f"only {unread} bytes wait unread: tailing did not pause"
    rss_paused = sampler.peak_rss

    # Back: everything drains, the outbox never holding more than one commit slice over the limit.
    server.faults()
    langfuse.faults()
    sampler.peak_depth = 0
    wait_for(lambda: _drained(sampler, sizes), 120, lambda: f"agenttail did not drain: {sampler.report}", interval=0.02)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0, process.communicate()[1]
    figures = check_against_reference(tmp_path, workspace, admin, server, langfuse, kills=0)
    rows = store_rows(workspace)
    slice_rows = 1 + max(sum(row["session_id"] == session for table in ("llm_calls", "tool_executions", "agent_errors")
                             for row in rows[table].values()) for session in rows["agent_sessions"])
    print(f"outbox: paused at {paused_at} rows (limit {OUTBOX_LIMIT}), {unread >> 20} MiB left unread while paused, "
          f"at most {sampler.peak_depth} rows while draining (bound {OUTBOX_LIMIT - 1 + slice_rows}); "
          f"RSS at most {rss_paused // 1024} MiB while paused, {sampler.peak_rss // 1024} MiB in all "
          f"(bound {RSS_BOUND_KIB // 1024} MiB); {figures.rows} rows checked")
    assert sampler.peak_rss < RSS_BOUND_KIB, f"agenttail used {sampler.peak_rss} KiB of memory"
    assert sampler.peak_depth <= OUTBOX_LIMIT - 1 + slice_rows, \
        (f"while draining the outbox held {sampler.peak_depth} rows: more than one commit slice (at most one file's "
         f"backlog, {slice_rows} rows) over the limit {OUTBOX_LIMIT}")


def _drained(sampler: Sampler, sizes: dict) -> bool:
    """True once every file is read to its end and every sink has every row."""
    report = sampler.sample()
    return bool(report) and outbox_depth(report) == 0 and all(
        sampler.read_offset(name) == size for name, size in sizes.items())
