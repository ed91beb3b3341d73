"""How fast `agenttail mcp` and `agenttail ui` answer on the busy 90-day store: each question asked three times, the
median kept (warm cache), with the size of the answer."""
import json
import re
import sqlite3
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path


def mcp(agenttail: Path, config: Path, session: str) -> None:
    server = subprocess.Popen([str(agenttail), "mcp", "--config", str(config)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(identifier, method, params):
        started = time.perf_counter()
        server.stdin.write(json.dumps({"jsonrpc": "2.0", "id": identifier, "method": method, "params": params}) + "\n")
        server.stdin.flush()
        answer = json.loads(server.stdout.readline())
        return time.perf_counter() - started, answer

    ask(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "bench", "version": "1"}})
    server.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
    questions = [
        ("list_sessions", {}), ("list_sessions", {"status": "failed", "text": "refactor"}),
        ("get_session", {"id": session}), ("search_errors", {"since": "7d"}), ("search_errors", {"text": "timeout"}),
        ("tool_stats", {"tool": "bash", "since": "30d"}), ("report", {"since": "7d"}), ("report", {"since": "90d"}),
    ]
    print(f"\nagenttail mcp over stdio: the median of three calls\n\n{'tool and arguments':60} {'ms':>7} {'kB':>6}")
    for index, (name, arguments) in enumerate(questions, 2):
        runs = [ask(index, "tools/call", {"name": name, "arguments": arguments}) for _ in range(3)]
        seconds = statistics.median(run[0] for run in runs)
        size = len(json.dumps(runs[-1][1])) / 1000
        print(f"{name + ' ' + json.dumps(arguments):60} {seconds * 1000:7.0f} {size:6.0f}", flush=True)
    server.stdin.close()
    server.wait(timeout=30)


def ui(agenttail: Path, config: Path, session: str) -> None:
    server = subprocess.Popen([str(agenttail), "ui", "--config", str(config), "--listen", "127.0.0.1:0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = re.search(r"at (http://\S+?)/ ", server.stderr.readline()).group(1)
        pages = ["/", "/sessions", "/sessions?text=refactor", "/sessions?status=failed&order=costliest",
                 f"/sessions/{session}", "/tools", "/tools/bash", "/errors", "/errors?text=timeout"]
        print(f"\nagenttail ui: the median of three loads of each page\n\n{'page':60} {'ms':>7} {'kB':>6}")
        for page in pages:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                with urllib.request.urlopen(base + page, timeout=60) as response:
                    body = response.read()
                times.append(time.perf_counter() - started)
            print(f"{page[:60]:60} {statistics.median(times) * 1000:7.0f} {len(body) / 1000:6.0f}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(agenttail: Path, store: Path) -> None:
    config = store.parent / "agenttail.yaml"
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        # The session with the most LLM calls: the longest page and the largest answer.
        [(session,)] = db.execute("SELECT id FROM agent_sessions ORDER BY llm_calls DESC, id LIMIT 1").fetchall()
    mcp(agenttail, config, session)
    ui(agenttail, config, session)
