#!/usr/bin/env python3
"""Live benchmarks (latency behind a writer, idle CPU) and the pieces many.py shares: the writer, Mini-Agent runs cut
into write() calls, agenttail's store read from outside, syslog-ng with a local HTTP sink, /proc readings.

The writer also runs on its own, to reproduce a run by hand next to `agenttail run`:

    python3 scripts/bench/live.py write FOLDER OUT.json [--lanes 4] [--rate 200] [--seconds 20] [--profile live]

It appends Mini-Agent runs to LANES files at RATE entries/s overall (entry k goes to lane k mod LANES; a lane whose run
ended starts the next run in a new file, as the agent does), each entry in several write() calls, and saves in OUT.json
the CLOCK_MONOTONIC time at which each entry's last write() returned.
"""
import argparse
import json
import math
import os
import random
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import DASHES, TOOLS, text, tool_use_response  # noqa: E402  (the corpus's words, tools and layout)

HERE = Path(__file__).resolve().parent
LANGFUSE_SERVER = HERE.parents[1] / "Tests/Servers/langfuse_otlp_server.py"
FIRST_WRITE = 512  # a file's first write() holds at least its first 512 bytes, as Mini-Agent's does
MESSAGE_HEAD = re.compile(r"^\[(\d+)\] (REQUEST|RESPONSE|TOOL_RESULT)\b")


# ---------------------------------------------------------------------------------------------------------------------
# Mini-Agent runs, cut into the write() calls that produce them

@dataclass(frozen=True)
class Profile:
    """Sizes of generated runs: REQUESTs repeat the system prompt, the task and the last `history_kept` messages only
    (the corpus repeats the whole history, which makes entries of megabytes; live entries stay modest)."""
    prompt_bytes: int
    max_output: int  # tool outputs are log-uniform from 100 B to this
    max_steps: int
    history_kept: int


PROFILES = {
    "live": Profile(prompt_bytes=3000, max_output=50_000, max_steps=12, history_kept=4),  # entries up to ~60 KB
    "small": Profile(prompt_bytes=300, max_output=2_000, max_steps=40, history_kept=2),   # entries up to ~3 KB
    "short": Profile(prompt_bytes=300, max_output=2_000, max_steps=4, history_kept=2),    # whole runs of ~5-15 KB
}


@dataclass
class Entry:
    number: int   # the N of `[N] KIND`, counted per file
    kind: str     # REQUEST, RESPONSE or TOOL_RESULT
    chunks: list  # bytes of each write() call
    row: list     # the store row this entry completes: ["llm", seq] (seq counts the file's responses), ["tool",
                  # call id], or None for a REQUEST


def run_entries(rng: random.Random, number: int, profile: Profile, finish: bool = True) -> list:
    """One Mini-Agent run, laid out byte for byte as corpus.run_log lays it out (file header, then `[N] KIND` entries
    with a timestamp, a label and an indented JSON body), cut into entries and each entry into write() calls: the
    header lines, then the body in 2 or 3 pieces. The file header rides in the first write, which is grown to at least
    512 bytes. finish=False leaves the run mid-way: it stops after its last tool result, without the final answer."""
    minute, second = divmod(number, 60)
    bar = "=" * 80
    preamble = (f"{bar}\nAgent Run Log - 2026-11-26 {10 + minute // 60 % 12:02d}:{minute % 60:02d}:{second:02d}\n"
                f"{bar}\n\n")
    entries = []
    clock = 0
    responses = 0

    def write(kind: str, label: str, body: dict, row) -> None:
        nonlocal clock
        clock += rng.randint(1, 3000)
        stamp = f"2026-11-26 {(clock // 3_600_000) % 24:02d}:{(clock // 60000) % 60:02d}:" \
                f"{(clock // 1000) % 60:02d}.{clock % 1000:03d}"
        head = f"\n{DASHES}\n[{len(entries) + 1}] {kind}\nTimestamp: {stamp}\n{DASHES}\n{label}\n\n"
        rendered = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        cuts = sorted(rng.sample(range(1, len(rendered)), rng.choice((1, 2))))
        pieces = [rendered[start:end] for start, end in zip([0, *cuts], [*cuts, len(rendered)])]
        entries.append(Entry(len(entries) + 1, kind, [head.encode()] + [piece.encode() for piece in pieces], row))

    def request(history: list) -> dict:
        return {"messages": history[:2] + history[2:][-profile.history_kept:], "tools": TOOLS}

    history = [{"role": "system", "content": "You are a careful coding assistant. " + text(rng, profile.prompt_bytes)},
               {"role": "user", "content": f"Task {number}: " + text(rng, 200)}]
    steps = rng.randint(1, profile.max_steps)
    for step in range(steps):
        write("REQUEST", "LLM Request:", request(history), None)
        calls, response = tool_use_response(rng, number, step)
        responses += 1
        write("RESPONSE", "LLM Response:", response, ["llm", responses])
        history.append({"role": "assistant", "content": response["content"], "tool_calls": calls})
        for call in calls:
            output = text(rng, int(100 * (profile.max_output / 100) ** rng.random()))
            success = rng.random() >= 0.1
            name = call["function"]["name"]
            write("TOOL_RESULT", "Tool Execution:",
                  {"tool_name": name, "arguments": call["function"]["arguments"], "success": success,
                   ("result" if success else "error"): output}, ["tool", call["id"]])
            history.append({"role": "tool", "content": output, "tool_call_id": call["id"], "name": name})
    if finish:
        write("REQUEST", "LLM Request:", request(history), None)
        responses += 1
        write("RESPONSE", "LLM Response:", {"content": "Done. " + text(rng, 300), "finish_reason": "end_turn"},
              ["llm", responses])
    first = entries[0].chunks
    first[0] = preamble.encode() + first[0]
    while len(first[0]) < FIRST_WRITE and len(first) > 1:
        first[0:2] = [first[0] + first[1]]
    return entries


def file_name(number: int) -> str:
    return f"agent_run_20261126_{number:06d}.log"


def write_whole_runs(folder: Path, count: int, profile: Profile, unfinished_every: int, seed: int) -> dict:
    """Writes `count` complete files at once (one write each); every `unfinished_every`-th run stops mid-way. Returns
    the manifest: per file name, the rows (llm, tool) and the entries it holds."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for number in range(count):
        entries = run_entries(rng, number, profile, finish=number % unfinished_every != unfinished_every - 1)
        name = file_name(number)
        (folder / name).write_bytes(b"".join(chunk for entry in entries for chunk in entry.chunks))
        manifest[name] = {"llm": sum(e.kind == "RESPONSE" for e in entries),
                          "tool": sum(e.kind == "TOOL_RESULT" for e in entries), "entries": len(entries)}
    return manifest


def prepared_folder(folder: Path, count: int, profile: str, unfinished_every: int = 20, seed: int = 2026) -> dict:
    """A folder of `count` whole runs (kept for later runs of the benchmark, like the corpus), and its manifest."""
    manifest_path = folder.parent / f"{folder.name}.manifest.json"
    if manifest_path.exists() and folder.exists():
        return json.loads(manifest_path.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    manifest = write_whole_runs(folder, count, PROFILES[profile], unfinished_every, seed)
    manifest_path.write_text(json.dumps(manifest))
    return manifest


def write_live(folder: Path, out: Path, lanes: int, rate: float, seconds: float, profile: Profile, seed: int,
               first_number: int) -> None:
    """The writer (see the module's docstring). Runs are generated before the clock starts; entry k is due at
    start + k / rate and written as soon as it is due (never early, late only when the machine is behind)."""
    rng = random.Random(seed)
    total = int(rate * seconds)
    per_lane = -(-total // lanes)
    number = first_number
    queues = []  # per lane: [(run number, entries)]
    for lane in range(lanes):
        runs, entries = [], 0
        while entries < per_lane:
            runs.append((number, run_entries(rng, number, profile)))
            entries += len(runs[-1][1])
            number += 1
        queues.append(runs)
    folder.mkdir(parents=True, exist_ok=True)
    cursors = [[0, 0, None] for _ in range(lanes)]  # run index, entry index, open descriptor
    completions = []
    start = time.monotonic()
    try:
        for k in range(total):
            lane = k % lanes
            cursor = cursors[lane]
            run_number, entries = queues[lane][cursor[0]]
            if cursor[2] is None:
                cursor[2] = os.open(folder / file_name(run_number), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            entry = entries[cursor[1]]
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for chunk in entry.chunks:
                os.write(cursor[2], chunk)
            completions.append([file_name(run_number), entry.number, entry.kind, entry.row, time.monotonic()])
            cursor[1] += 1
            if cursor[1] == len(entries):
                os.close(cursor[2])
                cursor[:] = [cursor[0] + 1, 0, None]
    finally:
        for cursor in cursors:
            if cursor[2] is not None:
                os.close(cursor[2])
    out.write_text(json.dumps({"start": start, "end": time.monotonic(), "completions": completions}))


def start_writer(folder: Path, out: Path, lanes: int, rate: float, seconds: float, profile: str, seed: int = 7,
                 first_number: int = 1000) -> subprocess.Popen:
    """The writer as its own process, so that its timing does not share a GIL with the measuring loops."""
    return subprocess.Popen([sys.executable, str(HERE / "live.py"), "write", str(folder), str(out), "--lanes",
                             str(lanes), "--rate", str(rate), "--seconds", str(seconds), "--profile", profile,
                             "--seed", str(seed), "--first-number", str(first_number)])


class Written:
    """What the writer wrote, from its OUT.json. Each entry that completes a row is keyed twice: as agenttail's store
    shows it (("llm", file path, seq) or ("tool", call id)) and as the sink shows it ((file name, entry number))."""

    def __init__(self, path: Path, folder: Path):
        record = json.loads(path.read_text())
        self.start, self.end = record["start"], record["end"]
        self.completions = record["completions"]
        self.files = sorted({name for name, *_ in self.completions})
        last = {}
        for name, number, *_ in self.completions:
            last[name] = number
        self.rows, self.messages = {}, {}       # key -> time the completing write() returned
        self.final_rows, self.final_messages = set(), set()  # keys of each file's last written entry
        for name, number, kind, row, done in self.completions:
            if row is None:
                continue
            key = ("llm", str(folder / name), row[1]) if row[0] == "llm" else ("tool", row[1])
            self.rows[key] = done
            self.messages[(name, number)] = done
            if number == last[name]:
                self.final_rows.add(key)
                self.final_messages.add((name, number))
        self.all_messages = len(self.completions) + len(self.files)  # every entry, and each file's header


# ---------------------------------------------------------------------------------------------------------------------
# Processes and /proc

def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    return next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:"))


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class FdSampler:
    """Counts the process's open descriptors every 50 ms in a thread and keeps the peak."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.done = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, open_fds(self.pid))
            except OSError:
                return
            self.done.wait(0.05)

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL after 15 s; safe on a process that already exited."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def wait_for(condition, seconds: float, what: str, alive=None, interval: float = 0.02):
    """Polls `condition` until it returns something true; fails after `seconds` or when `alive` (a process) exits."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"{what}: the process exited ({alive.returncode}) first")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {seconds:.0f} s")
        time.sleep(interval)


class Agenttail:
    """`agenttail run` (live, inotify) on one folder, with its state and store in `run`; with `langfuse` (a
    LangfuseServer), also a Langfuse sink shipping to it, its keys passed through the environment."""

    def __init__(self, binary: Path, run: Path, folder: Path, langfuse: "LangfuseServer | None" = None):
        self.run, self.store = fresh(run), run / "events.sqlite"
        config = run / "agenttail.yaml"
        sinks = f"  local: {{path: {self.store}}}\n"
        environment = dict(os.environ)
        if langfuse is not None:
            sinks += (f"  langfuse:\n    host: {langfuse.url}\n    public_key: ${{LANGFUSE_PUBLIC_KEY}}\n"
                      f"    secret_key: ${{LANGFUSE_SECRET_KEY}}\n")
            environment.update(LANGFUSE_PUBLIC_KEY=langfuse.public_key, LANGFUSE_SECRET_KEY=langfuse.secret_key)
        config.write_text(f"""sources: [{{name: bench, paths: ["{folder}/*.log"], session_timeout: 1h}}]
state: {{path: {run}/state.sqlite}}
sinks:
{sinks}""")
        self.stderr = open(run / "stderr.txt", "wb")
        self.process = subprocess.Popen([str(binary), "run", "--config", str(config), "--log-level", "error"],
                                        stdout=subprocess.DEVNULL, stderr=self.stderr, env=environment)
        self.pid = self.process.pid

    def stop(self) -> None:
        stop(self.process)
        self.stderr.close()
        errors = (self.run / "stderr.txt").read_text(errors="replace").strip()
        if errors:
            print(f"agenttail stderr ({self.run}/stderr.txt):\n{errors[:2000]}", file=sys.stderr)


class LangfuseServer:
    """The project's Langfuse test server (Tests/Servers/langfuse_otlp_server.py) in its own process, on a free port
    it picks and reports on its first stdout line ("listening on PORT"); its request log goes to
    RUN/langfuse-server.txt. Each stored observation carries `receivedAt`: the wall clock when its export was read
    and parsed, in whole milliseconds (truncated)."""

    public_key, secret_key = "pk-lf-bench", "sk-lf-bench"

    def __init__(self, run: Path):
        self.log = open(run / "langfuse-server.txt", "wb")
        self.process = subprocess.Popen(
            [sys.executable, str(LANGFUSE_SERVER), "--public-key", self.public_key, "--secret-key", self.secret_key,
             "--port", "0"], stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.pid = self.process.pid
        try:
            ready, _, _ = select.select([self.process.stdout], [], [], 30)
            line = self.process.stdout.readline() if ready else ""
            if not line.startswith("listening on "):
                raise RuntimeError(f"the Langfuse test server did not start ({line!r}; see {run}/langfuse-server.txt)")
        except BaseException:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{int(line.split()[-1])}"

    def get(self, path: str):
        """GET one of the test API's routes (/__requests, /__store), as JSON."""
        with urllib.request.urlopen(self.url + path, timeout=120) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        stop(self.process)
        self.process.stdout.close()
        self.log.close()


class StoreWatcher:
    """Reads agenttail's store read-only and notes when each llm_calls and tool_executions row was first seen.

    A row is keyed as the writer keys it: ("llm", file path, seq) or ("tool", tool call id). Each poll reads the rows
    past the last rowid seen, in one read transaction, and stamps them with the time the poll began (so a row's
    visibility is known to within one poll interval, late rather than early)."""

    def __init__(self, path: Path):
        self.path, self.db, self.seen = path, None, {}
        self.llm_rowid = self.tool_rowid = 0
        self.sessions = {}   # session id -> source path
        self.unresolved = []  # (session id, seq, first seen) of llm rows whose session row was not read yet

    def poll(self) -> None:
        now = time.monotonic()
        try:
            if self.db is None:
                if not self.path.exists():
                    return
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None,
                                          check_same_thread=False)
                self.db.execute("PRAGMA busy_timeout = 5000")
            self.db.execute("BEGIN")
            try:
                calls = self.db.execute("SELECT rowid, session_id, seq FROM llm_calls WHERE rowid > ? ORDER BY rowid",
                                        (self.llm_rowid,)).fetchall()
                tools = self.db.execute("SELECT rowid, tool_call_id FROM tool_executions WHERE rowid > ? "
                                        "ORDER BY rowid", (self.tool_rowid,)).fetchall()
                self.unresolved += [(session, seq, now) for _, session, seq in calls]
                missing = {session for session, _, _ in self.unresolved if session not in self.sessions}
                if missing:
                    marks = ",".join("?" * len(missing))
                    self.sessions.update(self.db.execute(
                        f"SELECT id, source_path FROM agent_sessions WHERE id IN ({marks})", list(missing)))
            finally:
                self.db.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if "no such table" in str(error) or "locked" in str(error) or "unable to open" in str(error):
                return  # the store is being created
            raise
        if calls:
            self.llm_rowid = calls[-1][0]
        if tools:
            self.tool_rowid = tools[-1][0]
        for _, call_id, in tools:
            self.seen.setdefault(("tool", call_id), now)
        waiting = []
        for session, seq, first in self.unresolved:
            if session in self.sessions:
                self.seen.setdefault(("llm", self.sessions[session], seq), first)
            else:
                waiting.append((session, seq, first))
        self.unresolved = waiting

    def counts(self) -> dict:
        """Rows per table and the source paths of the sessions, read now."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            db.execute("PRAGMA busy_timeout = 5000")
            result = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("llm_calls", "tool_executions", "agent_sessions")}
            result["paths"] = {row[0] for row in db.execute("SELECT source_path FROM agent_sessions")}
            return result
        finally:
            db.close()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


class HttpSink:
    """A local endpoint for syslog-ng's http() destination. Each POST holds JSON lines {"file": ..., "message": ...};
    each message is stamped with the time its POST was read and keyed (file name, entry number) by its `[N] KIND`
    line (a file's header, before its first entry, is keyed (file name, 0))."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen, self.messages, self.duplicates = {}, 0, 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: syslog-ng's workers reuse their connections

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.monotonic()
                sink.take(body, now)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, body: bytes, now: float) -> None:
        keys = []
        for line in body.split(b"\n"):
            if not line.strip():
                continue
            message = json.loads(line)
            match = MESSAGE_HEAD.match(message["message"])
            keys.append((os.path.basename(message["file"]), int(match.group(1)) if match else 0))
        with self.lock:
            self.messages += len(keys)
            for key in keys:
                if key in self.seen:
                    self.duplicates += 1
                else:
                    self.seen[key] = now

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SyslogNg:
    """syslog-ng 3.38 following a folder the way the catch-up benchmark configures it (multi-line prefix mode on the
    entry lines, multi-line-timeout 2 s, no parsing), each message shipped as a JSON line {"file", "message"} to its
    own HttpSink. follow-freq is how often it looks at each file for new bytes."""

    def __init__(self, run: Path, folder: Path, follow_freq: float = 1, max_files: int = 1000):
        self.run, self.sink = fresh(run), HttpSink()
        config = run / "syslog-ng.conf"
        config.write_text(f"""@version: 3.38
options {{ log-msg-size(268435456); stats-freq(0); }};
source s_logs {{
  wildcard-file(base-dir("{folder}") filename-pattern("*.log") max-files({max_files}) follow-freq({follow_freq})
    multi-line-mode(regexp) multi-line-prefix("^\\\\[[0-9]+\\\\] (REQUEST|RESPONSE|TOOL_RESULT)$") multi-line-timeout(2)
    flags(no-parse) log-fetch-limit(1000) log-iw-size(1000000));
}};
destination d_http {{
  http(url("http://127.0.0.1:{self.sink.port}/ingest") method("POST")
    body("$(format-json file=$FILE_NAME message=$MSG)")
    batch-lines(100) batch-bytes(4MB) batch-timeout(100) workers(2) log-fifo-size(1000000));
}};
log {{ source(s_logs); destination(d_http); }};
""")
        self.stderr = open(run / "stderr.txt", "wb")
        try:
            self.process = subprocess.Popen(["syslog-ng", "-F", "-f", str(config), "-R", str(run / "persist"), "-p",
                                             str(run / "pid"), "-c", str(run / "ctl"), "--no-caps"],
                                            stdout=subprocess.DEVNULL, stderr=self.stderr)
        except BaseException:
            self.sink.close()
            raise
        self.pid = self.process.pid

    def stop(self) -> None:
        stop(self.process)
        self.sink.close()
        self.stderr.close()


def received(sink: HttpSink, keys) -> int:
    with sink.lock:
        return sum(key in sink.seen for key in keys)


# ---------------------------------------------------------------------------------------------------------------------
# Live latency

@dataclass
class Latency:
    name: str
    measured: int   # row-completing entries written
    missed: int     # of them never seen
    values: list    # ms, sorted
    final: list     # ms, sorted: entries that were the last written to their file
    cpu: float      # CPU seconds from the writer's start to the last row seen
    behind: float   # the writer's worst lateness against its schedule, s
    note: str = ""  # printed under the table


def percentile(values: list, fraction: float) -> float:
    """Nearest rank; NaN for no values."""
    return values[max(0, math.ceil(fraction * len(values)) - 1)] if values else float("nan")


def latencies(expected: dict, seen: dict, keys=None) -> list:
    """Sorted ms from each completing write to its key being seen, over `keys` (default: all expected)."""
    return sorted((seen[key] - expected[key]) * 1000 for key in (expected if keys is None else keys) if key in seen)


def writer_lateness(written: Written, rate: float) -> float:
    return max((done - written.start - k / rate for k, (*_, done) in enumerate(written.completions)), default=0)


def warm_up(folder: Path) -> str:
    """A finished run written before the tool starts: once its rows are out, the tool is watching the folder."""
    entries = run_entries(random.Random(1), 999_999, PROFILES["short"])
    (folder / file_name(999_999)).write_bytes(b"".join(chunk for entry in entries for chunk in entry.chunks))
    return file_name(999_999)


def warm_rows(watcher: StoreWatcher, warm_name: str) -> bool:
    """Polls the store; true once a row of the warm-up run is in it."""
    watcher.poll()
    return any(key[0] == "llm" and key[1].endswith(warm_name) for key in watcher.seen)


def clock_offset() -> float:
    """time.time() - time.monotonic() now: a wall-clock time minus it is on the monotonic clock the writer stamps."""
    before = time.monotonic()
    wall = time.time()
    return wall - (before + time.monotonic()) / 2


def langfuse_arrivals(store: dict, sessions: dict, offset: float) -> dict:
    """When each row's observation first reached the Langfuse test server (its `receivedAt`, moved to the monotonic
    clock with `offset`), keyed as StoreWatcher keys rows: a GENERATION observation by its session's source file
    (`sessions`: session id -> source path, from agenttail's store) and its `seq` metadata, a TOOL observation by its
    `tool_call_id` metadata. `store` is GET /__store; of an observation sent more than once, the first copy counts."""
    seen = {}
    for observation in store["observations"]:
        metadata = observation["metadata"]
        if observation["type"] == "GENERATION" and observation["sessionId"] in sessions:
            key = ("llm", sessions[observation["sessionId"]], int(metadata["seq"]))
        elif observation["type"] == "TOOL":
            key = ("tool", metadata["tool_call_id"])
        else:
            continue  # a run's root span, a parser error
        received = datetime.fromisoformat(observation["receivedAt"].replace("Z", "+00:00")).timestamp() - offset
        seen[key] = min(received, seen.get(key, received))
    return seen


def wait_for_langfuse(server: LangfuseServer, watcher: StoreWatcher, expected: dict, tool: Agenttail,
                      seconds: float) -> tuple[dict, int]:
    """Waits until the Langfuse test server has an observation for every expected row, or `seconds`; returns
    langfuse_arrivals and the server's count of re-sent copies. Polls GET /__requests every 0.5 s until it counts at
    least as many spans as the store has rows (every llm or tool row becomes one span), and only then GET /__store,
    which returns everything stored."""
    deadline = time.monotonic() + seconds
    arrived, duplicates = {}, 0
    while True:
        if server.get("/__requests")["spans_received"] >= len(watcher.seen):
            store = server.get("/__store")
            arrived, duplicates = langfuse_arrivals(store, watcher.sessions, clock_offset()), store["duplicates"]
            if all(key in arrived for key in expected):
                return arrived, duplicates
        assert tool.process.poll() is None, "agenttail exited"
        assert server.process.poll() is None, "the Langfuse test server exited"
        if time.monotonic() > deadline:
            return arrived, duplicates
        time.sleep(0.5)


def live_agenttail(binary: Path, work: Path, lanes: int, rate: float, seconds: float, langfuse: bool = True) -> list:
    """Starts the Langfuse test server and agenttail (local store and Langfuse sink; the store only without
    `langfuse`) on a fresh folder, waits until
    agenttail has ingested a warm-up run, starts the writer, and polls the store every 2 ms until every row the
    writer completed is there (or 60 s after the writer ended); then waits for their observations at the Langfuse
    test server (another 60 s at most). Returns two results: to the store, and to Langfuse. CPU is agenttail's, from
    the writer's start to the last row in the store, and to the last observation at the server."""
    base = fresh(work / ("live-agenttail" if langfuse else "live-agenttail-local"))
    folder = fresh(base / "logs")
    warm_name = warm_up(folder)
    server = LangfuseServer(base) if langfuse else None
    tool = writer = None
    try:
        tool = Agenttail(binary, base / "run", folder, langfuse=server)
        watcher = StoreWatcher(tool.store)
        wait_for(lambda: warm_rows(watcher, warm_name), 60, "agenttail ingesting the warm-up run", tool.process,
                 interval=0.002)
        writer = start_writer(folder, base / "written.json", lanes, rate, seconds, "live")
        cpu_start = cpu_seconds(tool.pid)
        while writer.poll() is None:
            watcher.poll()
            time.sleep(0.002)
        assert writer.returncode == 0, "the writer failed"
        written = Written(base / "written.json", folder)
        deadline = time.monotonic() + 60
        while not all(key in watcher.seen for key in written.rows) and time.monotonic() < deadline:
            assert tool.process.poll() is None, "agenttail exited"
            watcher.poll()
            time.sleep(0.002)
        cpu = cpu_seconds(tool.pid) - cpu_start
        watcher.close()
        if server is not None:
            arrived, duplicates = wait_for_langfuse(server, watcher, written.rows, tool, 60)
            langfuse_cpu = cpu_seconds(tool.pid) - cpu_start
            server_cpu = cpu_seconds(server.pid)
            requests = server.get("/__requests")
    finally:
        stop(writer)
        if tool is not None:
            tool.stop()
        if server is not None:
            server.stop()
    behind = writer_lateness(written, rate)
    results = []
    measured = [("agenttail" if langfuse else "agenttail, local store only", watcher.seen, cpu, f"store {tool.store}")]
    if server is not None:
        measured.append(("agenttail → Langfuse (test server)", arrived, langfuse_cpu,
                         f"Langfuse test server, log {base}/langfuse-server.txt"))
    for name, seen, used, where in measured:
        missing = [key for key in written.rows if key not in seen]
        if missing:
            print(f"{name} live: {len(missing)} rows never seen, e.g. {missing[:5]} ({where})", file=sys.stderr)
        results.append(Latency(name, len(written.rows), len(missing), latencies(written.rows, seen),
                               latencies(written.rows, seen, written.final_rows), used, behind))
    if server is None:
        return results
    results[1].note = (f"agenttail → Langfuse: {requests['count']} exports (statuses {requests['statuses']}), "
                       f"{requests['spans_received']} spans, {duplicates} re-sent; the test server's own CPU since it "
                       f"started {server_cpu:.2f} s")
    return results


def live_syslog_ng(work: Path, lanes: int, rate: float, seconds: float, follow_freq: float) -> Latency:
    """The same writer into a fresh folder followed by syslog-ng; latency is the time the sink read the POST holding
    an entry's message minus the entry's completing write. Waits for every message (a file's last entry comes out
    only after multi-line-timeout) or 60 s after the writer ended."""
    base = fresh(work / f"live-syslog-ng-{follow_freq:g}")
    folder = fresh(base / "logs")
    warm_name = warm_up(folder)
    tool = SyslogNg(base / "run", folder, follow_freq)
    writer = None
    try:
        wait_for(lambda: received(tool.sink, [(warm_name, 1)]), 60, "syslog-ng shipping the warm-up run", tool.process)
        writer = start_writer(folder, base / "written.json", lanes, rate, seconds, "live")
        cpu_start = cpu_seconds(tool.pid)
        writer.wait()
        assert writer.returncode == 0, "the writer failed"
        written = Written(base / "written.json", folder)
        deadline = time.monotonic() + 60
        while received(tool.sink, written.messages) < len(written.messages) and time.monotonic() < deadline:
            assert tool.process.poll() is None, "syslog-ng exited"
            time.sleep(0.002)
        cpu = cpu_seconds(tool.pid) - cpu_start
    finally:
        stop(writer)
        tool.stop()
    with tool.sink.lock:
        seen = dict(tool.sink.seen)
    missing = [key for key in written.messages if key not in seen]
    if missing:
        print(f"syslog-ng live: {len(missing)} entries never received, e.g. {missing[:5]}", file=sys.stderr)
    return Latency(f"syslog-ng follow-freq {follow_freq:g} s", len(written.messages), len(missing),
                   latencies(written.messages, seen), latencies(written.messages, seen, written.final_messages), cpu,
                   writer_lateness(written, rate))


def print_latency(results: list, lanes: int, rate: float, seconds: float) -> None:
    print(f"\nlive latency: {lanes} files at once, {rate:g} entries/s for {seconds:g} s (outputs up to 50 KB); "
          f"from the write() completing a RESPONSE or TOOL_RESULT to its row in the store (agenttail), its "
          f"observation's receivedAt at the Langfuse test server (agenttail → Langfuse; whole ms) or its message at "
          f"the HTTP sink (syslog-ng)\n")
    print(f"{'':34} {'rows':>6} {'missed':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'run-final p50 ms':>17} {'CPU s':>6}")
    for r in results:
        print(f"{r.name:34} {r.measured:6d} {r.missed:6d} {percentile(r.values, .5):8.1f} "
              f"{percentile(r.values, .99):8.1f} {max(r.values, default=float('nan')):8.1f} "
              f"{percentile(r.final, .5):17.1f} {r.cpu:6.2f}")
    for r in results:
        if r.note:
            print(r.note)
    late = max(r.behind for r in results)
    if late > 0.05:
        print(f"(the writer fell behind its schedule by up to {late * 1000:.0f} ms)")
    ours = results[0]
    for theirs in (r for r in results if not r.name.startswith("agenttail")):
        ratio = [percentile(theirs.values, f) / percentile(ours.values, f) for f in (.5, .99)]
        print(f"{theirs.name} / agenttail: p50 {ratio[0]:.1f}x, p99 {ratio[1]:.1f}x, CPU {theirs.cpu / ours.cpu:.2f}x")
    print("run-final: the last entry written to a file (the run's final answer, or an entry the writer stopped on); "
          "syslog-ng emits such an entry only after multi-line-timeout (2 s), as no next entry starts")


# ---------------------------------------------------------------------------------------------------------------------
# Idle

def idle(binary: Path, work: Path, files: int, seconds: float, follow_freqs: list) -> None:
    """agenttail and syslog-ng (one per follow-freq) follow the same folder of `files` runs (one in 20 mid-way,
    sessions still open); once each has everything, their CPU time (utime + stime from /proc/PID/stat) is read over
    `seconds` with nothing written. They run side by side: idle, they do not compete."""
    folder = work / f"idle-{files}"
    manifest = prepared_folder(folder, files, "short")
    rows = sum(m["llm"] + m["tool"] for m in manifest.values())
    messages = {(name, n) for name, m in manifest.items() for n in range(m["entries"] + 1)}
    tools = []
    try:
        agenttail = Agenttail(binary, work / "idle-agenttail", folder)
        tools.append(agenttail)
        for freq in follow_freqs:
            tools.append(SyslogNg(work / f"idle-syslog-ng-{freq:g}", folder, freq))
        watcher = StoreWatcher(agenttail.store)

        def caught_up():
            if not agenttail.store.exists():
                return False
            try:
                counts = watcher.counts()
            except sqlite3.OperationalError:
                return False
            return counts["llm_calls"] + counts["tool_executions"] == rows
        wait_for(caught_up, 300, "agenttail catching up", agenttail.process, interval=0.1)
        for tool in tools[1:]:
            wait_for(lambda: received(tool.sink, messages) == len(messages), 300, "syslog-ng catching up", tool.process,
                     interval=0.1)
        before = [cpu_seconds(tool.pid) for tool in tools]
        sink_before = [tool.sink.messages for tool in tools[1:]]
        time.sleep(seconds)  # the measurement window itself
        used = [cpu_seconds(tool.pid) - start for tool, start in zip(tools, before)]
        assert all(tool.process.poll() is None for tool in tools), "a process exited while idle"
        quiet = [tool.sink.messages - start for tool, start in zip(tools[1:], sink_before)]
        counts = watcher.counts()
    finally:
        for tool in tools:
            tool.stop()
    print(f"\nidle: {seconds:g} s with nothing written, after catching up with {files} runs ({rows} rows)\n")
    print(f"{'':30} {'CPU s':>8} {'% of a core':>12}")
    names = ["agenttail"] + [f"syslog-ng follow-freq {freq:g} s" for freq in follow_freqs]
    for name, cpu in zip(names, used):
        print(f"{name:30} {cpu:8.2f} {100 * cpu / seconds:12.3f}")
    for name, cpu in zip(names[1:], used[1:]):
        print(f"{name} / agenttail: CPU {cpu / used[0]:.1f}x" if used[0] > 0
              else f"{name} / agenttail: - (agenttail used less than one clock tick, 10 ms)")
    if counts["llm_calls"] + counts["tool_executions"] != rows or any(quiet):
        print(f"(unexpected: store rows {counts['llm_calls'] + counts['tool_executions']} of {rows}; "
              f"messages while idle {quiet})")


def main() -> None:
    parser = argparse.ArgumentParser(description="the benchmark's writer, alone")
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write")
    write.add_argument("folder", type=Path)
    write.add_argument("out", type=Path)
    write.add_argument("--lanes", type=int, default=4)
    write.add_argument("--rate", type=float, default=200)
    write.add_argument("--seconds", type=float, default=20)
    write.add_argument("--profile", choices=sorted(PROFILES), default="live")
    write.add_argument("--seed", type=int, default=7)
    write.add_argument("--first-number", type=int, default=1000)
    args = parser.parse_args()
    write_live(args.folder, args.out, args.lanes, args.rate, args.seconds, PROFILES[args.profile], args.seed,
               args.first_number)


if __name__ == "__main__":
    main()
