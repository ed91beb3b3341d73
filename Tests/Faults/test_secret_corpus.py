"""Secrets planted in agent logs never leave the host: not to PostgreSQL, not to Langfuse, not into the local store,
not into anything agenttail prints, at any log level."""
import base64
import json
import random
import sqlite3
import string
from datetime import datetime

from faults import MiniAgentLog, both_sinks_workspace
from stack import TABLES, postgres_rows

ALNUM = string.ascii_letters + string.digits


def token(rng: random.Random, length: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def secret_makers(rng: random.Random):
    """(kind, make) pairs: make() returns (the text to plant, the secret part that must never leave)."""

    def pair(text, secret=None):
        return text, secret or text

    def private_key():
        body = "\n".join(token(rng, 64, ALNUM + "+/") for _ in range(4))
        return pair(f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----", body.split("\n")[1])

    def jwt():
        value = ".".join([b64url({"alg": "HS256", "typ": "JWT"}), b64url({"sub": token(rng, 12), "role": "admin"}),
                          token(rng, 43, ALNUM + "-_")])
        return pair(value, value.split(".")[2])

    def url_password():
        password = token(rng, 16)
        return pair(f"postgres://admin:{password}@db.internal:5432/prod", password)

    def assignment(name):
        def make():
            value = token(rng, 24)
            return pair(f"{name}={value}", value)
        return make

    return [
        ("openai", lambda: pair("sk-proj-" + token(rng, 48, ALNUM + "-_"))),
        ("anthropic", lambda: pair("sk-ant-api03-" + token(rng, 80, ALNUM + "-_"))),
        ("langfuse", lambda: pair("sk-lf-" + token(rng, 32))),
        ("github", lambda: pair("ghp_" + token(rng, 36))),
        ("github_pat", lambda: pair("github_pat_" + token(rng, 22) + "_" + token(rng, 59))),
        ("slack", lambda: pair("xoxb-" + token(rng, 12, string.digits) + "-" + token(rng, 24))),
        ("google", lambda: pair("AIza" + token(rng, 35, ALNUM + "-_"))),
        ("aws", lambda: pair("AKIA" + token(rng, 16, string.ascii_uppercase + string.digits))),
        ("jwt", jwt),
        ("bearer", lambda: (lambda t: pair(f"Authorization: Bearer {t}", t))(token(rng, 40))),
        ("url", url_password),
        ("private_key", private_key),
        ("env_key", assignment("STRIPE_API_KEY")),
        ("env_token", assignment("export HF_TOKEN")),
        ("env_secret", assignment("CLIENT_SECRET")),
        ("password", lambda: (lambda p: pair(f"password: {p}", p))(token(rng, 18))),
        ("custom", lambda: pair("itk_" + token(rng, 24, string.ascii_lowercase + string.digits))),
    ]


def plant_corpus(logs, rng: random.Random, runs: int = 4):
    """Writes `runs` complete agent runs whose tasks, messages, thinking, tool arguments, results and errors carry
    secrets of every kind; returns the secrets planted."""
    makers = secret_makers(rng)
    secrets = []

    def plant():
        kind, make = makers[len(secrets) % len(makers)]
        text, secret = make()
        secrets.append((kind, secret))
        return text

    for run in range(runs):
        log = MiniAgentLog(datetime(2026, 11, 26, 9, run, 0))
        system = {"role": "system", "content": "You are a careful assistant."}
        user = {"role": "user", "content": f"Deploy with this key: {plant()} please"}
        texts = [log.header(), log.request([system, user])]
        history = [system, user]
        for step in range(3):
            calls = [
                (f"call_{run}_{step}_a", "bash", {"command": f"{plant()} ./deploy.sh && curl -s api.example.com"}),
                (f"call_{run}_{step}_b", "write_file", {"path": ".env", "content": f"# settings\n{plant()}\n"}),
            ]
            texts.append(log.response(f"I will use {plant()} now.", thinking=f"The credential is {plant()}.",
                                      tool_calls=calls))
            texts.append(log.tool_result("bash", calls[0][2], True, f"loaded config\n{plant()}\ndone"))
            texts.append(log.tool_result("write_file", calls[1][2], False, f"Error: rejected {plant()} (401)"))
            history += [{"role": "assistant", "content": "step"},
                        {"role": "tool", "content": "ok", "tool_call_id": calls[0][0]}]
            texts.append(log.request(history))
        texts.append(log.response(f"Finished; key was {plant()}."))
        (logs / f"agent_run_20261126_09{run:02d}00.log").write_text("".join(texts))
    return secrets


def leaks(secrets, text: str, where: str):
    return [f"{kind} secret in {where}" for kind, secret in secrets if secret in text]


def test_planted_secrets_reach_no_sink_and_no_output(tmp_path, admin, server, langfuse):
    rng = random.Random(20261127)
    workspace = both_sinks_workspace(tmp_path, server, langfuse)
    workspace.config.write_text(workspace.config.read_text() + """
redaction:
  patterns:
    - name: internal_token
      regex: 'itk_[a-z0-9]{24}'
""")
    secrets = plant_corpus(workspace.logs, rng)
    assert len(secrets) >= 50 and len({kind for kind, _ in secrets}) == 17

    outputs = [workspace.run("run", "--once", "--log-level", "trace")]
    outputs.append(workspace.run("status", "--log-level", "trace"))
    outputs.append(workspace.run("status", "--json"))
    logs = sorted(str(path) for path in workspace.logs.glob("*.log"))
    for output_format in ["rows", "otlp", "otel"]:
        outputs.append(workspace.run("parse", "--log-level", "trace", "--format", output_format, *logs))

    # The sinks' own credentials are secrets too.
    basic = base64.b64encode(f"{langfuse.public_key}:{langfuse.secret_key}".encode()).decode()
    secrets += [("service role key", server.service_key), ("langfuse key", langfuse.secret_key),
                ("langfuse basic", basic)]
    found = []
    for index, result in enumerate(outputs):
        found += leaks(secrets, result.stdout + result.stderr, f"command output {index}")
    local = {table: workspace.local_rows(table) for table in TABLES}
    found += leaks(secrets, json.dumps(local, ensure_ascii=False), "the local store")
    with sqlite3.connect(workspace.store) as connection:
        found += leaks(secrets, "\n".join(connection.iterdump()), "the local store's SQL dump")
    remote = {table: postgres_rows(admin, table) for table in TABLES}
    found += leaks(secrets, json.dumps(remote, default=str, ensure_ascii=False), "PostgreSQL")
    found += leaks(secrets, json.dumps(langfuse.store(), ensure_ascii=False), "Langfuse")
    assert not found, found

    # Masked, not dropped: every row arrived, with markers where the secrets were.
    assert len(local["tool_executions"]) == 4 * 3 * 2 and len(remote["tool_executions"]) == 24
    markers = json.dumps(local, ensure_ascii=False).count("[REDACTED:")
    assert markers >= len(secrets), f"{markers} markers for {len(secrets)} secrets"
    assert "[REDACTED:internal_token]" in json.dumps(remote, default=str)
    assert "[REDACTED:private_key]" in json.dumps(langfuse.store())
