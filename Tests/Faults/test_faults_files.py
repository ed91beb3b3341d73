"""Fault tests, second half: files changing under a live `agenttail run`, bad input, a full state disk and malformed
configs, with the real binary (AGENTTAIL_BIN) on real files.

File scenarios end with the local store compared row by row to a clean reference run over what the files should mean
(see files_support), or to the rows the scenario spells out. Where agenttail must see several file operations as
one change, it is held with SIGSTOP while they happen.
"""
import errno
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import pytest

from files_support import (NOBODY, LocalWorkspace, LogFile, RunLog, append, assert_rows, complete_run,
                           reference_rows, wait_for_rows, wait_until)
from stack import BINARY

START = datetime(2026, 11, 26, 10, 0, 0)


def minutes(count: int) -> datetime:
    """START plus `count` minutes, so that each run in a test starts at its own time."""
    return START + timedelta(minutes=count)


@pytest.fixture
def workspaces(tmp_path):
    """Makes workspaces (under tmp_path unless `base` is given) and kills any agenttail a failed test left running."""
    made = []

    def make(name: str = "live", base: Path | None = None, **options) -> LocalWorkspace:
        workspace = LocalWorkspace((base or tmp_path) / name, **options)
        made.append(workspace)
        return workspace

    yield make
    for workspace in made:
        workspace.kill()


def settle(workspace: LocalWorkspace, expected: dict) -> None:
    """Waits for the expected rows, stops agenttail, and checks that neither the stop nor a restart changes them."""
    wait_for_rows(workspace, expected)
    workspace.stop()
    assert workspace.error_lines() == [], "agenttail logged errors:\n" + "\n".join(workspace.error_lines())
    assert_rows(workspace, expected, "after SIGTERM")
    workspace.once()
    assert_rows(workspace, expected, "after a restart with run --once")


def read_up_to(workspace: LocalWorkspace, path: Path, size: int) -> None:
    """Waits until agenttail's checkpoint of `path` says it has read `size` bytes, and the rows it made of them
    reached the store."""
    wait_until(lambda: workspace.checkpoint_sizes().get(str(path)) == size and workspace.outbox_empty(),
               f"agenttail to read {size} bytes of {path.name} and deliver their rows", workspace)


def open_paths(pid: int) -> set:
    """The files a process holds open."""
    folder = Path(f"/proc/{pid}/fd")
    paths = set()
    for entry in folder.iterdir():
        try:
            paths.add(os.readlink(entry))
        except FileNotFoundError:
            continue
    return paths


def recreate_on_same_inode(path: Path, data: bytes) -> None:
    """Deletes `path` and writes `data` in a new file on the freed inode: files are created beside it, under names
    the glob does not match, until one gets that inode (other processes may take freed inodes first), and that one
    is renamed to `path`."""
    inode = path.stat().st_ino
    path.unlink()
    misses = []
    try:
        for number in range(1000):
            candidate = path.with_name(f"inode-{number}.tmp")
            candidate.write_bytes(data)
            if candidate.stat().st_ino == inode:
                candidate.rename(path)
                return
            misses.append(candidate)
    finally:
        for miss in misses:
            miss.unlink()
    raise AssertionError(f"none of 1000 new files got the freed inode {inode}; the scenario needs it")


# 1. File operations under a live `agenttail run`.

def test_log_renamed_out_of_the_glob_and_recreated(tmp_path, workspaces):
    """logrotate's rename and create while a record is half read: the rest of the old run is drained through the
    open descriptor and the run completes; the new file under the old name is a run of its own."""
    workspace = workspaces()
    path = workspace.logs / "agent_run_1.log"
    old = complete_run("before rotation", START, steps=3)
    new = complete_run("after rotation", minutes(5))
    cut = old.offsets[4] + 100
    workspace.start()
    append(path, old.data[:cut])
    read_up_to(workspace, path, cut)
    with workspace.frozen():
        append(path, old.data[cut:])
        os.rename(path, workspace.logs / "agent_run_1.log.1")
        path.write_bytes(new.data)
    settle(workspace, reference_rows(tmp_path, [LogFile(path.name, bytes(old.data)),
                                                LogFile(path.name, bytes(new.data))]))


def test_copytruncate(tmp_path, workspaces):
    """logrotate's copytruncate: the file is copied aside and truncated, and the writer goes on at offset 0. The
    first part ends as a session of its own (failed: its last request got no answer in it); the rest, longer than
    what was read, is recognised by its first bytes and read from the start as a new session."""
    workspace = workspaces()
    path = workspace.logs / "agent_run_1.log"
    log = RunLog(START)
    for number in range(4):
        log.step("copied then truncated", number, padding=0 if number < 2 else 3000)
    log.finish("copied then truncated", 4)
    cut = log.offsets[7] - 1
    first, rest = bytes(log.data[:cut]), bytes(log.data[cut:])
    assert len(rest) > len(first), "the scenario needs the rest to outgrow the part read before the truncation"
    workspace.start()
    append(path, first)
    read_up_to(workspace, path, len(first))
    with workspace.frozen():
        shutil.copyfile(path, workspace.logs / "agent_run_1.log.1")
        os.truncate(path, 0)
        append(path, rest)
    settle(workspace, reference_rows(tmp_path, [LogFile(path.name, first, concluded=True), LogFile(path.name, rest)]))


def test_deleted_and_recreated_with_the_same_inode(tmp_path, workspaces):
    """A file deleted and written anew reuses the freed inode. Live, with the old file's descriptor closed (more
    files than max_open_files), the new file must not be taken for the old one grown; after a stop, the stored
    checkpoint must not be claimed by it. Each replaced run ends abandoned."""
    workspace = workspaces(tailing="tailing:\n  max_open_files: 4")
    path = workspace.logs / "agent_run_1.log"
    first = complete_run("first tenant", START, steps=3)
    second = complete_run("second tenant", minutes(10), steps=3)
    third = complete_run("third tenant", minutes(20))
    first_part, second_part = bytes(first.data[:first.offsets[6] - 1]), bytes(second.data[:second.offsets[6] - 1])
    others = [LogFile(f"agent_run_other_{number}.log", bytes(complete_run(f"other {number}", minutes(number)).data))
              for number in range(1, 5)]
    workspace.start()
    path.write_bytes(first_part)
    read_up_to(workspace, path, len(first_part))
    for other in others:
        (workspace.logs / other.name).write_bytes(other.data)
    wait_until(lambda: str(path) not in open_paths(workspace.process.pid),
               "agenttail to close the least recently used file", workspace)
    with workspace.frozen():
        recreate_on_same_inode(path, second_part)
    settle(workspace, reference_rows(tmp_path / "live-phase", [
        LogFile(path.name, first_part, concluded=True), LogFile(path.name, second_part), *others]))

    recreate_on_same_inode(path, bytes(third.data))
    workspace.once()
    assert_rows(workspace, reference_rows(tmp_path / "stopped-phase", [
        LogFile(path.name, first_part, concluded=True), LogFile(path.name, second_part, concluded=True),
        LogFile(path.name, bytes(third.data)), *others]), "after the inode was reused while agenttail was stopped")


def test_log_renamed_inside_the_glob_while_it_grows(tmp_path, workspaces):
    """A run's log, first tracked while small (its header alone, quiet for 2 s, as while an agent waits for its
    first answer), grows and is renamed to another name the glob matches while its writer goes on appending
    mid-line: it keeps its session under the new name, and the new file under the old name, written meanwhile, is a
    run of its own. A 1 s rescan interval lets agenttail look at the quiet small file again soon."""
    workspace = workspaces(tailing="tailing:\n  rescan_interval: 1s")
    path, rotated = workspace.logs / "agent_run_1.log", workspace.logs / "agent_run_1.old.log"
    log = complete_run("growing", START, steps=4)
    first, header_end = bytes(log.data), log.offsets[0] - 1
    second = bytes(complete_run("written meanwhile", minutes(5), steps=2).data)
    pieces = [first[start:start + 181] for start in range(header_end, len(first), 181)]
    half = len(pieces) // 2
    workspace.start()
    with open(path, "ab", buffering=0) as writer:
        writer.write(first[:header_end])
        wait_until(lambda: str(path) in workspace.checkpoint_sizes(), "agenttail to track the quiet header-only file",
                   workspace)
        for piece in pieces[:half]:
            writer.write(piece)
        read_up_to(workspace, path, header_end + sum(map(len, pieces[:half])))
        with workspace.frozen():
            writer.write(pieces[half])
            os.rename(path, rotated)
            writer.write(pieces[half + 1])
            append(path, second[:len(second) // 2])
        for piece in pieces[half + 2:]:
            writer.write(piece)
    append(path, second[len(second) // 2:])
    settle(workspace, reference_rows(tmp_path, [LogFile(rotated.name, first), LogFile(path.name, second)]))


def test_entry_without_its_final_newline_waits_for_it(tmp_path, workspaces):
    """A tool result whose closing line has no newline yet gives no row, not even across a restart; once the newline
    comes, it arrives exactly once, and so does the final answer written the same way."""
    workspace = workspaces()
    path = workspace.logs / "agent_run_1.log"
    log = complete_run("newline pending", START, steps=2)
    data, result_end = bytes(log.data), log.offsets[3] - 1

    def counts():
        return workspace.query("select (select count(*) from llm_calls), (select count(*) from tool_executions), "
                               "(select status from agent_sessions)")[0]

    workspace.start()
    append(path, data[:result_end - 1])
    read_up_to(workspace, path, result_end - 1)
    assert counts() == (1, 0, "running"), "the tool result gave a row before its last line was complete"
    workspace.stop()
    workspace.once()
    assert counts() == (1, 0, "running"), "a restart made a row of the tool result whose last line is incomplete"
    workspace.start()
    append(path, b"\n")
    wait_until(lambda: counts() == (1, 1, "running"), "the tool result once its newline came", workspace)
    append(path, data[result_end:-1])
    read_up_to(workspace, path, len(data) - 1)
    assert counts() == (2, 2, "running"), "the final answer counted before its last line was complete"
    append(path, b"\n")
    settle(workspace, reference_rows(tmp_path, [LogFile(path.name, data)]))


def test_log_folder_reached_through_a_symlink(tmp_path, workspaces):
    """The config's folder is a symbolic link: files are followed through it, and when the link is switched to
    another folder (a daily folder, say), the new folder's files are read and the old ones concluded."""
    monday, tuesday, link = tmp_path / "logs-monday", tmp_path / "logs-tuesday", tmp_path / "current"
    monday.mkdir()
    tuesday.mkdir()
    link.symlink_to(monday)
    workspace = workspaces(logs=link, tailing="tailing:\n  rescan_interval: 1s")
    first = bytes(complete_run("through the link", START).data)
    second = bytes(complete_run("after the switch", minutes(1)).data)
    workspace.start()
    append(link / "agent_run_a.log", first[:len(first) // 2])
    append(link / "agent_run_a.log", first[len(first) // 2:])
    wait_for_rows(workspace, reference_rows(tmp_path / "monday", [LogFile("agent_run_a.log", first)]))
    (tuesday / "agent_run_b.log").write_bytes(second)
    (tmp_path / "next").symlink_to(tuesday)
    os.replace(tmp_path / "next", link)
    settle(workspace, reference_rows(tmp_path / "tuesday", [LogFile("agent_run_a.log", first),
                                                            LogFile("agent_run_b.log", second)]))


@pytest.mark.parametrize("mode", ["once", "live"])
def test_more_files_than_the_process_may_open_are_all_read(tmp_path, workspaces, mode):
    """A folder of 300 logs read by an agenttail that may hold only 64 descriptors (soft and hard limit, so it cannot
    raise them): it closes and reopens files as it goes, and every file's rows arrive, as in a run without a limit."""
    workspace = workspaces()
    for number in range(300):
        run = complete_run(f"crowd {number}", minutes(number), steps=1)
        (workspace.logs / f"agent_run_{number:04}.log").write_bytes(bytes(run.data))
    clean = workspaces(base=tmp_path / "clean", logs=workspace.logs)
    clean.once()
    expected = clean.rows()
    assert len([label for label in expected if label.startswith("session ")]) == 300
    limit = ["prlimit", "--nofile=64:64"]
    command = workspace.command
    workspace.command = lambda *arguments: [*limit, *command(*arguments)]
    if mode == "once":
        result = workspace.once()
        assert "cannot open" not in result.stderr, result.stderr
    else:
        workspace.start()
        wait_for_rows(workspace, expected, timeout=60)
        assert "cannot open" not in workspace.stop()
    assert_rows(workspace, expected, f"{mode} with 64 descriptors")


# 2. Bad input, read by `run --once` and live.

TASK = "bad input"
GOOD_ROWS = ([("completed", 3, 2, 0)],
             [(f"step 0 of {TASK}",), (f"step 1 of {TASK}",), (f"{TASK}: done",)],
             [("call_echo 0", "0\n", 1), ("call_echo 1", "1\n", 1)])


def binary_junk(log: RunLog) -> int:
    """A PNG signature and seeded random bytes, as a stray binary write leaves."""
    return log.raw(b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(3000) + b"\n")


def restart_numbering(log: RunLog) -> None:
    """The following entries are numbered from 1 again, out of order with the ones before."""
    log.writer.counter = 0


@dataclass
class BadInput:
    """Bad bytes written between the first and second step of a three-step run, and the error row they must give
    (none when `message` is None)."""

    id: str
    write: Callable[[RunLog], int | None]
    message: str | None = None
    crlf: bool = False

    def build(self) -> tuple:
        """The file's bytes, where the first step ends, and the offset of the bad record."""
        log = RunLog(START)
        log.step(TASK, 0)
        split = len(log.data)
        offset = self.write(log)
        log.step(TASK, 1)
        log.finish(TASK, 2)
        data = bytes(log.data)
        if self.crlf:
            return data.replace(b"\n", b"\r\n"), len(data[:split].replace(b"\n", b"\r\n")), offset
        return data, split, offset


BAD_INPUTS = [
    BadInput("truncated_json",
             lambda log: log.entry("RESPONSE", "LLM Response:", b'{\n  "content": "killed in the mid'),
             "the record ended before its JSON body was complete"),
    BadInput("invalid_utf8", lambda log: log.entry(
        "TOOL_RESULT", "Tool Execution:", b'{"tool_name": "bash", "success": true, "result": "caf\xe9 \xff\xfe"}'),
        "invalid JSON body: invalid UTF-8"),
    BadInput("nul_bytes", lambda log: log.raw(b"\0" * 4096 + b"\n"), "text outside any record"),
    BadInput("binary_junk", binary_junk, "text outside any record"),
    BadInput("crlf_line_ends", lambda log: None, crlf=True),
    BadInput("unknown_entry_type", lambda log: log.entry("THOUGHT", "Thought:", {"text": "thinking aloud"}),
             "no record rule matches this record (type THOUGHT)"),
    BadInput("out_of_order_numbers", restart_numbering),
]


def good_rows(workspace: LocalWorkspace) -> tuple:
    """The session, the LLM outputs and the tool results, as GOOD_ROWS lists them."""
    return (workspace.query("select status, llm_calls, tool_calls, tool_errors from agent_sessions"),
            workspace.query("select output from llm_calls order by seq"),
            workspace.query("select tool_call_id, result, success from tool_executions order by started_at"))


def feed(workspace: LocalWorkspace, path: Path, data: bytes, split: int, mode: str, done: Callable) -> None:
    """Lets agenttail read a file: whole with `run --once`, or live: the bytes up to `split`, then once agenttail
    has read them the rest (in writes of 8 MiB at most), waiting for `done` before stopping agenttail."""
    if mode == "once":
        path.write_bytes(data)
        workspace.once()
        return
    workspace.start()
    append(path, data[:split])
    read_up_to(workspace, path, split)
    for start in range(split, len(data), 8 << 20):
        append(path, data[start:start + (8 << 20)])
    wait_until(done, "the rows of the whole file", workspace, timeout=60)
    workspace.stop()
    assert workspace.error_lines() == [], "agenttail logged errors:\n" + "\n".join(workspace.error_lines())


@pytest.mark.parametrize("mode", ["once", "live"])
@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.id)
def test_bad_input_becomes_an_error_row_and_the_rest_arrives(case, mode, workspaces):
    """Each bad record gives one parser error row carrying the file and the record's byte offset; the good records
    around it give their rows as if it were not there."""
    workspace = workspaces()
    path = workspace.logs / "agent_run_1.log"
    data, split, offset = case.build()
    feed(workspace, path, data, split, mode, lambda: good_rows(workspace) == GOOD_ROWS)
    assert good_rows(workspace) == GOOD_ROWS
    errors = [(source, message, json.loads(metadata))
              for source, message, metadata in workspace.query("select source, message, metadata from agent_errors")]
    if case.message is None:
        assert errors == [], f"error rows for good input: {errors}"
        return
    assert len(errors) == 1, f"expected one error row, got {errors}"
    source, message, metadata = errors[0]
    assert source == "parser" and message.startswith(case.message), (source, message)
    assert (metadata.get("source_path"), metadata.get("offset")) == (str(path), offset), metadata


@pytest.mark.parametrize("mode", ["once", "live"])
def test_empty_file_is_read_once_it_gets_content(mode, tmp_path, workspaces):
    """An empty file matching the glob gives nothing and breaks nothing; what is written into it later is read."""
    workspace = workspaces()
    empty, other = workspace.logs / "agent_run_empty.log", workspace.logs / "agent_run_other.log"
    later, beside = bytes(complete_run("written later", minutes(1)).data), bytes(complete_run("beside", START).data)
    empty.touch()
    other.write_bytes(beside)
    if mode == "once":
        workspace.once()
    else:
        workspace.start()
    wait_for_rows(workspace, reference_rows(tmp_path / "before", [LogFile(other.name, beside)]))
    append(empty, later)
    expected = reference_rows(tmp_path / "after", [LogFile(other.name, beside), LogFile(empty.name, later)])
    if mode == "once":
        workspace.once()
        assert_rows(workspace, expected, "after the second run")
    else:
        settle(workspace, expected)


@pytest.mark.parametrize("mode", ["once", "live"])
def test_100_mb_entry(mode, workspaces):
    """A tool result of 100 MiB in one entry arrives whole, and the records around it too."""
    size = 100 << 20
    log = RunLog(START)
    log.step(TASK, 0)
    split = len(log.data)
    log.request(TASK, history=1)
    log.response("reading the big file", ["cat big.txt"])
    log.tool_result("cat big.txt", "y" * size)
    log.step(TASK, 1)
    log.finish(TASK, 2)
    workspace = workspaces()
    path = workspace.logs / "agent_run_1.log"

    def finished():
        return workspace.query("select status, llm_calls, tool_calls from agent_sessions") == [("completed", 4, 3)]

    feed(workspace, path, bytes(log.data), split, mode, finished)
    assert finished(), workspace.query("select status, llm_calls, tool_calls from agent_sessions")
    assert workspace.query("select output from llm_calls order by seq") == [
        (f"step 0 of {TASK}",), ("reading the big file",), (f"step 1 of {TASK}",), (f"{TASK}: done",)]
    assert workspace.query("select tool_call_id, length(result), substr(result, 1, 3) from tool_executions "
                           "order by started_at") == [
        ("call_echo 0", 2, "0\n"), ("call_cat big.txt", size, "yyy"), ("call_echo 1", 2, "1\n")]
    assert workspace.query("select count(*) from agent_errors") == [(0,)]


@pytest.fixture
def nobody_root():
    """A folder user nobody can reach (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="agenttail-faults-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root)


def give_to_nobody(workspace: LocalWorkspace) -> None:
    """Hands the workspace to user nobody, who runs agenttail in it."""
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(workspace.root)], check=True)


def write_locked(path: Path, data: bytes) -> None:
    """Writes a file that only root can read (mode 000)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o000)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def cannot_open_reported(stderr: str, path: Path) -> bool:
    """True when a line of `stderr` says that `path` cannot be opened."""
    return any("cannot open file" in line and str(path) in line for line in stderr.splitlines())


@pytest.mark.parametrize("mode", ["once", "live"])
def test_unreadable_file(mode, nobody_root, tmp_path, workspaces):
    """agenttail, run as nobody, meets a file it may not read: it says so naming the file, goes on with the others,
    and reads the file once it is readable. A file that becomes unreadable while followed is read on through the
    descriptor agenttail holds."""
    workspace = workspaces(base=nobody_root, user=NOBODY)
    readable, locked, beside = (workspace.logs / f"agent_run_{name}.log" for name in ("readable", "locked", "beside"))
    runs = {path: bytes(complete_run(path.stem, minutes(number)).data)
            for number, path in enumerate((readable, locked, beside))}
    give_to_nobody(workspace)
    if mode == "once":
        readable.write_bytes(runs[readable])
        beside.write_bytes(runs[beside])
        write_locked(locked, runs[locked])
        result = workspace.once()
        assert cannot_open_reported(result.stderr, locked), f"no warning names {locked}: {result.stderr}"
    else:
        workspace.start()
        append(readable, runs[readable][:1000])
        read_up_to(workspace, readable, 1000)
        readable.chmod(0o000)
        append(readable, runs[readable][1000:])
        write_locked(locked, runs[locked])
        beside.write_bytes(runs[beside])
        wait_until(lambda: cannot_open_reported(workspace.stderr(), locked), f"a warning naming {locked}", workspace)
    wait_for_rows(workspace, reference_rows(tmp_path / "readable", [
        LogFile(readable.name, runs[readable]), LogFile(beside.name, runs[beside])]))
    expected = reference_rows(tmp_path / "all", [LogFile(path.name, data) for path, data in runs.items()])
    locked.chmod(0o644)
    if mode == "once":
        workspace.once()
        assert_rows(workspace, expected, "once the file is readable")
    else:
        readable.chmod(0o644)
        settle(workspace, expected)


def test_file_unreadable_at_restart_keeps_its_session_open(nobody_root, tmp_path, workspaces):
    """A followed file that cannot be opened when agenttail starts has not vanished: its checkpoint and open
    session must be kept, so that once readable the run goes on without a made-up 'no response' error, and the
    warning must say the file cannot be read."""
    workspace = workspaces(base=nobody_root, user=NOBODY)
    path = workspace.logs / "agent_run_1.log"
    log = complete_run("locked out", START, steps=3)
    cut = log.offsets[7] - 1
    path.write_bytes(bytes(log.data[:cut]))
    give_to_nobody(workspace)
    workspace.once()
    path.chmod(0o000)
    locked_out = workspace.once()
    path.chmod(0o644)
    append(path, log.data[cut:])
    workspace.once()
    assert_rows(workspace, reference_rows(tmp_path, [LogFile(path.name, bytes(log.data))]),
                "after the file was unreadable for one restart")
    assert cannot_open_reported(locked_out.stderr, path) and "vanished" not in locked_out.stderr, \
        f"the warning must say that the file cannot be opened, not that it vanished:\n{locked_out.stderr}"


@pytest.mark.parametrize("mode", ["once", "live"])
def test_directory_where_a_file_was(mode, tmp_path, workspaces):
    """A directory matching the glob is passed over; a followed log replaced by a directory of its name is
    concluded (abandoned) like a deleted log, and the other files go on."""
    workspace = workspaces()
    replaced, other = workspace.logs / "agent_run_replaced.log", workspace.logs / "agent_run_other.log"
    log = complete_run("replaced by a folder", START, steps=3)
    part = bytes(log.data[:log.offsets[6] - 1])
    beside = bytes(complete_run("beside a folder", minutes(1)).data)
    (workspace.logs / "agent_run_folder.log").mkdir()
    (workspace.logs / "agent_run_folder.log" / "agent_run_inside.log").write_bytes(beside)
    expected = reference_rows(tmp_path, [LogFile(replaced.name, part, concluded=True), LogFile(other.name, beside)])
    if mode == "once":
        replaced.write_bytes(part)
        workspace.once()
        replaced.unlink()
        replaced.mkdir()
        other.write_bytes(beside)
        workspace.once()
        assert_rows(workspace, expected, "after the log was replaced by a folder")
        return
    workspace.start()
    append(replaced, part)
    read_up_to(workspace, replaced, len(part))
    with workspace.frozen():
        replaced.unlink()
        replaced.mkdir()
    other.write_bytes(beside)
    settle(workspace, expected)


# 3. The state's disk fills up.

def fill(folder: Path) -> Path:
    """Writes a filler file until the file system is full."""
    filler = folder / "filler"
    block = b"\0" * (64 << 10)
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(block)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    return filler


def integrity(path: Path) -> str:
    """SQLite's integrity check of a database: "ok" when it is sound."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def test_full_state_disk_is_reported_and_survived(tmp_path, workspaces):
    """With the state and the store on a small tmpfs that fills up while logs grow, agenttail says clearly what
    failed, the state stays sound, and once space is back it goes on to exactly the rows of a clean run."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the state (this test needs root and mount): {mounted.stderr.strip()}")
    state = disk / "state.sqlite"
    workspace = workspaces(state=state, store=disk / "events.sqlite")
    try:
        runs = [LogFile(f"agent_run_{number}.log",
                        bytes(complete_run(f"disk {number}", minutes(number), steps=3,
                                           padding=0 if number < 2 else 200_000).data))
                for number in range(4)]
        workspace.start()
        for run in runs[:2]:
            (workspace.logs / run.name).write_bytes(run.data)
        wait_for_rows(workspace, reference_rows(tmp_path / "before", runs[:2]))
        filler = fill(disk)
        for run in runs[2:]:
            (workspace.logs / run.name).write_bytes(run.data)
        # The local store is written first, then the state: whichever the full disk stops is named.
        messages = [f"writing {path} failed: database or disk is full; check free disk space and permissions"
                    for path in (workspace.store, state)]
        wait_until(lambda: any(" error " in line and "storing what was read failed; retrying" in line
                               and any(message in line for message in messages)
                               for line in workspace.stderr().splitlines()),
                   "the disk-full error on stderr", workspace)
        assert (integrity(state), integrity(workspace.store)) == ("ok", "ok")
        filler.unlink()
        wait_for_rows(workspace, reference_rows(tmp_path / "after", runs), timeout=60)
        workspace.stop()
        assert (integrity(state), integrity(workspace.store)) == ("ok", "ok")
        workspace.once()
        assert_rows(workspace, reference_rows(tmp_path / "again", runs), "after a restart with run --once")
    finally:
        workspace.kill()
        subprocess.run(["umount", str(disk)], check=True)


# 4. Malformed configs.

CONFIG = """sources:
  - name: mini-agent
    paths: ["{root}/logs/agent_run_*.log"]
state:
  path: {root}/state.sqlite
sinks:
  local:
    path: {root}/events.sqlite
"""


@dataclass
class BadConfig:
    """A broken config: what the one error line must say, on which line of which file (None: any line)."""

    id: str
    text: str
    message: str
    line: int | None
    rules: str | None = None

    def located_in(self, root: Path) -> Path:
        """The file the error must name: the rules file for a broken rules file, else the config."""
        return root / "rules.yaml" if self.rules is not None else root / "agenttail.yaml"


def replaced(old: str, new: str) -> str:
    """CONFIG with one piece of text changed."""
    assert old in CONFIG
    return CONFIG.replace(old, new)


BAD_CONFIGS = [
    BadConfig("yaml_syntax", "sources: [\n  {name: a\nstate:\n", "invalid YAML", None),
    BadConfig("unknown_key", replaced("    paths:", "    rulez: builtin:mini-agent\n    paths:"),
              "sources[0].rulez: unknown key 'rulez'; did you mean 'rules'?", 3),
    BadConfig("wrong_type", replaced("state:\n", "state:\n  outbox_limit: lots\n"),
              "state.outbox_limit: expected a whole number, got 'lots'", 5),
    BadConfig("sources_not_a_list", "sources: mini-agent\n", "sources: expected a list", 1),
    BadConfig("missing_sources", "state:\n  path: /tmp/state.sqlite\n", "missing required key 'sources'", 1),
    BadConfig("bad_duration", replaced("state:\n", "    session_timeout: 10 minutes\nstate:\n"),
              "sources[0].session_timeout: expected a duration", 4),
    BadConfig("unset_variable", replaced("{root}/logs", "${AGENTTAIL_FAULTS_UNSET}"),
              "environment variable AGENTTAIL_FAULTS_UNSET is not set", 3),
    BadConfig("bad_glob", replaced("logs/agent_run_*", "**/agent_run_*"), "'**' is not supported", 3),
    BadConfig("unknown_builtin_rules", replaced("state:\n", "    rules: builtin:aider\nstate:\n"),
              "no built-in rule pack 'aider'", 4),
    BadConfig("bad_rules_file", replaced("state:\n", "    rules: rules.yaml\nstate:\n"),
              "framing.start[0]: invalid regex", 4,
              rules="name: broken\nframing:\n  mode: multiline\n  start: ['^(unclosed']\n"),
    BadConfig("missing_rules_file", replaced("state:\n", "    rules: no-such-rules.yaml\nstate:\n"),
              "no-such-rules.yaml", 4),
    BadConfig("negative_outbox_limit", replaced("state:\n", "state:\n  outbox_limit: -5\n"),
              "state.outbox_limit: must be at least 1, got -5", 5),
    BadConfig("bad_watcher", CONFIG + "tailing:\n  watcher: fsevents\n",
              "tailing.watcher: expected one of auto, inotify, polling, got 'fsevents'", 10),
    BadConfig("duplicate_source_names",
              replaced("state:\n", "  - name: mini-agent\n    paths: [\"/tmp/*.log\"]\nstate:\n"),
              "two sources are named 'mini-agent'", 4),
    BadConfig("empty_file", "", "the file is empty", 1),
]


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize("case", BAD_CONFIGS, ids=lambda case: case.id)
def test_malformed_config_gives_one_located_error(case, command, tmp_path):
    """`agenttail run` and `agenttail check` refuse a broken config with a non-zero exit and exactly one line on
    stderr, `file:line:column: error: ...`, naming where the mistake is; run starts nothing."""
    config = tmp_path / "agenttail.yaml"
    config.write_text(case.text.replace("{root}", str(tmp_path)))
    if case.rules is not None:
        (tmp_path / "rules.yaml").write_text(case.rules)
    environment = {name: value for name, value in os.environ.items() if name != "AGENTTAIL_FAULTS_UNSET"}
    result = subprocess.run([str(BINARY), command, "--config", str(config)], capture_output=True, text=True,
                            timeout=30, env=environment)
    assert result.returncode != 0, f"{command} accepted the config: {result.stdout}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    location = re.escape(str(case.located_in(tmp_path)))
    match = re.fullmatch(rf"{location}:(\d+):(\d+): error: (.+)", lines[0])
    assert match, f"the error does not start with {case.located_in(tmp_path)}:LINE:COLUMN: error: {lines[0]!r}"
    assert case.message in match.group(3), lines[0]
    if case.line is not None:
        assert int(match.group(1)) == case.line, f"expected line {case.line}: {lines[0]}"
    assert not (tmp_path / "state.sqlite").exists(), "agenttail created its state despite the broken config"
