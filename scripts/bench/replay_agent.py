#!/usr/bin/env python3
"""Replays Mini-Agent logs live, running their tools for real: a stand-in for the agent, for watching what its tool
runs use.

    python3 scripts/bench/replay_agent.py FOLDER LOG...

Each LOG is written anew into FOLDER, entry by entry, with the time of writing: a REQUEST, then after a pause (the
model thinking) its RESPONSE, then for each TOOL_RESULT the tool is run for real in a scratch folder (bash through
/bin/sh, read_file and write_file on files) before the entry is written. The entries' bodies are the original ones.
"""
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ENTRY = re.compile(r"(?=\n-{80}\n\[\d+\] [A-Z_]+\n)")
KIND = re.compile(r"\[\d+\] ([A-Z_]+)\n")
STAMP = re.compile(r"^Timestamp: .*$", re.M)


def now() -> str:
    moment = datetime.now()
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}"


def run_tool(body: dict, workspace: Path) -> None:
    """Does what the logged tool did, in `workspace`."""
    name, arguments = body.get("tool_name"), body.get("arguments") or {}
    if name == "bash":
        subprocess.run(["/bin/sh", "-c", arguments.get("command", "true")], cwd=workspace, capture_output=True,
                       timeout=60)
    elif name == "write_file":
        (workspace / arguments["path"]).write_text(arguments.get("content", ""))
    elif name == "read_file":
        try:
            (workspace / arguments["path"]).read_text()
        except OSError:
            pass


def replay(source: Path, target: Path, workspace: Path) -> None:
    text = source.read_text()
    header, *entries = ENTRY.split(text)
    header = re.sub(r"Agent Run Log - .*", f"Agent Run Log - {now()[:19]}", header)

    def write(part: str) -> None:
        with open(target, "a", encoding="utf-8") as log:
            log.write(part)

    write(header)
    for entry in entries:
        kind = KIND.search(entry).group(1)
        if kind == "RESPONSE":
            time.sleep(0.3)
        elif kind == "TOOL_RESULT":
            body = json.loads(entry[entry.index("\n{"):])
            run_tool(body, workspace)
        write(STAMP.sub(f"Timestamp: {now()}", entry, count=1))


def main() -> None:
    folder = Path(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="replay-workspace-") as scratch:
        for source in map(Path, sys.argv[2:]):
            replay(source, folder / source.name, Path(scratch))
            time.sleep(0.5)


if __name__ == "__main__":
    main()
