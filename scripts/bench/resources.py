"""Measuring tool runs: what agenttail records for the Mini-Agent fixtures replayed live by replay_agent.py (which
runs their tools for real), and what the measuring costs: agenttail follows a test agent whose one tool idles for a
while, once with measuring on (20 readings a second of the agent's process tree) and once with it off; the
difference in agenttail's CPU over the tool's window is the sampling's cost, as a share of one core."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGENT = ROOT / "Tests/Resources/test_agent.py"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def configure(folder: Path, source: str, session_timeout: str, process: str) -> Path:
    """A configuration that follows `folder`/logs into a local store in `folder`."""
    config = folder / "agenttail.yaml"
    config.write_text(f"""
sources:
  - name: {source}
    paths: ["{folder}/logs/*.log"]
    session_timeout: {session_timeout}
    process: {process}
state:
  path: {folder}/state.sqlite
sinks:
  local:
    path: {folder}/events.sqlite
""")
    return config


def follow(binary: Path, work: Path, measure: bool, seconds: float) -> tuple[float, list]:
    """agenttail's CPU seconds while the agent's tool idles `seconds`, and the tool rows stored."""
    folder = work / ("resources-on" if measure else "resources-off")
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    (folder / "logs").mkdir(parents=True)
    config = configure(folder, "agent", "1h", f"{{command: test_agent.py, measure: {str(measure).lower()}}}")
    agenttail = subprocess.Popen([str(binary), "run", "--config", str(config), "--log-level", "warning"])
    try:
        time.sleep(1)
        (folder / "plan.json").write_text(json.dumps([{"tool": "idle", "do": "idle", "seconds": seconds}]))
        agent = subprocess.Popen([sys.executable, str(AGENT), str(folder / "logs/agent_run_1.log"),
                                  str(folder / "plan.json")])
        time.sleep(0.5)  # the response is logged and read; the tool idles from here
        before = cpu_seconds(agenttail.pid)
        time.sleep(seconds - 1)
        used = cpu_seconds(agenttail.pid) - before
        agent.wait(timeout=seconds + 30)
        time.sleep(1)
    finally:
        agenttail.terminate()
        agenttail.wait(timeout=20)
    import sqlite3
    with sqlite3.connect(folder / "events.sqlite") as connection:
        rows = connection.execute("select tool_name, duration_ms, peak_rss_bytes, cpu_ms from tool_executions").fetchall()
    return used, rows


def replayed(binary: Path, work: Path) -> None:
    """Replays the Mini-Agent fixtures live while agenttail follows them, and prints what each tool run used."""
    import sqlite3
    folder = work / "resources-replay"
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    (folder / "logs").mkdir(parents=True)
    config = configure(folder, "mini-agent", "2s", "{command: replay_agent.py}")
    agenttail = subprocess.Popen([str(binary), "run", "--config", str(config), "--log-level", "warning"])
    try:
        time.sleep(1)
        fixtures = sorted((ROOT / "Tests/AgentTailTests/Fixtures/mini-agent").glob("*.log"))
        subprocess.run([sys.executable, str(ROOT / "scripts/bench/replay_agent.py"), str(folder / "logs"),
                        *map(str, fixtures)], check=True)
        time.sleep(3)
    finally:
        agenttail.terminate()
        agenttail.wait(timeout=20)
    with sqlite3.connect(folder / "events.sqlite") as connection:
        rows = connection.execute("""
            select s.source_path, t.tool_name, t.success, t.duration_ms, t.peak_rss_bytes, t.cpu_ms, t.max_processes,
                   t.io_read_bytes, t.io_write_bytes
            from tool_executions t join agent_sessions s on s.id = t.session_id order by t.started_at""").fetchall()
    print("\nthe Mini-Agent fixtures replayed live, their tools run for real (scripts/bench/replay_agent.py)\n")
    print(f"{'run':32} {'tool':11} {'ok':>3} {'duration':>9} {'peak RSS':>9} {'CPU':>7} {'procs':>5} "
          f"{'read':>8} {'written':>8}")
    for path, tool, success, duration, peak, cpu, processes, read, written in rows:
        def size(value):
            return "-" if value is None else f"{value / 1e6:.1f} MB" if value >= 1e5 else f"{value / 1e3:.1f} KB"
        print(f"{Path(path).name[:32]:32} {tool:11} {'yes' if success else 'no':>3} {duration:>6} ms {size(peak):>9} "
              f"{'-' if cpu is None else f'{cpu} ms':>7} {'-' if processes is None else processes:>5} "
              f"{size(read):>8} {size(written):>8}")


def run(binary: Path, work: Path, seconds: float = 20) -> None:
    replayed(binary, work)
    on, rows = follow(binary, work, True, seconds)
    off, _ = follow(binary, work, False, seconds)
    window = seconds - 1
    share = (on - off) / window * 100
    print(f"\nmeasuring a tool run: agenttail's CPU over {window:.0f} s of one idle tool, at 20 readings a second")
    print(f"  measuring on   {on:6.2f} CPU-s")
    print(f"  measuring off  {off:6.2f} CPU-s")
    print(f"  sampling costs {share:5.2f}% of a core; target at most 1%: {'met' if share <= 1 else 'NOT MET'}")
    print(f"  the tool row: {rows}")
