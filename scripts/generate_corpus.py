#!/usr/bin/env python3
"""Writes a deterministic corpus of Mini-Agent run logs for measurements.

    python3 scripts/generate_corpus.py DIR [FILES] [STEPS]      (defaults: 40 files of 25 steps, about 280 MB)

Each run: a long system prompt, then STEPS steps of REQUEST (the whole history again, as the agent does), RESPONSE
with 1-3 tool calls and thinking, and one TOOL_RESULT per call (100 B to 20 KB), then a final answer. Seeded: the
same arguments always write the same bytes.
"""
import json
import os
import random
import sys

out = sys.argv[1]
files = int(sys.argv[2]) if len(sys.argv) > 2 else 40
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 25
random.seed(7)
os.makedirs(out, exist_ok=True)
dashes = "-" * 80
for number in range(files):
    parts = ["=" * 80, f"Agent Run Log - 2026-11-26 10:{number % 60:02d}:00", "=" * 80, ""]
    text = ["\n".join(parts) + "\n"]
    entry = 0
    clock = 0

    def write(kind, label, body):
        global entry, clock
        entry += 1
        clock += random.randint(1, 500)
        stamp = f"2026-11-26 11:{(clock // 60000) % 60:02d}:{(clock // 1000) % 60:02d}.{clock % 1000:03d}"
        text.append(f"\n{dashes}\n[{entry}] {kind}\nTimestamp: {stamp}\n{dashes}\n{label}\n\n"
                    + json.dumps(body, indent=2, ensure_ascii=False) + "\n")

    history = [{"role": "system", "content": "You are careful. " * 50},
               {"role": "user", "content": f"task {number} ünïcødé"}]
    for step in range(steps):
        write("REQUEST", "LLM Request:", {"messages": history, "tools": ["bash", "read_file"]})
        calls = [{"id": f"call_{number}_{step}_{k}", "type": "function",
                  "function": {"name": "bash", "arguments": {"command": f"echo {k}"}}}
                 for k in range(random.randint(1, 3))]
        write("RESPONSE", "LLM Response:",
              {"content": f"step {step}", "thinking": "hmm " * 20, "tool_calls": calls, "finish_reason": "tool_use"})
        history.append({"role": "assistant", "content": f"step {step}", "tool_calls": calls})
        for call in calls:
            output = "x" * random.randint(100, 20000)
            write("TOOL_RESULT", "Tool Execution:",
                  {"tool_name": "bash", "arguments": call["function"]["arguments"], "success": True, "result": output})
            history.append({"role": "tool", "content": output, "tool_call_id": call["id"], "name": "bash"})
    write("REQUEST", "LLM Request:", {"messages": history, "tools": ["bash"]})
    write("RESPONSE", "LLM Response:", {"content": "done", "finish_reason": "end_turn"})
    with open(os.path.join(out, f"agent_run_20261126_{number:06d}.log"), "w") as handle:
        handle.write("".join(text))
