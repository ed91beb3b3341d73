"""Many-files benchmarks, agenttail against syslog-ng (used by bench.py; the pieces come from live.py).

(a) growing: the writer appends small entries round-robin to N files at once (a lane whose run ends starts a new
    file, so somewhat more than N files exist at the end);
(b) folder: M whole runs, one in 20 stopped mid-way, are in the folder before the tool starts, which runs live.

For each tool: peak open descriptors (/proc/PID/fd, sampled every 50 ms), CPU seconds (/proc/PID/stat), peak RSS
(VmHWM), the time it needed, and whether anything was missed: every row (agenttail: each llm_calls and tool_executions
row by key, each file with an agent_sessions row) or every message (syslog-ng: each entry and each file's header, by
file and entry number).
"""
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import (Agenttail, FdSampler, StoreWatcher, SyslogNg, Written, cpu_seconds, fresh, peak_rss_kib,  # noqa: E402
                  prepared_folder, received, start_writer, stop, wait_for, warm_rows, warm_up)


@dataclass
class Many:
    name: str
    expected: int        # rows (agenttail) or messages (syslog-ng)
    missed: int
    files: int           # files written
    files_missed: int    # files without a session row (agenttail) or without their header message (syslog-ng)
    seconds: float       # (a) from the writer's last write to the last row seen; (b) from start to the last row seen
    peak_fds: int
    cpu: float
    rss_kib: int


def write_while_measuring(pid: int, folder: Path, base: Path, files: int, rate: float,
                          seconds: float) -> tuple:
    """Starts sampling `pid`'s descriptors and notes its CPU time, then runs the writer to its end; returns the
    sampler, the CPU time before writing and what was written."""
    fds = FdSampler(pid)
    cpu_start = cpu_seconds(pid)
    writer = start_writer(folder, base / "written.json", files, rate, seconds, "small")
    writer.wait()
    assert writer.returncode == 0, "the writer failed"
    return fds, cpu_start, Written(base / "written.json", folder)


def growing_agenttail(binary: Path, work: Path, files: int, rate: float, seconds: float) -> Many:
    """(a) for agenttail: started on a folder holding a warm-up run; once that run is in the store, the writer starts;
    the store is then read every 100 ms until every row the writer completed is there (or 120 s after it ended)."""
    base = fresh(work / "many-growing-agenttail")
    folder = fresh(base / "logs")
    warm_name = warm_up(folder)
    tool = Agenttail(binary, base / "run", folder)
    writer = fds = None
    try:
        watcher = StoreWatcher(tool.store)
        wait_for(lambda: warm_rows(watcher, warm_name), 60, "agenttail ingesting the warm-up run", tool.process)
        fds, cpu_start, written = write_while_measuring(tool.pid, folder, base, files, rate, seconds)
        deadline = time.monotonic() + 120
        while not all(key in watcher.seen for key in written.rows) and time.monotonic() < deadline:
            assert tool.process.poll() is None, "agenttail exited"
            watcher.poll()
            time.sleep(0.1)
        caught_up = time.monotonic()
        cpu, rss, peak = cpu_seconds(tool.pid) - cpu_start, peak_rss_kib(tool.pid), fds.stop()
        paths = watcher.counts()["paths"]
        watcher.close()
    finally:
        if fds is not None:
            fds.stop()
        stop(writer)
        tool.stop()
    missed = [key for key in written.rows if key not in watcher.seen]
    no_session = [name for name in written.files if str(folder / name) not in paths]
    if missed or no_session:
        print(f"agenttail, {files} growing files: {len(missed)} rows missing (e.g. {missed[:3]}), {len(no_session)} "
              f"files without a session (e.g. {no_session[:3]}); store {tool.store}", file=sys.stderr)
    return Many("agenttail", len(written.rows), len(missed), len(written.files), len(no_session),
                max(0.0, caught_up - written.end), peak, cpu, rss)


def growing_syslog_ng(work: Path, files: int, rate: float, seconds: float, follow_freq: float) -> Many:
    """(a) for syslog-ng, max-files well above the files written: waits until the sink has every entry written and
    every file's header (each file's last entry comes out after multi-line-timeout), or 120 s after the writer ended."""
    base = fresh(work / "many-growing-syslog-ng")
    folder = fresh(base / "logs")
    warm_name = warm_up(folder)
    tool = SyslogNg(base / "run", folder, follow_freq, max_files=3 * files + 100)
    writer = fds = None
    try:
        wait_for(lambda: received(tool.sink, [(warm_name, 1)]), 60, "syslog-ng shipping the warm-up run", tool.process)
        fds, cpu_start, written = write_while_measuring(tool.pid, folder, base, files, rate, seconds)
        assert len(written.files) < 3 * files + 100, "more files than max-files"
        expected = [(name, number) for name, number, *_ in written.completions] + [(name, 0) for name in written.files]
        deadline = time.monotonic() + 120
        while received(tool.sink, expected) < len(expected) and time.monotonic() < deadline:
            assert tool.process.poll() is None, "syslog-ng exited"
            time.sleep(0.1)
        caught_up = time.monotonic()
        cpu, rss, peak = cpu_seconds(tool.pid) - cpu_start, peak_rss_kib(tool.pid), fds.stop()
    finally:
        if fds is not None:
            fds.stop()
        stop(writer)
        tool.stop()
    with tool.sink.lock:
        missed = [key for key in expected if key not in tool.sink.seen]
        no_header = [name for name in written.files if (name, 0) not in tool.sink.seen]
    if missed:
        print(f"syslog-ng, {files} growing files: {len(missed)} messages missing, e.g. {missed[:3]}", file=sys.stderr)
    return Many(f"syslog-ng follow-freq {follow_freq:g} s", len(expected), len(missed), len(written.files),
                len(no_header), max(0.0, caught_up - written.end), peak, cpu, rss)


def folder_agenttail(binary: Path, work: Path, count: int) -> Many:
    """(b) for agenttail: `run` started on the prepared folder; the store is read every 100 ms until it holds every
    row of the manifest (or 600 s)."""
    folder = work / f"many-{count}"
    manifest = prepared_folder(folder, count, "short")
    rows = sum(m["llm"] + m["tool"] for m in manifest.values())
    start = time.monotonic()
    tool = Agenttail(binary, work / f"many-{count}-agenttail", folder)
    fds = FdSampler(tool.pid)
    watcher = StoreWatcher(tool.store)
    try:
        def done():
            try:
                counts = watcher.counts() if tool.store.exists() else None
            except sqlite3.OperationalError:
                return None
            return counts if counts and counts["llm_calls"] + counts["tool_executions"] >= rows else None
        deadline = time.monotonic() + 600
        counts = None
        while counts is None and time.monotonic() < deadline:
            assert tool.process.poll() is None, "agenttail exited"
            counts = done()
            time.sleep(0.1)
        seconds = time.monotonic() - start
        cpu, rss, peak = cpu_seconds(tool.pid), peak_rss_kib(tool.pid), fds.stop()
        counts = counts or watcher.counts()
    finally:
        fds.stop()
        tool.stop()
    found = counts["llm_calls"] + counts["tool_executions"]
    no_session = [name for name in manifest if str(folder / name) not in counts["paths"]]
    if found != rows or no_session:
        print(f"agenttail, {count} files: {found} rows of {rows}, {len(no_session)} files without a session "
              f"(e.g. {no_session[:3]}); store {tool.store}", file=sys.stderr)
    return Many("agenttail", rows, rows - found, count, len(no_session), seconds, peak, cpu, rss)


def folder_syslog_ng(work: Path, count: int, follow_freq: float) -> Many:
    """(b) for syslog-ng with max-files above the count: from start until the sink has every entry and every file's
    header (or 600 s)."""
    folder = work / f"many-{count}"
    manifest = prepared_folder(folder, count, "short")
    expected = [(name, n) for name, m in manifest.items() for n in range(m["entries"] + 1)]
    start = time.monotonic()
    tool = SyslogNg(work / f"many-{count}-syslog-ng", folder, follow_freq, max_files=count + 1000)
    fds = FdSampler(tool.pid)
    try:
        deadline = time.monotonic() + 600
        while received(tool.sink, expected) < len(expected) and time.monotonic() < deadline:
            assert tool.process.poll() is None, "syslog-ng exited"
            time.sleep(0.1)
        seconds = time.monotonic() - start
        cpu, rss, peak = cpu_seconds(tool.pid), peak_rss_kib(tool.pid), fds.stop()
    finally:
        fds.stop()
        tool.stop()
    with tool.sink.lock:
        missed = [key for key in expected if key not in tool.sink.seen]
        no_header = [name for name in manifest if (name, 0) not in tool.sink.seen]
    if missed:
        print(f"syslog-ng, {count} files: {len(missed)} messages missing, e.g. {missed[:3]}", file=sys.stderr)
    return Many(f"syslog-ng follow-freq {follow_freq:g} s", len(expected), len(missed), count, len(no_header),
                seconds, peak, cpu, rss)


def print_many(title: str, seconds_label: str, results: list) -> None:
    print(f"\n{title}\n")
    print(f"{'':30} {'rows/msgs':>9} {'missed':>6} {'files':>6} {'no session/header':>17} {seconds_label:>9} "
          f"{'peak fds':>8} {'CPU s':>7} {'peak RSS MB':>11}")
    for r in results:
        print(f"{r.name:30} {r.expected:9d} {r.missed:6d} {r.files:6d} {r.files_missed:17d} {r.seconds:9.2f} "
              f"{r.peak_fds:8d} {r.cpu:7.2f} {r.rss_kib / 1024:11.0f}")
    ours, theirs = results[0], results[-1]
    time_ratio = f"{seconds_label.strip()} {theirs.seconds / ours.seconds:.2f}x, " if ours.seconds > 0 else ""
    print(f"{theirs.name} / agenttail: {time_ratio}CPU {theirs.cpu / ours.cpu:.2f}x, peak fds "
          f"{theirs.peak_fds / ours.peak_fds:.1f}x, peak RSS {theirs.rss_kib / ours.rss_kib:.2f}x")
