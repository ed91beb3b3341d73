#!/usr/bin/env python3
"""Catch-up benchmark: agenttail against syslog-ng on the same Mini-Agent corpus, with the floors.

    python3 scripts/bench/bench.py [--size-mb 200] [--work DIR]      (scripts/bench.sh builds and installs first)

Measured on a warm page cache, one after the other:
- floor: reading the corpus (cat to /dev/null) and decoding every entry's JSON body with Python's json module;
- agenttail: `run --once` into the embedded store (full parsing, durable commits), release build;
- syslog-ng: each entry framed as one multi-line message and shipped as one JSON line over HTTP to a local sink,
  until the sink has every message.
Prints MB/s, entries/s, CPU seconds per 100 MB and peak RSS for each, and the ratio agenttail / syslog-ng.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(rb"^\[\d+\] (REQUEST|RESPONSE|TOOL_RESULT)$", re.M)
BODY = re.compile(r"^(?:LLM Request|LLM Response|Tool Execution):\n\n", re.M)


class Result:
    def __init__(self, name: str, seconds: float, cpu: float | None, rss_kib: int | None):
        self.name, self.seconds, self.cpu, self.rss_kib = name, seconds, cpu, rss_kib


def corpus(work: Path, size_mb: int) -> Path:
    folder = work / f"corpus-{size_mb}"
    if not folder.exists():
        subprocess.run([sys.executable, str(ROOT / "scripts/bench/corpus.py"), str(folder), str(size_mb)], check=True)
    return folder


def measure_process(command: list, work: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one process run to its end, as GNU time reports them (a child
    of this process would report this process's own size as its peak)."""
    report = work / "time.txt"
    subprocess.run(["/usr/bin/time", "-o", str(report), "-f", "%e %U %S %M", *command], check=True,
                   stdout=subprocess.DEVNULL)
    wall, user, system, rss = report.read_text().split()[-4:]
    return float(wall), float(user) + float(system), int(rss)


def floors(files: list, work: Path) -> list:
    seconds, cpu, rss = measure_process(["cat", *map(str, files)], work)
    results = [Result("floor: cat", seconds, cpu, rss)]
    start, before = time.monotonic(), os.times()
    decoder = json.JSONDecoder()
    for path in files:
        text = path.read_text(errors="replace")
        for match in BODY.finditer(text):
            decoder.raw_decode(text, match.end())
    after = os.times()
    results.append(Result("floor: Python json", time.monotonic() - start,
                          (after.user - before.user) + (after.system - before.system), None))
    return results


def agenttail(work: Path, folder: Path) -> Result:
    run = work / "agenttail"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    config = run / "agenttail.yaml"
    config.write_text(f"""sources: [{{name: bench, paths: ["{folder}/*.log"], session_timeout: 1h}}]
state: {{path: {run}/state.sqlite}}
sinks: {{local: {{path: {run}/events.sqlite}}}}
""")
    binary = ROOT / ".build/release/agenttail"
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


def syslog_ng(work: Path, folder: Path, messages: int) -> Result:
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
  wildcard-file(base-dir("{folder}") filename-pattern("*.log") max-files(1000) follow-freq(1)
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
    # Every entry is one message, plus one per file for the header before the first entry.
    deadline = start + 600
    while Sink.lines < messages:
        assert process.poll() is None and time.monotonic() < deadline, f"syslog-ng stopped at {Sink.lines} messages"
        time.sleep(0.02)
    seconds = time.monotonic() - start
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
               if line.startswith("VmHWM:"))
    process.terminate()
    process.wait(timeout=30)
    server.shutdown()
    return Result("syslog-ng 3.38 to HTTP", seconds, cpu, rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("/tmp/agenttail-bench"))
    args = parser.parse_args()
    folder = corpus(args.work, args.size_mb)
    files = sorted(folder.glob("*.log"))
    size = sum(path.stat().st_size for path in files)
    entries = sum(len(ENTRY.findall(path.read_bytes())) for path in files)
    floors(files, args.work)  # warms the page cache
    results = floors(files, args.work)
    results.append(agenttail(args.work, folder))
    results.append(syslog_ng(args.work, folder, entries + len(files)))
    print(f"\ncorpus: {len(files)} runs, {entries} entries, {size / 1e6:.1f} MB; {os.cpu_count()} cores\n")
    print(f"{'':28} {'MB/s':>8} {'entries/s':>10} {'CPU-s/100MB':>12} {'peak RSS MB':>12}")
    for result in results:
        cpu = f"{result.cpu / (size / 1e8):.2f}" if result.cpu is not None else "-"
        rss = f"{result.rss_kib / 1024:.0f}" if result.rss_kib else "-"
        print(f"{result.name:28} {size / 1e6 / result.seconds:8.1f} {entries / result.seconds:10.0f} {cpu:>12} {rss:>12}")
    ours, theirs = results[-2], results[-1]
    print(f"\nagenttail / syslog-ng: speed {theirs.seconds / ours.seconds:.2f}, CPU {ours.cpu / theirs.cpu:.2f}, "
          f"peak RSS {ours.rss_kib / theirs.rss_kib:.2f}")


if __name__ == "__main__":
    main()
