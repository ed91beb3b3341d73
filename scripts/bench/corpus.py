#!/usr/bin/env python3
"""Writes a deterministic corpus of Mini-Agent run logs for the benchmark.

    python3 scripts/bench/corpus.py DIR SIZE_MB [SEED] [--shape mix|huge|small|long]

Runs are written until the corpus holds SIZE_MB megabytes. Each run: a system prompt, then steps of REQUEST (the whole
history again, as Mini-Agent does), RESPONSE with 1-3 tool calls and sometimes thinking, and one TOOL_RESULT per call
(one in ten fails), then a final answer. Text mixes ASCII with accented letters, CJK and emoji. The shapes:

  mix    1-40 steps; outputs from 100 B to 50 KB, log-uniform, about one in 400 of 1-4 MB (the default)
  huge   few huge entries: 1-4 steps; a quarter of the outputs of 1-6 MB, which every later request repeats
  small  many small entries: 10-30 steps with outputs of 50-500 B and a short system prompt
  long   long runs: 40-80 steps with outputs of 100 B-5 KB, so that requests repeat long histories

The same arguments always write the same bytes.
"""
import json
import os
import random
import sys

WORDS = ["file", "line", "error", "ok", "path/to/module.py", "def", "return", "ünïcødé", "数据", "✓", "🚀", "résumé",
         "{\"k\": 1}", "TODO", "assert", "import", "class", "self", "None", "\n"]
TOOLS = ["bash", "read_file", "write_file", "edit_file"]
DASHES = "-" * 80


def text(rng: random.Random, size: int) -> str:
    parts, length = [], 0
    while length < size:
        word = rng.choice(WORDS)
        parts.append(word)
        length += len(word.encode()) + 1
    return " ".join(parts)


def log_uniform(rng: random.Random, low: int, high: int) -> int:
    return int(low * ((high / low) ** rng.random()))


def mix_output(rng: random.Random) -> int:
    if rng.random() < 1 / 400:
        return rng.randint(1 << 20, 4 << 20)
    return log_uniform(rng, 100, 50_000)


def huge_output(rng: random.Random) -> int:
    if rng.random() < 1 / 4:
        return rng.randint(1 << 20, 6 << 20)
    return log_uniform(rng, 100, 50_000)


# Per shape: the range of steps, the size of a tool's output, the size of the system prompt.
SHAPES = {
    "mix": ((1, 40), mix_output, 3000),
    "huge": ((1, 4), huge_output, 3000),
    "small": ((10, 30), lambda rng: rng.randint(50, 500), 300),
    "long": ((40, 80), lambda rng: log_uniform(rng, 100, 5_000), 3000),
}


def tool_use_response(rng: random.Random, number: int, step: int) -> tuple[list, dict]:
    """The tool calls of one step (1-3) and the LLM response that asks for them, sometimes with thinking."""
    calls = [{"id": f"call_{number}_{step}_{k}", "type": "function",
              "function": {"name": rng.choice(TOOLS), "arguments": {"command": text(rng, 60)}}}
             for k in range(rng.randint(1, 3))]
    response = {"content": text(rng, rng.randint(20, 400)), "tool_calls": calls, "finish_reason": "tool_use"}
    if rng.random() < 0.4:
        response["thinking"] = text(rng, rng.randint(100, 2000))
    return calls, response


def run_log(rng: random.Random, number: int, shape: str = "mix") -> str:
    (low, high), output_size, system_size = SHAPES[shape]
    minute, second = divmod(number, 60)
    header = "=" * 80
    out = [f"{header}\nAgent Run Log - 2026-11-26 {10 + minute // 60 % 12:02d}:{minute % 60:02d}:{second:02d}\n"
           f"{header}\n\n"]
    entry = 0
    clock = 0

    def write(kind: str, label: str, body: dict) -> None:
        nonlocal entry, clock
        entry += 1
        clock += rng.randint(1, 3000)
        stamp = f"2026-11-26 {(clock // 3_600_000) % 24:02d}:{(clock // 60000) % 60:02d}:" \
                f"{(clock // 1000) % 60:02d}.{clock % 1000:03d}"
        out.append(f"\n{DASHES}\n[{entry}] {kind}\nTimestamp: {stamp}\n{DASHES}\n{label}\n\n"
                   + json.dumps(body, indent=2, ensure_ascii=False) + "\n")

    history = [{"role": "system", "content": "You are a careful coding assistant. " + text(rng, system_size)},
               {"role": "user", "content": f"Task {number}: " + text(rng, 200)}]
    for step in range(rng.randint(low, high)):
        write("REQUEST", "LLM Request:", {"messages": history, "tools": TOOLS})
        calls, response = tool_use_response(rng, number, step)
        write("RESPONSE", "LLM Response:", response)
        history.append({"role": "assistant", "content": response["content"], "tool_calls": calls})
        for call in calls:
            output = text(rng, output_size(rng))
            success = rng.random() >= 0.1
            name = call["function"]["name"]
            write("TOOL_RESULT", "Tool Execution:",
                  {"tool_name": name, "arguments": call["function"]["arguments"], "success": success,
                   ("result" if success else "error"): output})
            history.append({"role": "tool", "content": output, "tool_call_id": call["id"], "name": name})
    write("REQUEST", "LLM Request:", {"messages": history, "tools": TOOLS})
    write("RESPONSE", "LLM Response:", {"content": "Done. " + text(rng, 300), "finish_reason": "end_turn"})
    return "".join(out)


def main() -> None:
    arguments = sys.argv[1:]
    shape = "mix"
    if "--shape" in arguments:
        index = arguments.index("--shape")
        shape = arguments[index + 1]
        del arguments[index:index + 2]
    if shape not in SHAPES:
        sys.exit(f"unknown shape {shape!r}; choose from {', '.join(SHAPES)}")
    folder, size_mb = arguments[0], float(arguments[1])
    rng = random.Random(int(arguments[2]) if len(arguments) > 2 else 2026)
    os.makedirs(folder, exist_ok=True)
    total, number = 0, 0
    while total < size_mb * 1e6:
        data = run_log(rng, number, shape).encode()
        with open(os.path.join(folder, f"agent_run_20261126_{number:06d}.log"), "wb") as handle:
            handle.write(data)
        total += len(data)
        number += 1
    print(f"{number} runs, {total / 1e6:.1f} MB of shape {shape} in {folder}")


if __name__ == "__main__":
    main()
