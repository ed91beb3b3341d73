#!/usr/bin/env python3
"""Benchmarks of agenttail against syslog-ng on Mini-Agent logs: catch-up, live latency, many files, idle.

    python3 scripts/bench/bench.py [--agenttail PATH] [--only catchup,live,many,idle] [--work DIR] [options]
    (scripts/bench.sh builds and installs first; --help lists the options)

catchup  on a warm page cache, one after the other, on generated corpora of each shape and size (--shapes, --sizes):
         - floors: reading the corpus (cat to /dev/null); decoding every entry's JSON body with Python's json module,
           with Foundation's JSONSerialization and with agenttail's own scanner; agenttail's whole parse (framing,
           rules, correlation, masking) without any storage; masking every body whole, with and without the
           provider rules (the agenttail-floors executable);
         - agenttail: `run --once` into the embedded store (full parsing, durable commits), release build;
         - syslog-ng: each entry framed as one multi-line message and shipped as one JSON line over HTTP to a local
           sink, until the sink has every message.
         Prints MB/s, entries/s, CPU seconds per 100 MB and peak RSS for each, and the ratio agenttail / syslog-ng.
live     a writer appends runs to a few files at a fixed rate, each entry in several write() calls; latency from
         the write() completing a RESPONSE or TOOL_RESULT to its row in agenttail's store (polled every 2 ms), to
         its observation at the Langfuse test server (Tests/Servers/langfuse_otlp_server.py, which agenttail ships
         to at the same time), or to its message reaching syslog-ng's HTTP sink (live.py).
many     (a) a thousand files growing at once, (b) ten thousand runs in the folder: descriptors, CPU, RSS, time,
         and that nothing was missed (many.py).
sinks    catch-up of the mixed corpus with the Supabase and Langfuse sinks on, against their test servers, and
         syslog-ng shipping to HTTP (sinks.py).
idle     CPU used over a minute with nothing written, after catching up (live.py).
resources  the CPU agenttail spends measuring a tool run (readings of the agent's process tree at 20 Hz), from
         the difference between following a test agent's idle tool with measuring on and off (resources.py).
report   `agenttail report` on a store holding 90 days of a busy agent (100,000 sessions, 2 million LLM calls,
         3 million tool runs, made once by busy_store.py and kept): a day, a week and all 90 days, as JSON; the
         target is under 2 s each.
records  on the same store: `agenttail mcp`'s tools over stdio and `agenttail ui`'s pages, the median of three of
         each, with the size of the answer (records.py).
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import live  # noqa: E402
import many  # noqa: E402
import records  # noqa: E402
import resources  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(rb"^\[\d+\] (REQUEST|RESPONSE|TOOL_RESULT)$", re.M)
BODY = re.compile(r"^(?:LLM Request|LLM Response|Tool Execution):\n\n", re.M)


class Result:
    def __init__(self, name: str, seconds: float, cpu: float | None, rss_kib: int | None):
        self.name, self.seconds, self.cpu, self.rss_kib = name, seconds, cpu, rss_kib


def corpus(work: Path, size_mb: int, shape: str = "mix") -> Path:
    folder = work / (f"corpus-{size_mb}" if shape == "mix" else f"corpus-{shape}-{size_mb}")
    if not (folder / "complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, str(ROOT / "scripts/bench/corpus.py"), str(folder), str(size_mb),
                        "--shape", shape], check=True)
        (folder / "complete").touch()
    return folder


def measure_process(command: list, work: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one process run to its end, as GNU time reports them (a child
    of this process would report this process's own size as its peak)."""
    report = work / "time.txt"
    subprocess.run(["/usr/bin/time", "-o", str(report), "-f", "%e %U %S %M", *command], check=True,
                   stdout=subprocess.DEVNULL)
    wall, user, system, rss = report.read_text().split()[-4:]
    return float(wall), float(user) + float(system), int(rss)


def floors(files: list, work: Path, binary: Path) -> list:
    seconds, cpu, rss = measure_process(["cat", *map(str, files)], work)
    results = [Result("floor: cat", max(seconds, 0.001), cpu, rss)]
    start, before = time.monotonic(), os.times()
    decoder = json.JSONDecoder()
    for path in files:
        text = path.read_text(errors="replace")
        for match in BODY.finditer(text):
            decoder.raw_decode(text, match.end())
    after = os.times()
    results.append(Result("floor: Python json", time.monotonic() - start,
                          (after.user - before.user) + (after.system - before.system), None))
    # One thread each, CPU-bound: their CPU seconds are their time.
    decoders = binary.parent / "agenttail-floors"
    output = subprocess.run([str(decoders), *map(str, files)], check=True, capture_output=True, text=True).stdout
    for line in output.splitlines():
        measure = json.loads(line)
        results.append(Result(f"floor: {measure['name']}", measure["seconds"], measure["seconds"], None))
    return results


def agenttail(work: Path, folder: Path, binary: Path) -> Result:
    run = work / "agenttail"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    config = run / "agenttail.yaml"
    config.write_text(f"""sources: [{{name: bench, paths: ["{folder}/*.log"], session_timeout: 1h}}]
state: {{path: {run}/state.sqlite}}
sinks: {{local: {{path: {run}/events.sqlite}}}}
""")
    seconds, cpu, rss = measure_process(
        [str(binary), "run", "--once", "--config", str(config), "--log-level", "error"], run)
    return Result("agenttail run --once", seconds, cpu, rss)


class Sink(BaseHTTPRequestHandler):
    """Counts the messages (JSON objects, one per line, the last of a batch without a newline) POSTed to it."""
    lines = 0
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Sink.lock:
            Sink.lines += body.count(b"{\"message\":")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *arguments):
        pass


def syslog_ng(work: Path, folder: Path, messages: int, files: int = 0) -> Result:
    run = work / "syslog-ng"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Sink.lines = 0
    config = run / "syslog-ng.conf"
    # Entries can be megabytes: log-msg-size must exceed the largest, or syslog-ng silently cuts them. max-files
    # above the corpus, or it silently skips files; the input window is divided among them.
    config.write_text(f"""@version: 3.38
options {{ log-msg-size(268435456); stats-freq(0); }};
source s_logs {{
  wildcard-file(base-dir("{folder}") filename-pattern("*.log") max-files({files + 1000}) follow-freq(1)
    multi-line-mode(regexp) multi-line-prefix("^\\\\[[0-9]+\\\\] (REQUEST|RESPONSE|TOOL_RESULT)$") multi-line-timeout(2)
    flags(no-parse) log-fetch-limit(1000) log-iw-size(1000000));
}};
destination d_http {{
  http(url("http://127.0.0.1:{server.server_port}/ingest") method("POST") body("$(format-json message=$MSG)")
    batch-lines(100) batch-bytes(4MB) batch-timeout(100) workers(2) log-fifo-size(1000000));
}};
log {{ source(s_logs); destination(d_http); }};
""")
    start = time.monotonic()
    process = subprocess.Popen(["syslog-ng", "-F", "-f", str(config), "-R", str(run / "persist"), "-p",
                                str(run / "pid"), "-c", str(run / "ctl"), "--no-caps"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Every entry is one message, plus one per file for the header before the first entry.
        deadline = start + 600
        while Sink.lines < messages:
            assert process.poll() is None and time.monotonic() < deadline, f"syslog-ng stopped at {Sink.lines} messages"
            time.sleep(0.02)
        seconds = time.monotonic() - start
        cpu, rss = live.cpu_seconds(process.pid), live.peak_rss_kib(process.pid)
    finally:
        live.stop(process)
        server.shutdown()
    return Result("syslog-ng 3.38 to HTTP", seconds, cpu, rss)


def largest_entry(path: Path) -> int:
    data = path.read_bytes()
    starts = [match.start() for match in ENTRY.finditer(data)] + [len(data)]
    return max((end - start for start, end in zip(starts, starts[1:])), default=0)


class Verdict:
    """One target of the benchmark, with its figure and whether it is met."""
    def __init__(self, target: str, figure: str, met: bool):
        self.target, self.figure, self.met = target, figure, met


VERDICTS: list = []


def verdict(target: str, figure: str, met: bool) -> None:
    VERDICTS.append(Verdict(target, figure, met))


def catchup_corpus(args: argparse.Namespace, shape: str, size_mb: int) -> None:
    folder = corpus(args.work, size_mb, shape)
    files = sorted(folder.glob("*.log"))
    size = sum(path.stat().st_size for path in files)
    entries = sum(len(ENTRY.findall(path.read_bytes())) for path in files)
    measure_process(["cat", *map(str, files)], args.work)  # warms the page cache
    # The floors are the same work at any shape: measured on the mixed corpus only.
    results = floors(files, args.work, args.agenttail) if shape == "mix" else []
    results.append(agenttail(args.work, folder, args.agenttail))
    results.append(syslog_ng(args.work, folder, entries + len(files), len(files)))
    print(f"\ncatch-up corpus {shape} {size_mb} MB: {len(files)} runs, {entries} entries, {size / 1e6:.1f} MB; "
          f"{os.cpu_count()} cores\n")
    print(f"{'':44} {'MB/s':>8} {'entries/s':>10} {'CPU-s/100MB':>12} {'peak RSS MB':>12}")
    for result in results:
        cpu = f"{result.cpu / (size / 1e8):.2f}" if result.cpu is not None else "-"
        rss = f"{result.rss_kib / 1024:.0f}" if result.rss_kib else "-"
        print(f"{result.name:44} {size / 1e6 / result.seconds:8.1f} {entries / result.seconds:10.0f} {cpu:>12} {rss:>12}")
    largest = max(largest_entry(path) for path in files)
    limit_mb = 60 + 2 * largest / 1e6
    ours, theirs = results[-2], results[-1]
    ratio = theirs.seconds / ours.seconds
    print(f"\nlargest entry {largest / 1e6:.1f} MB; peak RSS target 60 MB + twice that = {limit_mb:.0f} MB")
    print(f"agenttail / syslog-ng: speed {ratio:.2f}, CPU {ours.cpu / theirs.cpu:.2f}, "
          f"peak RSS {ours.rss_kib / theirs.rss_kib:.2f}", flush=True)
    verdict(f"catch-up {shape} {size_mb} MB: speed ≥ 2.0 × syslog-ng", f"{ratio:.2f} ×", ratio >= 2.0)
    verdict(f"catch-up {shape} {size_mb} MB: peak RSS ≤ {limit_mb:.0f} MB", f"{ours.rss_kib / 1024:.0f} MB",
            ours.rss_kib / 1024 <= limit_mb)


def catchup(args: argparse.Namespace) -> None:
    for size_mb in args.sizes:
        for shape in args.shapes:
            catchup_corpus(args, shape, size_mb)


def catchup_sinks(args: argparse.Namespace) -> None:
    import sinks
    folder = corpus(args.work, args.sizes[0], "mix")
    files = sorted(folder.glob("*.log"))
    size = sum(path.stat().st_size for path in files)
    entries = sum(len(ENTRY.findall(path.read_bytes())) for path in files)
    measure_process(["cat", *map(str, files)], args.work)
    seconds, cpu, rss, servers = sinks.run(args.agenttail, args.work, folder, measure_process)
    theirs = syslog_ng(args.work, folder, entries + len(files), len(files))
    ratio = theirs.seconds / seconds
    print(f"\ncatch-up with sinks on, corpus mix {args.sizes[0]} MB ({size / 1e6:.1f} MB, {entries} entries)\n")
    print(f"{'':44} {'MB/s':>8} {'entries/s':>10} {'CPU-s/100MB':>12} {'peak RSS MB':>12}")
    for name, wall, used, kib in [("agenttail run --once: local, Supabase, Langfuse", seconds, cpu, rss),
                                  (theirs.name, theirs.seconds, theirs.cpu, theirs.rss_kib)]:
        print(f"{name:44} {size / 1e6 / wall:8.1f} {entries / wall:10.0f} {used / (size / 1e8):12.2f} {kib / 1024:12.0f}")
    print(f"\nagenttail / syslog-ng: speed {ratio:.2f}; the test servers (PostgREST emulator, Langfuse server, "
          f"validating every request) used {servers:.1f} CPU-s on the same cores, agenttail {cpu:.1f}", flush=True)
    verdict(f"catch-up with sinks on, mix {args.sizes[0]} MB: speed ≥ 1.5 × syslog-ng", f"{ratio:.2f} ×", ratio >= 1.5)


def print_verdicts() -> None:
    if not VERDICTS:
        return
    width = max(len(v.target) for v in VERDICTS)
    print(f"\ntargets\n\n{'target':{width}}  {'figure':>10}  verdict")
    for v in VERDICTS:
        print(f"{v.target:{width}}  {v.figure:>10}  {'met' if v.met else 'NOT MET'}")
    print(f"\n{sum(v.met for v in VERDICTS)} of {len(VERDICTS)} targets met")


def live_latency(args: argparse.Namespace) -> None:
    local = live.live_agenttail(args.agenttail, args.work, args.live_files, args.live_rate, args.live_seconds,
                                langfuse=False)[0]
    results = live.live_agenttail(args.agenttail, args.work, args.live_files, args.live_rate, args.live_seconds)
    syslog = [live.live_syslog_ng(args.work, args.live_files, args.live_rate, args.live_seconds, freq)
              for freq in args.follow_freq]
    live.print_latency([local, *results, *syslog], args.live_files, args.live_rate, args.live_seconds)
    # The targets: the local store only, against syslog-ng following every second.
    reference = next((r for r in syslog if r.name.endswith(" 1 s")), syslog[0])
    ratio = local.cpu / reference.cpu
    p99 = live.percentile(local.values, .99)
    verdict(f"live at {args.live_rate:g} entries/s, local store: CPU ≤ 2 × {reference.name}", f"{ratio:.2f} ×",
            ratio <= 2)
    verdict(f"live at {args.live_rate:g} entries/s, local store: p99 ≤ 24 ms", f"{p99:.1f} ms", p99 <= 24)


def many_files(args: argparse.Namespace) -> None:
    freq = args.follow_freq[0]
    results = [many.growing_agenttail(args.agenttail, args.work, args.many_files, args.many_rate, args.many_seconds),
               many.growing_syslog_ng(args.work, args.many_files, args.many_rate, args.many_seconds, freq)]
    many.print_many(f"many files (a): {args.many_files} files growing at once, {args.many_rate:g} entries/s "
                    f"round-robin for {args.many_seconds:g} s (entries up to ~5 KB); lag: from the last write to the "
                    f"last row or message", "lag s", results)
    results = [many.folder_agenttail(args.agenttail, args.work, args.folder_files),
               many.folder_syslog_ng(args.work, args.folder_files, freq)]
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    many.print_many(f"many files (b): {args.folder_files} runs in the folder (one in 20 mid-run), followed live from "
                    f"start until every row or message is out; open-file limit {limit}", "seconds", results)
    ours, theirs = results
    verdict(f"{args.folder_files:,}-run folder: time ≤ syslog-ng's", f"{ours.seconds:.1f} / {theirs.seconds:.1f} s",
            ours.seconds <= theirs.seconds and ours.missed == 0)


def idle(args: argparse.Namespace) -> None:
    live.idle(args.agenttail, args.work, args.idle_files, args.idle_seconds, args.follow_freq)


def busy_store(agenttail: Path, work: Path) -> Path:
    """The 90-day store, made by agenttail's own migrations and filled by busy_store.py; kept for later runs."""
    folder = work / "busy-store"
    store = folder / "events.sqlite"
    config = folder / "agenttail.yaml"
    if (folder / "complete").exists():
        # A store kept from an older agenttail is brought up to date the way agenttail does it for any user:
        # its migrations, and the problems of its ended sessions, when agenttail opens it.
        subprocess.run([str(agenttail), "run", "--once", "--config", str(config), "--log-level", "error"],
                       check=True, stdout=subprocess.DEVNULL)
        return store
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "logs").mkdir(parents=True)
    config.write_text(f"sources:\n  - name: none\n    paths: ['{folder}/logs/*.log']\n    rules: builtin:mini-agent\n"
                      f"state:\n  path: {folder}/state.sqlite\nsinks:\n  local:\n    path: {store}\n")
    subprocess.run([str(agenttail), "run", "--once", "--config", str(config), "--log-level", "error"], check=True)
    started = time.monotonic()
    subprocess.run([sys.executable, str(ROOT / "scripts/bench/busy_store.py"), str(store)], check=True)
    # The rows went in behind agenttail's back: opening the store finds the problems of their ended sessions, as
    # agenttail does when each session ends.
    checking = time.monotonic()
    subprocess.run([str(agenttail), "run", "--once", "--config", str(config), "--log-level", "error"], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"problems of 100,000 ended sessions found in {time.monotonic() - checking:.0f} s", flush=True)
    if shutil.which("sqlite3"):
        subprocess.run(["sqlite3", str(store), "ANALYZE"], check=False)
    print(f"busy store made in {time.monotonic() - started:.0f} s: {store.stat().st_size / 1e9:.2f} GB", flush=True)
    (folder / "complete").touch()
    return store


def report_speed(args: argparse.Namespace) -> None:
    store = busy_store(args.agenttail, args.work)
    config = store.parent / "agenttail.yaml"
    cases = [("a day", ["--day", "2026-11-30"]), ("a day by model", ["--day", "2026-11-30", "--by", "model"]),
             ("a week", ["--week", "2026-W48"]), ("90 days", ["--from", "2026-09-02", "--to", "2026-12-01"]),
             ("90 days by workspace", ["--from", "2026-09-02", "--to", "2026-12-01", "--by", "workspace"]),
             ("90 days by model", ["--from", "2026-09-02", "--to", "2026-12-01", "--by", "model"])]
    measure_process(["cat", str(store)], args.work)  # warms the page cache
    print(f"\nreport on 90 days of a busy agent ({store.stat().st_size / 1e9:.2f} GB store), --format json, "
          f"warm cache, the median of three runs; target under 2 s\n")
    print(f"{'period':24} {'seconds':>8} {'CPU-s':>7} {'peak RSS MB':>12}  target")
    for name, period in cases:
        runs = sorted(measure_process(
            [str(args.agenttail), "report", "--config", str(config), *period, "--format", "json", "--output",
             str(args.work / "report.json")], args.work) for _ in range(3))
        seconds, cpu, rss = runs[1]
        print(f"{name:24} {seconds:8.2f} {cpu:7.2f} {rss / 1024:12.0f}  {'met' if seconds < 2 else 'NOT MET'}",
              flush=True)


def resource_sampling(args: argparse.Namespace) -> None:
    resources.run(args.agenttail, args.work)


def record_answers(args: argparse.Namespace) -> None:
    records.run(args.agenttail, busy_store(args.agenttail, args.work))


PARTS = {"catchup": catchup, "sinks": catchup_sinks, "live": live_latency, "many": many_files, "idle": idle, "report": report_speed,
         "resources": resource_sampling, "records": record_answers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--agenttail", type=Path, default=ROOT / ".build/release/agenttail", help="the binary")
    parser.add_argument("--only", default=",".join(PARTS), help="parts to run, comma-separated")
    parser.add_argument("--work", type=Path, default=Path("/tmp/agenttail-bench"),
                        help="scratch folder; generated corpora are kept there for later runs")
    parser.add_argument("--sizes", type=lambda text: [int(x) for x in text.split(",")], default=[200],
                        help="catch-up corpus sizes in MB, comma-separated (the issue's targets: 200,1000)")
    parser.add_argument("--size-mb", type=int, help="one catch-up corpus size (the same as --sizes N)")
    parser.add_argument("--shapes", type=lambda text: [x.strip() for x in text.split(",")],
                        default=["mix", "huge", "small", "long"],
                        help="catch-up corpus shapes (scripts/bench/corpus.py): mix, huge, small, long")
    parser.add_argument("--live-rate", type=float, default=200, help="live: entries/s, all files together")
    parser.add_argument("--live-seconds", type=float, default=20, help="live: how long the writer writes")
    parser.add_argument("--live-files", type=int, default=4, help="live: files written at once")
    parser.add_argument("--follow-freq", type=lambda text: [float(x) for x in text.split(",")], default=[1, 0.1],
                        help="syslog-ng follow-freq values (s) for live and idle; many uses the first")
    parser.add_argument("--many-files", type=int, default=1000, help="many (a): files growing at once")
    parser.add_argument("--many-rate", type=float, default=250, help="many (a): entries/s, all files together")
    parser.add_argument("--many-seconds", type=float, default=20, help="many (a): how long the writer writes")
    parser.add_argument("--folder-files", type=int, default=10000, help="many (b): runs in the folder")
    parser.add_argument("--idle-seconds", type=float, default=60, help="idle: measurement window")
    parser.add_argument("--idle-files", type=int, default=100, help="idle: runs followed")
    args = parser.parse_args()
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    args.agenttail = args.agenttail.resolve()
    if not os.access(args.agenttail, os.X_OK):
        parser.error(f"{args.agenttail} is not an executable; build it (swift build -c release) or pass --agenttail")
    if args.size_mb:
        args.sizes = [args.size_mb]
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"agenttail {args.agenttail}; {os.cpu_count()} cores; parts: {', '.join(parts)}", flush=True)
    for part in parts:
        started = time.monotonic()
        PARTS[part](args)
        print(f"({part}: {time.monotonic() - started:.0f} s)", flush=True)
    print_verdicts()


if __name__ == "__main__":
    main()
