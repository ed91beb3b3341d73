"""Mini-Agent's log format, written as the real agent writes it; no dependencies, so that a test agent (a separate
program) can use it too."""
import json
from datetime import datetime, timedelta

# The tools every request offers; the fault suite has a destination refuse POISONED_TOOL's rows.
POISONED_TOOL = "record_note"
TOOLS = ["bash", "read_file", "write_file", "edit_file"]


class MiniAgentLog:
    """Writes log text exactly as Mini-Agent does (the Python twin of Tests/AgentTailTestSupport/MiniAgentLog.swift):
    a header, then numbered REQUEST, RESPONSE and TOOL_RESULT entries with a timestamp and an indented JSON body."""

    def __init__(self, start: datetime):
        self.start = start
        self.clock = start
        self.counter = 0

    def header(self) -> str:
        rule = "=" * 80
        return f"{rule}\nAgent Run Log - {self.start:%Y-%m-%d %H:%M:%S}\n{rule}\n\n"

    def head(self, kind: str, label: str, advance_ms: int) -> str:
        """The lines before an entry's body, up to the blank line; the clock moves `advance_ms` forward first."""
        self.counter += 1
        self.clock += timedelta(milliseconds=advance_ms)
        dashes = "-" * 80
        stamp = f"{self.clock:%Y-%m-%d %H:%M:%S}.{self.clock.microsecond // 1000:03d}"
        return f"\n{dashes}\n[{self.counter}] {kind}\nTimestamp: {stamp}\n{dashes}\n{label}\n\n"

    def entry(self, kind: str, label: str, body: dict, advance_ms: int) -> str:
        """One entry with its JSON body, indented as Mini-Agent writes it."""
        return self.head(kind, label, advance_ms) + json.dumps(body, indent=2, ensure_ascii=False) + "\n"

    def request(self, messages: list, advance_ms: int = 1) -> str:
        body = {"messages": messages, "tools": TOOLS + [POISONED_TOOL]}
        return self.entry("REQUEST", "LLM Request:", body, advance_ms)

    def response(self, content: str, thinking: str | None = None, tool_calls=(), advance_ms: int = 40) -> str:
        """A response; `tool_calls` are (id, name, arguments). Without tool calls it is the run's final answer."""
        body = {"content": content, "finish_reason": "tool_use" if tool_calls else "end_turn"}
        if thinking is not None:
            body["thinking"] = thinking
        if tool_calls:
            body["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
                for call_id, name, arguments in tool_calls]
        return self.entry("RESPONSE", "LLM Response:", body, advance_ms)

    def tool_result(self, name: str, arguments: dict, success: bool, output: str, advance_ms: int = 5) -> str:
        body = {"tool_name": name, "arguments": arguments, "success": success,
                ("result" if success else "error"): output}
        return self.entry("TOOL_RESULT", "Tool Execution:", body, advance_ms)
