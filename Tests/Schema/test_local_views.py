"""The embedded store's views against Supabase's: the same random rows in both, the same figures out.

The local store is created by agenttail itself (its migrations), the PostgreSQL one by Schema/; the rows are
written into each as that store holds them.
"""
import math
import os
import random
import sqlite3
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("AGENTTAIL_BIN", ROOT / ".build" / "debug" / "agenttail"))
VIEWS = {
    "agent_performance_daily": ["day", "agent"],
    "tool_usage_stats": ["tool_name", "category"],
    "error_patterns": ["source", "fingerprint"],
    "daily_summary": ["day"],
}
# Figures PostgreSQL computes in exact decimals and SQLite in binary floating point; rounded ones may differ in
# their last digit at a tie.
TOLERANCE = {"success_rate": 1e-4, "failure_rate": 1e-4, "mean_duration_ms": 0.1, "mean_session_ms": 0.1}


def store_time(moment):
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def random_rows(seed: int):
    """Sessions, calls, tool runs and errors over five days, with every status and some NULLs."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 20, tzinfo=timezone.utc)

    def moment():
        # Whole seconds, so that some rows tie; sometimes right at midnight.
        if rng.random() < 0.05:
            return start + timedelta(days=rng.randrange(5))
        return start + timedelta(seconds=rng.randrange(5 * 86400))

    def maybe(value, chance=0.15):
        return None if rng.random() < chance else value

    sessions, calls, tools, errors = [], [], [], []
    for index in range(300):
        started = maybe(moment(), 0.03)
        sessions.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "agent": rng.choice(["mini-agent", "claude-code"]), "host": rng.choice(["h1", "h2"]),
            "status": rng.choice(["running", "completed", "completed", "failed", "abandoned", "interrupted"]),
            "started_at": started, "duration_ms": maybe(rng.randrange(100, 600_000)),
            "llm_calls": rng.randrange(0, 9), "tool_calls": rng.randrange(0, 9),
            "cost_usd": maybe(Decimal(rng.randrange(0, 5_000_000)) / Decimal(10**7), 0.3),
        })
    for index in range(900):
        calls.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128))), "session_id": rng.choice(sessions)["id"], "seq": index + 1,
            "started_at": maybe(moment(), 0.02), "status": rng.choice(["ok", "ok", "ok", "error", "no_response",
                                                                         "interrupted"]),
            "model": rng.choice(["m-a", "m-b", None]), "latency_ms": maybe(rng.randrange(50, 90_000)),
            "prompt_tokens": maybe(rng.randrange(0, 200_000)), "completion_tokens": maybe(rng.randrange(0, 8000)),
            "cache_read_tokens": maybe(rng.randrange(0, 100_000), 0.5),
            "cache_creation_tokens": maybe(rng.randrange(0, 10_000), 0.5),
            "cost_usd": maybe(Decimal(rng.randrange(0, 900_000)) / Decimal(10**9), 0.3),
        })
    for index in range(1200):
        started = maybe(moment(), 0.02)
        duration = maybe(rng.randrange(0, 30_000), 0.1)
        tools.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128))), "session_id": rng.choice(sessions)["id"],
            "tool_name": rng.choice(["bash", "read_file", "write_file", "web"]),
            "category": rng.choice(["shell", "file", "other"]), "success": rng.random() < 0.8,
            "started_at": started,
            "ended_at": None if started is None or duration is None or rng.random() < 0.1
            else started + timedelta(milliseconds=duration),
            "duration_ms": duration,
        })
    for index in range(400):
        errors.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128))), "session_id": rng.choice(sessions)["id"],
            "source": rng.choice(["tool", "llm", "parser"]), "fingerprint": f"pattern {rng.randrange(6)}",
            "message": f"message {index}", "occurred_at": maybe(moment(), 0.05),
        })
    return {"agent_sessions": sessions, "llm_calls": calls, "tool_executions": tools, "agent_errors": errors}


@pytest.fixture
def local_store(tmp_path):
    """An empty local store made by agenttail's own migrations."""
    (tmp_path / "logs").mkdir()
    config = tmp_path / "agenttail.yaml"
    config.write_text(
        f"sources:\n  - name: none\n    paths: ['{tmp_path}/logs/*.log']\n    rules: builtin:mini-agent\n"
        f"state:\n  path: {tmp_path}/state.sqlite\nsinks:\n  local:\n    path: {tmp_path}/events.sqlite\n")
    subprocess.run([str(BINARY), "run", "--once", "--config", str(config), "--log-level", "error"], check=True,
                   capture_output=True)
    return tmp_path / "events.sqlite"


def local_value(value):
    if isinstance(value, datetime):
        return store_time(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def normalized(value):
    if isinstance(value, datetime):
        return store_time(value.astimezone(timezone.utc))
    if hasattr(value, "isoformat"):  # a date
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def same(column, left, right):
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=TOLERANCE.get(column, 1e-9))
    return left == right


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_local_views_equal_supabase_views(seed, admin, local_store):
    rows = random_rows(seed)
    local = sqlite3.connect(local_store)
    try:
        with admin.cursor() as cursor:
            for table, records in rows.items():
                columns = list(records[0].keys())
                for record in records:
                    values = [record[column] for column in columns]
                    cursor.execute(
                        f"insert into {table} ({', '.join(columns)}) values ({', '.join(['%s'] * len(columns))})",
                        values)
                    local.execute(
                        f"insert into {table} ({', '.join(columns)}) values ({', '.join(['?'] * len(columns))})",
                        [local_value(value) for value in values])
            local.commit()
            for view, keys in VIEWS.items():
                order = ", ".join(f"{key} nulls first" for key in keys)
                cursor.execute(f"select * from {view} order by {order}")
                expected_columns = [column.name for column in cursor.description]
                expected = [[normalized(value) for value in row] for row in cursor.fetchall()]
                found_cursor = local.execute(f"select * from {view} order by {order}")
                found_columns = [column[0] for column in found_cursor.description]
                found = found_cursor.fetchall()
                assert found_columns == expected_columns, view
                assert len(found) == len(expected), view
                assert len(expected) > 3, f"{view} should have several rows to compare"
                for want, got in zip(expected, found):
                    for column, left, right in zip(expected_columns, want, got):
                        assert same(column, left, right), f"{view}.{column} for {want[:len(keys)]}: {left} != {right}"
    finally:
        admin.rollback()
        local.close()
