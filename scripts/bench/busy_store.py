#!/usr/bin/env python3
"""Fills a local store with 90 days of a busy agent, for timing `agenttail report`.

    python3 scripts/bench/busy_store.py STORE [--sessions 100000] [--calls 2000000] [--tools 3000000] [--seed 1]

STORE must be a store agenttail made (its migrations), empty. The days end on 2026-12-01 (excluded). Sessions come
more on weekdays than at weekends, from two agents on five hosts, in twenty workspaces; every session has its LLM
calls and tool runs in order, with short inputs and outputs (what a report reads is the same as with long ones;
only the file is smaller), and some fail. Deterministic for a seed.
"""
import argparse
import json
import random
import sqlite3
import sys
import uuid
from datetime import datetime, timedelta, timezone

END = datetime(2026, 12, 1, tzinfo=timezone.utc)
DAYS = 90
MODELS = [("claude-sonnet-4-5", 3e-6, 15e-6), ("claude-opus-4-5", 5e-6, 25e-6), ("MiniMax-M2", 0.3e-6, 1.2e-6),
          ("claude-haiku-4-5", 1e-6, 5e-6)]
TOOLS = [("bash", "shell", 0.06, 900), ("read_file", "file", 0.02, 15), ("write_file", "file", 0.01, 20),
         ("edit", "file", 0.08, 40), ("grep", "search", 0.03, 80), ("glob", "search", 0.01, 30),
         ("web_fetch", "web", 0.10, 2500), ("task", "agent", 0.04, 45000)]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=2_000_000)
    parser.add_argument("--tools", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    db = sqlite3.connect(args.store)
    db.execute("PRAGMA synchronous = OFF")
    if db.execute("SELECT count(*) FROM agent_sessions").fetchone()[0]:
        sys.exit(f"{args.store} is not empty")
    # Weekdays get three times the sessions of weekend days.
    weights = [3 if (END - timedelta(days=DAYS - day)).weekday() < 5 else 1 for day in range(DAYS)]
    calls_per_session = args.calls / args.sessions
    tools_per_session = args.tools / args.sessions
    sessions, calls, tools = [], [], []
    written = [0, 0, 0]

    def flush(force=False):
        if force or len(calls) >= 50_000 or len(tools) >= 50_000:
            db.executemany("INSERT INTO agent_sessions (id, agent, host, source_path, started_at, ended_at, status, "
                           "task, final_output, llm_calls, tool_calls, tool_errors, duration_ms, metadata, revision, "
                           "workspace, git_branch, agent_version, prompt_tokens, completion_tokens, "
                           "cache_read_tokens, cache_creation_tokens, cost_usd) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', 1, ?, ?, '1.0', ?, ?, ?, 0, ?)", sessions)
            db.executemany("INSERT INTO llm_calls (id, session_id, seq, started_at, ended_at, latency_ms, model, input, "
                           "output, tool_call_count, finish_reason, status, prompt_tokens, completion_tokens, "
                           "metadata, cache_read_tokens, cache_creation_tokens, cost_usd) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'tool_use', ?, ?, ?, '{}', ?, 0, ?)", calls)
            db.executemany("INSERT INTO tool_executions (id, session_id, llm_call_id, tool_call_id, tool_name, category, "
                           "arguments, success, result, error, started_at, ended_at, duration_ms, metadata) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')", tools)
            errors = [(str(uuid.UUID(int=rng.getrandbits(128))), tool[1], "tool", tool[4],
                       tool[9], f"{tool[4]}: {tool[9].split(':')[0]}", tool[11], tool[0]) for tool in tools if not tool[7]]
            db.executemany("INSERT INTO agent_errors (id, session_id, source, tool_name, message, fingerprint, "
                           "occurred_at, related_id, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}')", errors)
            db.commit()
            written[0] += len(sessions)
            written[1] += len(calls)
            written[2] += len(tools)
            sessions.clear()
            calls.clear()
            tools.clear()
            print(f"\r{written[0]:,} sessions, {written[1]:,} calls, {written[2]:,} tool runs", end="", file=sys.stderr)

    for index in range(args.sessions):
        day = rng.choices(range(DAYS), weights)[0]
        start = END - timedelta(days=DAYS - day) + timedelta(seconds=rng.uniform(0, 86_400))
        session = str(uuid.UUID(int=rng.getrandbits(128)))
        agent = "mini-agent" if rng.random() < 0.6 else "claude-code"
        model, price_in, price_out = rng.choices(MODELS, [5, 2, 4, 1])[0]
        n_calls = max(1, int(rng.expovariate(1 / calls_per_session)))
        n_tools = max(0, int(rng.expovariate(1 / tools_per_session)))
        moment = start
        total_in = total_out = 0
        cost = 0.0
        failures = 0
        for seq in range(n_calls):
            latency = int(rng.lognormvariate(8.0, 0.6))
            prompt = rng.randrange(2_000, 80_000)
            output = rng.randrange(20, 2_000)
            call_cost = prompt * price_in + output * price_out
            call = str(uuid.UUID(int=rng.getrandbits(128)))
            status = "ok" if rng.random() > 0.005 else "error"
            calls.append((call, session, seq + 1, stamp(moment), stamp(moment + timedelta(milliseconds=latency)),
                          latency, model, '[{"role":"user","content":"step %d"}]' % seq, "Working on it.", status,
                          prompt, output, prompt // 2, round(call_cost, 9)))
            total_in += prompt
            total_out += output
            cost += call_cost
            moment += timedelta(milliseconds=latency)
            for _ in range(n_tools // n_calls + (1 if seq < n_tools % n_calls else 0)):
                name, category, failure_rate, typical = TOOLS[min(int(rng.expovariate(0.6)), len(TOOLS) - 1)]
                duration = int(rng.lognormvariate(0, 0.8) * typical)
                success = rng.random() > failure_rate
                arguments = json.dumps({"command": f"step {rng.randrange(50)}"} if category == "shell"
                                       else {"path": f"src/file{rng.randrange(200)}.py"})
                tools.append((str(uuid.UUID(int=rng.getrandbits(128))), session, call, f"call_{seq}", name, category,
                              arguments, success, "ok" if success else None,
                              None if success else f"Error: {rng.choice(['timeout', 'not found', 'exit 1'])}",
                              stamp(moment), stamp(moment + timedelta(milliseconds=duration)), duration))
                failures += not success
                moment += timedelta(milliseconds=duration)
        status = rng.choices(["completed", "failed", "abandoned", "interrupted"], [90, 4, 4, 2])[0]
        sessions.append((session, agent, f"host{rng.randrange(5)}", f"/logs/{session}.log", stamp(start),
                         stamp(moment), status, f"Task number {index}", "Done." if status == "completed" else None,
                         n_calls, n_tools, failures, int((moment - start).total_seconds() * 1000),
                         f"/work/project{rng.randrange(20)}", f"branch-{rng.randrange(10)}", total_in, total_out,
                         total_in // 2, round(cost, 9)))
        flush()
    flush(force=True)
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
