"""A stand-in for Mini-Agent whose tools use known amounts of memory and CPU: it writes a Mini-Agent log live, and
between each tool call and its result it does what the plan says, measuring itself as it goes.

    python3 test_agent.py LOG PLAN.json

The plan is a list of steps, each {"tool": NAME, "do": ACTION, ...}:
- {"do": "allocate", "mb": 200, "hold": 0.5}: allocates and touches that much memory, holds it, frees it;
- {"do": "child", "mb": 100, "burn": 0.5, "hold": 0.5}: a child process allocates it, spins until it has used
  `burn` seconds of CPU, and exits after holding the memory `hold` seconds more;
- {"do": "burn", "seconds": 1.0}: spins until it has used that much CPU time;
- {"do": "idle", "seconds": 1.0}: sleeps;
- {"parallel": [STEP, ...]}: one response calls several tools, run one after the other.
Each tool's result is a JSON object of what the agent measured: its own resident memory before the tool
(`base_rss`), the CPU time the tool used (`cpu_ms`, children included), and the step itself.
"""
import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "EndToEnd"))
from mini_agent_log import MiniAgentLog  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
CHILD = """
import resource, sys, time
block = bytearray(int(sys.argv[1]) << 20)
for offset in range(0, len(block), 4096):
    block[offset] = 1
def used():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
while used() < float(sys.argv[2]):
    sum(range(1000))
time.sleep(float(sys.argv[3]))
"""


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_step(step: dict) -> None:
    if step["do"] == "allocate":
        block = bytearray(step["mb"] << 20)
        for offset in range(0, len(block), 4096):
            block[offset] = 1
        time.sleep(step["hold"])
        del block
    elif step["do"] == "child":
        subprocess.run([sys.executable, "-c", CHILD, str(step["mb"]), str(step.get("burn", 0)), str(step["hold"])],
                       check=True)
    elif step["do"] == "burn":
        started = cpu_seconds()
        while cpu_seconds() - started < step["seconds"]:
            sum(range(1000))
    elif step["do"] == "idle":
        time.sleep(step["seconds"])


def main() -> None:
    log_path, plan = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    log = MiniAgentLog(datetime.now())
    system = {"role": "system", "content": "You are a careful coding assistant."}
    user = {"role": "user", "content": "Measure the tools."}
    messages = [system, user]

    def write(text: str) -> None:
        with open(log_path, "a", encoding="utf-8") as file:
            file.write(text)

    def now() -> int:
        """Moves the log's clock to the wall clock: the entries carry the time they are written."""
        elapsed = datetime.now() - log.clock
        return max(0, int(elapsed.total_seconds() * 1000))

    write(log.header())
    for index, step in enumerate(plan):
        # {"parallel": [step, ...]}: one response calls them all; they run one after the other, as Mini-Agent runs
        # the calls of one response.
        steps = step.get("parallel", [step])
        calls = [(f"call_{index}_{part}", each["tool"], {"command": json.dumps(each)}) for part, each in enumerate(steps)]
        write(log.request(messages, advance_ms=now()))
        write(log.response("Running it.", tool_calls=calls, advance_ms=now()))
        messages = messages + [{"role": "assistant", "content": "Running it."}]
        for (call_id, tool, arguments), each in zip(calls, steps):
            base, cpu = resident_bytes(), cpu_seconds()
            run_step(each)
            measured = {"base_rss": base, "cpu_ms": round((cpu_seconds() - cpu) * 1000), "step": each}
            write(log.tool_result(tool, arguments, True, json.dumps(measured), advance_ms=now()))
            messages.append({"role": "tool", "tool_call_id": call_id, "content": json.dumps(measured)})
    write(log.request(messages, advance_ms=now()))
    write(log.response("All measured.", advance_ms=now()))


if __name__ == "__main__":
    main()
