"""agenttail's Langfuse sink against the OTLP test server, which parses every export with the official protobuf
definitions and stores what Langfuse would."""
import base64
import signal
import time
from pathlib import Path

import pytest

from stack import Workspace


def observations_by_type(store):
    by_type = {}
    for observation in store["observations"]:
        by_type.setdefault(observation["type"], set()).add(observation["id"])
    return by_type


def assert_consistent(store):
    """Parents exist in the same trace, times are ordered and children lie within their root."""
    spans = {(o["traceId"], o["id"]): o for o in store["observations"]}
    for observation in store["observations"]:
        assert observation["startTime"] <= observation["endTime"]
        parent_id = observation.get("parentObservationId")
        if parent_id:
            parent = spans[(observation["traceId"], parent_id)]
            assert parent["startTime"] <= observation["startTime"] <= observation["endTime"] <= parent["endTime"]


def test_fixture_logs_become_one_trace_per_session(tmp_path, langfuse):
    workspace = Workspace(tmp_path, langfuse, sinks=langfuse.sinks())
    workspace.add_fixtures()
    workspace.run("run", "--once")
    store = langfuse.store()
    assert len(store["traces"]) == 4
    kinds = observations_by_type(store)
    assert len(kinds["AGENT"]) == 4
    assert len(kinds["GENERATION"]) == len(workspace.local_rows("llm_calls")) == 9
    assert len(kinds["TOOL"]) == len(workspace.local_rows("tool_executions")) == 8
    assert_consistent(store)
    assert '"dead_letters":0' in workspace.run("status", "--json").stdout.replace(" ", "")
    unique = len({o["id"] for o in store["observations"]})
    # A second run sends nothing; a run killed mid-export and restarted adds no new observation.
    workspace.run("run", "--once")
    assert len({o["id"] for o in langfuse.store()["observations"]}) == unique
    assert langfuse.store()["changed_resends"] == 0


def test_claude_code_transcripts_become_traces_with_their_usage(tmp_path, langfuse):
    workspace = Workspace(tmp_path, langfuse, sinks=langfuse.sinks(), claude_code=True)
    facts = workspace.add_claude_code_fixtures()
    workspace.run("run", "--once")
    store = langfuse.store()
    assert len(store["traces"]) == len(facts)
    latest = {}
    for observation in store["observations"]:
        latest[observation["id"]] = observation
    generations = [o for o in latest.values() if o["type"] == "GENERATION"]
    expected = sorted((m["model"], m["input_tokens"], m["output_tokens"]) for s in facts for m in s["messages"])
    # Langfuse's buckets are additive: fresh input, cache reads and cache writes make up the whole prompt.
    usage = [g["usageDetails"] for g in generations]
    assert sorted((g["model"], u["input"] + u.get("input_cache_read", 0) + u.get("input_cache_creation", 0),
                   u["output"]) for g, u in zip(generations, usage)) == expected
    assert all(u["total"] == u["input"] + u.get("input_cache_read", 0) + u.get("input_cache_creation", 0)
               + u["output"] for u in usage)
    tools = [o for o in latest.values() if o["type"] == "TOOL"]
    assert sorted(o["name"] for o in tools) == sorted(r["tool_name"] for s in facts for r in s["tool_results"])
    assert_consistent(store)


# Where the first Claude Code fixtures ran, as their transcripts say: (cwd, gitBranch, version). Later fixtures
# give it in expected.json.
CLAUDE_CODE_RUNS = {
    "01_single_tool.jsonl": ("/home/jo/code/lanternfish", "main", "2.0.14"),
    "02_parallel_tools_and_failure.jsonl": ("/Users/priya/work/ledgerline", "feat/webhook-retries", "1.0.88"),
    "03_sidechain.jsonl": ("/home/sam/dev/orbit-cli", "main", "2.0.21"),
    "04_multi_turn_api_error.jsonl": ("/home/lee/projects/parcel-tracker", "fix/eta-rounding", "2.1.9"),
}


def latest_copies(store):
    latest = {}
    for observation in store["observations"]:
        latest[observation["id"]] = observation
    return list(latest.values())


def by_fixture(observations, source_path_of):
    """The observations of each fixture's trace, in start order; `source_path_of` reads it off the root span."""
    files = {o["traceId"]: Path(source_path_of(o)).name for o in observations if not o["parentObservationId"]}
    grouped = {}
    for observation in sorted(observations, key=lambda o: o["startTime"]):
        grouped.setdefault(files[observation["traceId"]], []).append(observation)
    return grouped


def test_claude_code_generations_carry_cache_usage_cost_and_the_run_on_every_span(tmp_path, langfuse):
    """Usage in Langfuse's cache buckets, our cost as a number, and trace name, tags, user and metadata on every
    observation, since children arrive before their root."""
    workspace = Workspace(tmp_path, langfuse, sinks=langfuse.sinks() + "\n    user_id: jo@example.com",
                          claude_code=True)
    workspace.config.write_text(workspace.config.read_text() + "host: build-7\n")
    facts = workspace.add_claude_code_fixtures()
    workspace.run("run", "--once")
    store = langfuse.store()
    observations = latest_copies(store)
    runs = by_fixture(observations, lambda root: root["traceMetadata"]["source_path"])
    places = {**CLAUDE_CODE_RUNS, **{s["file"]: (s["workspace"], s["git_branch"], s["version"])
                                     for s in facts if "workspace" in s}}
    assert sorted(runs) == sorted(s["file"] for s in facts) == sorted(places)

    generations = [o for o in runs["01_single_tool.jsonl"] if o["type"] == "GENERATION"]
    # Sonnet 4.5 at $3 / $15 / $0.30 / $3.75 per million: 4×3 + 14210×0.30 + 1523×3.75 + 118×15 = 11756.25 µ$.
    assert [(g["usageDetails"], g["costDetails"]) for g in generations] == [
        ({"input": 4, "input_cache_read": 14210, "input_cache_creation": 1523, "output": 118, "total": 15855},
         {"total": pytest.approx(0.01175625, rel=1e-12)}),
        ({"input": 7, "input_cache_read": 15733, "input_cache_creation": 412, "output": 96, "total": 16248},
         {"total": pytest.approx(0.0077259, rel=1e-12)})]
    # No price for claude-sonnet-4-20250514: no cost is sent.
    unpriced = [o for o in runs["02_parallel_tools_and_failure.jsonl"] if o["type"] == "GENERATION"]
    assert [g["costDetails"] for g in unpriced] == [{}, {}]

    for name, (cwd, branch, version) in places.items():
        for observation in runs[name]:
            metadata = observation["traceMetadata"]
            assert (observation["traceName"], observation["tags"], observation["userId"]) == (
                "claude-code run", ["claude-code"], "jo@example.com"), (name, observation["name"])
            assert {key: metadata.get(key) for key in ["agent", "host", "workspace", "git_branch", "agent_version"]} \
                == {"agent": "claude-code", "host": "build-7", "workspace": cwd, "git_branch": branch,
                    "agent_version": version}, (name, observation["name"])
    assert {(t["name"], t["userId"], t["metadata"]["workspace"]) for t in store["traces"].values()} == {
        ("claude-code run", "jo@example.com", cwd) for cwd, _, _ in places.values()}


def test_without_user_id_no_span_names_a_user(tmp_path, langfuse):
    workspace = Workspace(tmp_path, langfuse, sinks=langfuse.sinks(), claude_code=True)
    workspace.add_claude_code_fixtures()
    workspace.run("run", "--once")
    observations = latest_copies(langfuse.store())
    assert len(observations) > 0
    assert {o["userId"] for o in observations} == {None}
    assert {o["traceName"] for o in observations} == {"claude-code run"}


def test_sigkill_mid_export_adds_no_new_observation(tmp_path, langfuse):
    workspace = Workspace(tmp_path, langfuse, sinks=langfuse.sinks(batch_spans=1))
    workspace.add_fixtures()
    langfuse.faults(delay_ratio=1.0, delay_seconds=0.2, delay_commits=True)
    process = workspace.start()
    deadline = time.time() + 20
    while langfuse.requests()["count"] < 3 and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    langfuse.faults()
    workspace.run("run", "--once")
    store = langfuse.store()
    assert len({o["id"] for o in store["observations"]}) == 4 + 9 + 8
    assert store["changed_resends"] == 0
    assert_consistent(store)


def test_everything_arrives_through_faults_and_a_poisoned_span_dead_letters_alone(tmp_path, langfuse):
    workspace = Workspace(tmp_path, langfuse, sinks=langfuse.sinks(batch_spans=4))
    workspace.add_fixtures()
    langfuse.faults(fail_ratio=0.3, throttle_ratio=0.15, retry_after=0, drop_ratio=0.05, seed=3,
                    reject_span_names=["read_file"])
    process = workspace.start("--log-level", "error")
    deadline = time.time() + 90
    while time.time() < deadline:
        assert process.poll() is None, f"agenttail exited early: {process.stderr.read()}"
        if len({o["id"] for o in langfuse.store()["observations"]}) >= 4 + 9 + 6 and \
                '"name":"langfuse","outbox_depth":0' in workspace.run("status", "--json").stdout.replace(" ", ""):
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    store = langfuse.store()
    names = [o["name"] for o in store["observations"]]
    assert "read_file" not in names
    # The two read_file spans are the only ones missing, each set aside on its own.
    assert len({o["id"] for o in store["observations"]}) == 4 + 9 + 8 - 2
    assert '"dead_letters":2' in workspace.run("status", "--json").stdout.replace(" ", "")
    assert store["changed_resends"] == 0


def test_wrong_keys_stop_the_sink_and_check_reports_them(tmp_path, langfuse):
    workspace = Workspace(tmp_path, langfuse, sinks=langfuse.sinks(),
                          env={"LANGFUSE_SECRET_KEY": "sk-lf-wrong"})
    workspace.add_fixtures()
    result = workspace.run("run", "--once", check=False)
    assert result.returncode == 1
    assert "sink langfuse stopped: Langfuse refused the credentials (HTTP 401" in result.stderr
    assert len(workspace.local_rows("llm_calls")) == 9
    check = workspace.run("check", check=False)
    assert "sink langfuse: the server refused the credentials (HTTP 401" in check.stderr
    good = Workspace(tmp_path / "good", langfuse, sinks=langfuse.sinks())
    assert "ok: Langfuse 4.16.0 at" in good.run("check").stdout


def otlp_workspace(tmp_path, langfuse, claude_code: bool = False) -> Workspace:
    """A workspace whose only remote sink is the generic OTLP one, pointed at the test server's OTLP route."""
    token = base64.b64encode(f"{langfuse.public_key}:{langfuse.secret_key}".encode()).decode()
    sinks = f"""  otlp:
    endpoint: {langfuse.url}/api/public/otel/v1/traces
    headers:
      Authorization: ${{OTLP_AUTHORIZATION}}"""
    return Workspace(tmp_path, langfuse, sinks=sinks, claude_code=claude_code,
                     env={"OTLP_AUTHORIZATION": f"Basic {token}"})


def test_generic_otlp_sink_speaks_genai_conventions(tmp_path, langfuse):
    workspace = otlp_workspace(tmp_path, langfuse)
    workspace.add_fixtures()
    workspace.run("run", "--once")
    assert "accepts OTLP exports" in workspace.run("check").stdout
    store = langfuse.store()
    # Every export parsed strictly as OTLP; the spans carry gen_ai.* instead of langfuse.* attributes.
    assert len({o["id"] for o in store["observations"]}) == 4 + 9 + 8
    operations = sorted(o["attributes"].get("gen_ai.operation.name") for o in store["observations"])
    assert operations == sorted(["invoke_agent"] * 4 + ["chat"] * 9 + ["execute_tool"] * 8)
    tools = [o for o in store["observations"] if o["attributes"].get("gen_ai.operation.name") == "execute_tool"]
    assert all(o["attributes"]["gen_ai.tool.name"] == o["name"] for o in tools)
    assert not any(key.startswith("langfuse.") for o in store["observations"] for key in o["attributes"])


def test_generic_otlp_sink_carries_cache_tokens_and_cost(tmp_path, langfuse):
    """gen_ai.usage.input_tokens is the whole prompt; the cache parts and our cost (a double) go beside it."""
    workspace = otlp_workspace(tmp_path, langfuse, claude_code=True)
    facts = workspace.add_claude_code_fixtures()
    workspace.run("run", "--once")
    runs = by_fixture(latest_copies(langfuse.store()), lambda root: root["attributes"]["agenttail.source_path"])
    chats = {name: [o["attributes"] for o in spans if o["attributes"].get("gen_ai.operation.name") == "chat"]
             for name, spans in runs.items()}
    keys = ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_creation.input_tokens"]
    assert [[a[key] for key in keys] for a in chats["01_single_tool.jsonl"]] == [
        [15737, 118, 14210, 1523], [16152, 96, 15733, 412]]
    costs = [a["agenttail.cost_usd"] for a in chats["01_single_tool.jsonl"]]
    assert all(type(cost) is float for cost in costs)
    assert costs == [pytest.approx(0.01175625, rel=1e-12), pytest.approx(0.0077259, rel=1e-12)]
    assert [[a[key] for key in keys] for a in chats["02_parallel_tools_and_failure.jsonl"]] == [
        [14090, 201, 11876, 2210], [14779, 143, 14086, 689]]
    assert not any("agenttail.cost_usd" in a for a in chats["02_parallel_tools_and_failure.jsonl"])
    # Every call of every fixture: the whole prompt in input_tokens, its cache parts as integers beside it.
    assert sorted((a["gen_ai.request.model"], a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"])
                  for spans in chats.values() for a in spans) == sorted(
        (m["model"], m["input_tokens"], m["output_tokens"]) for s in facts for m in s["messages"])
    assert all(type(a[key]) is int and 0 <= a[key] <= a["gen_ai.usage.input_tokens"]
               for spans in chats.values() for a in spans for key in keys[2:])
