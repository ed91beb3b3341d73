"""An independent oracle: detect-secrets (Yelp's scanner, from PyPI) scans the logs of the secret-forms corpus, and
every secret it finds there must be absent from everything agenttail stored, sent or printed: the local store and
the state database, what the Supabase and Langfuse test servers received, `parse` and `parse --explain`, `status`,
`test-rules` differences, and the process's own log at `trace`."""
import json
import random
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from agent_logs import write_logs
from faults import supabase_and_langfuse
from secret_forms import instances
from stack import BINARY, ROOT, TABLES, Workspace, postgres_rows

SEED = 20261203


# Ids the agents write into their transcripts (tool calls, messages, requests): detect-secrets' entropy plugin
# reports them, and agenttail keeps them, since they pair tool calls with results.
AGENT_IDS = re.compile(r"^(toolu_|msg_|req_|call_)[A-Za-z0-9]+$")


def detect_secrets(paths) -> dict:
    """What detect-secrets finds in the files: {secret value: (plugin, file)}. A value it reports from inside a JSON
    string is unescaped; a value shorter than 8 characters (its regex's first group, such as `ghp`) is widened to
    the token around it on its line."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    found = {}
    with default_settings():
        collection = SecretsCollection()
        for path in paths:
            collection.scan_file(str(path))
    for filename, secret in collection:
        value = secret.secret_value
        if not value:
            continue
        if len(value) < 8:
            line = Path(filename).read_text().splitlines()[secret.line_number - 1]
            tokens = [match.group(0) for match in re.finditer(r"[A-Za-z0-9_\-.~]+", line) if value in match.group(0)]
            values = [token for token in tokens if len(token) >= 8] or [value]
        else:
            values = [value]
        for value in values:
            if "\\" in value:
                try:
                    value = json.loads('"' + value.rstrip("\\") + '"')
                except ValueError:
                    pass
            found.setdefault(value, (secret.type, Path(filename).name))
    return found


def encodings(secret: str) -> set:
    """The ways a value can appear in an output: as it is, JSON-escaped, and with escaped slashes."""
    escaped = json.dumps(secret, ensure_ascii=False)[1:-1]
    return {secret, escaped, escaped.replace("/", "\\/")}


def rules_with_secrets(folder: Path, secrets: list[str]) -> Path:
    """The tutorial's rule pack with one more test whose log and whose expectations both hold secrets, and fail."""
    shutil.copy(ROOT / "docs" / "tutorial" / "pebble-run.log", folder / "pebble-run.log")
    log = (ROOT / "docs" / "tutorial" / "pebble-run.log").read_text()
    question = "How many TODOs are left in src/?"
    (folder / "secret-run.log").write_text(log.replace(question, f"Deploy with GITHUB_TOKEN={secrets[0]} now"))
    pack = (ROOT / "docs" / "tutorial" / "pebble.yaml").read_text() + f"""
  - name: a diff that quotes secrets
    file: secret-run.log
    rows:
      - table: agent_sessions
        task: {question}
        final_output: 'the key is {secrets[1]}'
"""
    path = folder / "pebble.yaml"
    path.write_text(pack)
    return path


def test_what_detect_secrets_finds_in_the_logs_never_leaves(tmp_path, admin, server, langfuse):
    rng = random.Random(SEED)
    planted = instances(rng, 3)
    workspace = Workspace(tmp_path / "work", server, sinks=supabase_and_langfuse(langfuse),
                          env={"LANGFUSE_SECRET_KEY": langfuse.secret_key}, claude_code=True)
    mini, claude = write_logs(tmp_path / "corpus", [(form.where, text) for form, text, _ in planted], rng)
    for path in mini.glob("*.log"):
        shutil.copy(path, workspace.logs / path.name)
    workspace.transcripts.mkdir(parents=True)
    for path in claude.glob("*.jsonl"):
        shutil.copy(path, workspace.transcripts / path.name)
    inputs = sorted([*workspace.logs.glob("*.log"), *workspace.transcripts.glob("*.jsonl")])

    found = detect_secrets(inputs)
    # IPPublicDetector reports addresses, which are not credentials and which reports need.
    oracle = {value: where for value, where in found.items()
              if where[0] != "Public IP (ipv4)" and not AGENT_IDS.match(value)}
    excluded = len(found) - len(oracle)
    assert len(oracle) >= 90, f"detect-secrets found only {len(oracle)} secrets in the corpus"

    outputs = {}
    run = workspace.run("run", "--once", "--log-level", "trace")
    outputs["run --once, its log at trace"] = run.stdout + run.stderr
    status = workspace.run("status", "--json")
    outputs["status --json"] = status.stdout + status.stderr
    mini_files = [str(path) for path in inputs if path.suffix == ".log"]
    claude_files = [str(path) for path in inputs if path.suffix == ".jsonl"]
    for name, arguments in {
        "parse": ["--log-level", "trace", *mini_files],
        "parse --rules builtin:claude-code": ["--rules", "builtin:claude-code", *claude_files],
        "parse --format otlp": ["--format", "otlp", *mini_files],
        "parse --explain": ["--explain", *mini_files],
        "parse --explain --rules builtin:claude-code": ["--explain", "--rules", "builtin:claude-code", *claude_files],
    }.items():
        result = subprocess.run([str(BINARY), "parse", *arguments], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        outputs[name] = result.stdout + result.stderr
    test_rules = subprocess.run([str(BINARY), "test-rules", str(rules_with_secrets(tmp_path, list(oracle)[:2]))],
                                capture_output=True, text=True, timeout=120)
    assert test_rules.returncode == 1 and "a diff that quotes secrets" in test_rules.stdout, test_rules.stdout
    outputs["test-rules"] = test_rules.stdout + test_rules.stderr
    for name, path in {"the local store": workspace.store, "the state database": workspace.root / "state.sqlite"}.items():
        with sqlite3.connect(path) as connection:
            # Blobs (the parser's saved state) are dumped as hex: decode them so that what they hold is seen.
            dump = "\n".join(connection.iterdump())
            outputs[name] = re.sub(r"X'([0-9A-Fa-f]*)'", lambda m: bytes.fromhex(m.group(1)).decode("utf-8", "replace"),
                                   dump)
    outputs["PostgreSQL"] = json.dumps({table: postgres_rows(admin, table) for table in TABLES}, default=str,
                                       ensure_ascii=False)
    outputs["Langfuse"] = json.dumps(langfuse.store(), ensure_ascii=False)

    # Everything arrived, masked rather than dropped.
    assert len(workspace.local_rows("tool_executions")) == len(planted)
    assert len(postgres_rows(admin, "tool_executions")) == len(planted)
    assert "[REDACTED:" in outputs["Langfuse"] and "[REDACTED:" in outputs["test-rules"]

    leaks = [f"{kind} from {file} in {where}: {value[:12]}…"
             for value, (kind, file) in oracle.items()
             for where, text in outputs.items()
             if any(form in text for form in encodings(value))]
    folder = tmp_path / "outputs"
    folder.mkdir()
    for index, (name, text) in enumerate(outputs.items()):
        (folder / f"{index:02d}.txt").write_text(text)
    in_outputs = detect_secrets(sorted(folder.glob("*.txt")))
    kinds = {}
    for kind, _ in oracle.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"\ndetect-secrets found {len(found)} candidates in {len(inputs)} input logs; {excluded} are ids of the agents' "
          f"formats or addresses; the {len(oracle)} secrets: "
          + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    ids = sum(1 for value in in_outputs if AGENT_IDS.match(value) or re.fullmatch(r"[0-9a-f]{16}|[0-9a-f]{32}", value))
    print(f"of these, {len(leaks)} appear in the {len(outputs)} outputs; detect-secrets finds {len(in_outputs)} "
          f"candidates of its own in the outputs, {ids} of them span, trace and agent ids"
          + (" (" + ", ".join(sorted({kind for kind, _ in in_outputs.values()})) + ")" if in_outputs else ""))
    assert not leaks, "\n".join(leaks)
