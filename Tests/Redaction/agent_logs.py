"""Mini-Agent logs and Claude Code transcripts that carry given texts where agents carry them: shell commands the
agent runs, what the tools print (as results and as errors), the agent's messages and thinking, and the task."""
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Faults"))
from faults import MiniAgentLog  # noqa: E402


TASK = "Set up the deployment for the acme service and check it works."


def task(texts) -> str:
    """The user's task: it quotes the first message text, as users paste what they have into the prompt."""
    quoted = next((text for where, text in texts if where == "message"), None)
    return TASK if quoted is None else f"{TASK} Use this: {quoted}"


def mini_agent_run(texts, start: datetime) -> str:
    """One finished run whose steps carry `texts` ((where, text) pairs) in turn."""
    log = MiniAgentLog(start)
    system = {"role": "system", "content": "You are a careful assistant."}
    user = {"role": "user", "content": task(texts)}
    history = [system, user]
    parts = [log.header(), log.request(history)]
    for step, (where, text) in enumerate(texts):
        call_id = f"call_{start:%H%M%S}_{step}"
        if where == "command":
            arguments = {"command": text}
            output, success = "done", True
        else:
            arguments = {"command": "cat config/settings"}
            output, success = (text, step % 3 != 2) if where == "output" else ("ok", True)
        content = text if where == "message" and step % 2 == 0 else "Next step."
        thinking = text if where == "message" and step % 2 == 1 else "Continue with the plan."
        parts.append(log.response(content, thinking=thinking, tool_calls=[(call_id, "bash", arguments)]))
        parts.append(log.tool_result("bash", arguments, success, output))
        history += [{"role": "assistant", "content": content, "thinking": thinking,
                     "tool_calls": [{"id": call_id, "type": "function",
                                     "function": {"name": "bash", "arguments": arguments}}]},
                    {"role": "tool", "content": output, "tool_call_id": call_id, "name": "bash"}]
        parts.append(log.request(history))
    parts.append(log.response("The deployment is configured."))
    return "".join(parts)


class ClaudeCodeTranscript:
    """Lines as Claude Code writes them to ~/.claude/projects/<project>/<session>.jsonl."""

    def __init__(self, start: datetime, rng: random.Random):
        self.rng = rng
        self.clock = start.replace(tzinfo=timezone.utc)
        self.session = str(uuid.UUID(int=rng.getrandbits(128)))
        self.parent = None
        self.lines = []

    def _id(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789")
                                for _ in range(24))

    def _line(self, kind: str, message: dict, **extra) -> None:
        self.clock += timedelta(milliseconds=700)
        line_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        self.lines.append({
            "parentUuid": self.parent, "isSidechain": False, "userType": "external", "cwd": "/home/jo/code/acme",
            "sessionId": self.session, "version": "2.0.14", "gitBranch": "main", "type": kind, "message": message,
            "uuid": line_id, "timestamp": self.clock.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.clock.microsecond // 1000:03d}Z",
            **extra})
        self.parent = line_id

    def user(self, content) -> None:
        self._line("user", {"role": "user", "content": content})

    def assistant(self, blocks: list, stop_reason: str | None) -> None:
        message_id = self._id("msg_01")
        usage = {"input_tokens": 4, "cache_creation_input_tokens": 120, "cache_read_input_tokens": 9000,
                 "output_tokens": 60, "service_tier": "standard"}
        for index, block in enumerate(blocks):
            last = index == len(blocks) - 1
            self._line("assistant", {"id": message_id, "type": "message", "role": "assistant",
                                     "model": "claude-sonnet-4-5-20250929", "content": [block],
                                     "stop_reason": stop_reason if last else None, "stop_sequence": None,
                                     "usage": usage}, requestId=self._id("req_011C"))

    def step(self, where: str, text: str, index: int) -> None:
        tool_id = self._id("toolu_01")
        command = text if where == "command" else "cat config/settings"
        blocks = []
        if where == "message":
            blocks.append({"type": "thinking", "thinking": text, "signature": "EqQB" + "A" * 40} if index % 2
                          else {"type": "text", "text": text})
        blocks.append({"type": "tool_use", "id": tool_id, "name": "Bash",
                       "input": {"command": command, "description": "Run a step of the deployment"}})
        self.assistant(blocks, "tool_use")
        output = text if where == "output" else "done"
        failed = where == "output" and index % 3 == 2
        self.user([{"tool_use_id": tool_id, "type": "tool_result", "content": output, "is_error": failed}])

    def text(self) -> str:
        return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in self.lines)


def claude_code_session(texts, start: datetime, rng: random.Random) -> str:
    transcript = ClaudeCodeTranscript(start, rng)
    transcript.user(task(texts))
    for index, (where, text) in enumerate(texts):
        transcript.step(where, text, index)
    transcript.assistant([{"type": "text", "text": "The deployment is configured."}], "end_turn")
    return transcript.text()


def write_logs(root: Path, texts, rng: random.Random, per_file: int = 12) -> tuple[Path, Path]:
    """Writes `texts` ((where, text) pairs) into Mini-Agent logs and Claude Code transcripts, alternately, `per_file`
    to a file; returns the two folders."""
    mini, claude = root / "mini-agent", root / "claude" / "projects" / "-home-jo-code-acme"
    mini.mkdir(parents=True)
    claude.mkdir(parents=True)
    start = datetime(2026, 12, 1, 9, 0, 0)
    for number, offset in enumerate(range(0, len(texts), per_file)):
        chunk = texts[offset:offset + per_file]
        when = start + timedelta(minutes=number)
        if number % 2 == 0:
            (mini / f"agent_run_{when:%Y%m%d_%H%M%S}.log").write_text(mini_agent_run(chunk, when))
        else:
            session = claude_code_session(chunk, when, rng)
            (claude / f"{uuid.UUID(int=rng.getrandbits(128))}.jsonl").write_text(session)
    return mini, claude
