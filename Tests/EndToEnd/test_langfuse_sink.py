"""agenttail's Langfuse sink against the OTLP test server, which parses every export with the official protobuf
definitions and stores what Langfuse would."""
import signal
import time

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
    assert sorted((g["model"], g["usageDetails"]["input"], g["usageDetails"]["output"]) for g in generations) == expected
    tools = [o for o in latest.values() if o["type"] == "TOOL"]
    assert sorted(o["name"] for o in tools) == sorted(r["tool_name"] for s in facts for r in s["tool_results"])
    assert_consistent(store)


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


def test_generic_otlp_sink_speaks_genai_conventions(tmp_path, langfuse):
    import base64
    token = base64.b64encode(f"{langfuse.public_key}:{langfuse.secret_key}".encode()).decode()
    sinks = f"""  otlp:
    endpoint: {langfuse.url}/api/public/otel/v1/traces
    headers:
      Authorization: ${{OTLP_AUTHORIZATION}}"""
    workspace = Workspace(tmp_path, langfuse, sinks=sinks, env={"OTLP_AUTHORIZATION": f"Basic {token}"})
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
