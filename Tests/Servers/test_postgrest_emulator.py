"""The PostgREST emulator against a throwaway PostgreSQL set up like a Supabase project (scripts/postgres.sh): what
/work/shared/contracts/supabase-rest.md says about bulk upserts, errors, keys and roles, and the fault injection."""
import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
import pytest

from postgrest_emulator import make_jwt
from throwaway_postgres import throwaway_postgres

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = Path(__file__).with_name("postgrest_emulator.py")
SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
ANON_KEY = make_jwt(SECRET, {"iss": "supabase", "role": "anon", "iat": 1700000000, "exp": 4102444800})
SERVICE_KEY = make_jwt(SECRET, {"iss": "supabase", "role": "service_role", "iat": 1700000000, "exp": 4102444800})
# The opaque keys Supabase projects now have: the gateway maps each to its role.
SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz"
PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH"
USER_ID = "8d0b3b0e-6a43-4c5e-9a65-1f2b7f1f0c11"
TABLES = ["agent_sessions", "llm_calls", "tool_executions", "agent_errors"]
VIEWS = ["agent_performance_daily", "tool_usage_stats", "error_patterns", "daily_summary"]
SAME_AS_KEY = object()  # the Authorization default: `Bearer <apikey>`, as the client libraries send


def user_token(**claims) -> str:
    """A Supabase Auth session for USER_ID (role authenticated)."""
    return make_jwt(SECRET, {"role": "authenticated", "sub": USER_ID, "aud": "authenticated",
                             "exp": int(time.time()) + 3600, **claims})


def uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def session(name: str, **fields) -> dict:
    return {"id": uid(name), "agent": "mini-agent", "host": "host-1", "status": "completed", **fields}


class Reply:
    def __init__(self, status: int, headers, text: str):
        self.status, self.headers, self.text = status, headers, text

    def json(self):
        return json.loads(self.text)


class Client:
    """Talks HTTP/1.1 to the emulator, one connection per request, like a plain REST client."""

    def __init__(self, port: int):
        self.port = port

    def request(self, method, path, body=None, key=SERVICE_KEY, token=SAME_AS_KEY, headers=None, timeout=10.0):
        sent = {}
        if key is not None:
            sent["apikey"] = key
        bearer = key if token is SAME_AS_KEY else token
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        if body is not None:
            body = body if isinstance(body, (str, bytes)) else json.dumps(body)
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read().decode())
        finally:
            connection.close()

    def post(self, table, rows, query="", prefer="return=minimal", headers=None, **options):
        headers = {**({"Prefer": prefer} if prefer else {}), **(headers or {})}
        return self.request("POST", f"/rest/v1/{table}{query}", rows, headers=headers, **options)

    def upsert(self, table, rows, **options):
        """What agenttail's sink sends: quoted `columns` (union of keys), `on_conflict=id`, merge, minimal."""
        columns = ",".join(f'"{name}"' for name in sorted({key for row in rows for key in row}))
        query = "?" + urlencode({"columns": columns, "on_conflict": "id"})
        return self.post(table, rows, query, prefer="return=minimal,resolution=merge-duplicates", **options)

    def get(self, table, query="", **options):
        return self.request("GET", f"/rest/v1/{table}{query}", **options)

    def control(self, method, path, body=None) -> dict:
        reply = self.request(method, path, body, key=None, token=None)
        assert reply.status == 200, reply.text
        return reply.json()

    def set_faults(self, **settings) -> dict:
        return self.control("POST", "/__faults", settings)

    def counters(self) -> dict:
        return self.control("GET", "/__requests")

    def wait_until_answered(self, timeout=10.0) -> dict:
        """Counters once every received request has been answered or dropped (delayed ones finish late)."""
        deadline = time.monotonic() + timeout
        while True:
            counters = self.counters()
            if sum(counters["statuses"].values()) + counters["dropped"] == counters["count"]:
                return counters
            assert time.monotonic() < deadline, counters
            time.sleep(0.05)


def start_emulator(database_port: int) -> tuple:
    process = subprocess.Popen(
        [sys.executable, str(EMULATOR),
         "--database-url", f"postgresql://authenticator:authenticator@127.0.0.1:{database_port}/postgres",
         "--jwt-secret", SECRET, "--anon-key", ANON_KEY, "--service-key", SERVICE_KEY,
         "--secret-key", SECRET_KEY, "--publishable-key", PUBLISHABLE_KEY, "--port", "0"],
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.fullmatch(r"listening on (\d+)\n", line)
    if match is None:
        process.kill()
        pytest.fail(f"emulator did not start: {line!r}")
    return process, int(match.group(1))


@pytest.fixture(scope="session")
def database():
    """The port of a fresh cluster with Supabase's roles and Schema/ applied; stopped and removed afterwards."""
    with throwaway_postgres("postgrest-emulator-pg-") as port:
        yield port


@pytest.fixture(scope="session")
def admin(database):
    connection = psycopg2.connect(host="127.0.0.1", port=database, user="postgres", dbname="postgres")
    connection.autocommit = True
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def emulator(database):
    process, port = start_emulator(database)
    yield Client(port)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)


@pytest.fixture(autouse=True)
def clean(emulator, admin):
    """Every test starts with empty tables, no faults and zero counters."""
    with admin.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"delete from public.{table}")
    emulator.control("POST", "/__reset")


@pytest.fixture(scope="session")
def probes(admin):
    """Views that show what the emulator's transaction prelude set, and one that takes 0.5 s."""
    with admin.cursor() as cursor:
        cursor.execute("""
            create view public.emulator_probe as select current_user::text as role,
                current_setting('request.jwt.claims', true)::json as claims,
                current_setting('request.method', true) as method, current_setting('request.path', true) as path,
                current_setting('search_path') as search_path,
                current_setting('statement_timeout') as statement_timeout,
                current_setting('transaction_read_only') as read_only;
            create view public.emulator_probe_slow as select pg_sleep(0.5)::text as slept;
            grant select on public.emulator_probe, public.emulator_probe_slow to anon, authenticated, service_role;
        """)
    yield
    with admin.cursor() as cursor:
        cursor.execute("drop view public.emulator_probe, public.emulator_probe_slow")


def rows(admin, query: str, params=()) -> list:
    with admin.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def count(admin, table: str) -> int:
    return rows(admin, f"select count(*) from public.{table}")[0][0]


def assert_error(reply: Reply, status: int, code: str) -> dict:
    assert reply.status == status, reply.text
    body = reply.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "details", "hint", "message"}
    return body


BATCH = [session("a", task="first", duration_ms=10), session("b", task="second", duration_ms=20),
         session("c", task="third", duration_ms=30)]


# Upserts ---------------------------------------------------------------------------------------------------------


def test_service_role_upsert_of_a_batch_is_201(emulator, admin):
    reply = emulator.upsert("agent_sessions", BATCH)
    assert reply.status == 201, reply.text
    assert reply.text == ""
    assert reply.headers["Content-Range"] == "*/*"
    assert reply.headers["Preference-Applied"] == "resolution=merge-duplicates, return=minimal"
    assert rows(admin, "select task from agent_sessions order by duration_ms") == [("first",), ("second",), ("third",)]


def test_the_same_batch_again_is_200_and_updates_without_duplicates(emulator, admin):
    assert emulator.upsert("agent_sessions", BATCH).status == 201
    changed = [dict(row, task=row["task"] + " again") for row in BATCH]
    assert emulator.upsert("agent_sessions", changed).status == 200
    assert count(admin, "agent_sessions") == 3
    assert rows(admin, "select task from agent_sessions order by duration_ms")[0] == ("first again",)


def test_a_batch_with_one_new_row_is_201(emulator, admin):
    emulator.upsert("agent_sessions", BATCH[:2])
    assert emulator.upsert("agent_sessions", BATCH).status == 201
    assert count(admin, "agent_sessions") == 3


def test_ignore_duplicates_skips_existing_rows_and_answers_201(emulator, admin):
    emulator.upsert("agent_sessions", BATCH)
    reply = emulator.post("agent_sessions", [dict(BATCH[0], task="ignored")], "?on_conflict=id",
                          prefer="resolution=ignore-duplicates")
    assert reply.status == 201
    assert rows(admin, "select task from agent_sessions where id = %s", (BATCH[0]["id"],)) == [("first",)]


def test_on_conflict_without_a_resolution_is_a_plain_insert_409(emulator):
    emulator.upsert("agent_sessions", BATCH)
    reply = emulator.post("agent_sessions", BATCH[:1], "?on_conflict=id")
    assert "unique constraint" in assert_error(reply, 409, "23505")["message"]


def test_on_conflict_needs_a_unique_constraint_42P10(emulator):
    reply = emulator.post("agent_sessions", BATCH, "?on_conflict=agent", prefer="resolution=merge-duplicates")
    assert_error(reply, 400, "42P10")


def test_return_representation_answers_the_rows(emulator):
    reply = emulator.post("agent_sessions", BATCH[:1], "?select=id,task", prefer="return=representation")
    assert reply.status == 201
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json() == [{"id": BATCH[0]["id"], "task": "first"}]


def test_return_headers_only_gives_the_location(emulator):
    reply = emulator.post("agent_sessions", BATCH[0], prefer="return=headers-only")
    assert reply.status == 201
    assert reply.headers["Location"] == f"/agent_sessions?id=eq.{BATCH[0]['id']}"


def test_mixed_key_sets_without_columns_are_400_PGRST102(emulator, admin):
    reply = emulator.post("agent_sessions", [session("a", task="x"), session("b")])
    assert assert_error(reply, 400, "PGRST102")["message"] == "All object keys must match"
    assert count(admin, "agent_sessions") == 0


def test_columns_turn_missing_keys_into_null_and_ignore_unlisted_keys(emulator, admin):
    batch = [session("a", task="has a task"), session("b", final_output="not listed")]
    reply = emulator.post("agent_sessions", batch, '?columns="id","agent","host","status","task"')
    assert reply.status == 201, reply.text
    assert rows(admin, "select task, final_output from agent_sessions order by task nulls last") == [
        ("has a task", None), (None, None)]


def test_missing_default_uses_column_defaults_instead_of_null(emulator, admin):
    query = "?columns=id,agent,host,status,llm_calls"
    assert_error(emulator.post("agent_sessions", [session("a")], query), 400, "23502")
    reply = emulator.post("agent_sessions", [session("a")], query, prefer="return=minimal,missing=default")
    assert reply.status == 201, reply.text
    assert reply.headers["Preference-Applied"] == "missing=default, return=minimal"
    assert rows(admin, "select llm_calls, metadata from agent_sessions") == [(0, {})]


def test_an_unknown_column_is_400_PGRST204(emulator):
    reply = emulator.post("agent_sessions", [session("a", colour="blue")])
    body = assert_error(reply, 400, "PGRST204")
    assert body["message"] == "Could not find the 'colour' column of 'agent_sessions' in the schema cache"
    assert_error(emulator.post("agent_sessions", [session("a")], "?columns=id,colour"), 400, "PGRST204")


def test_an_unknown_table_is_404_PGRST205(emulator):
    body = assert_error(emulator.post("agent_session", BATCH), 404, "PGRST205")
    assert body["message"] == "Could not find the table 'public.agent_session' in the schema cache"
    assert_error(emulator.get("agent_session"), 404, "PGRST205")


@pytest.mark.parametrize("row, code", [
    ({"status": "exploded"}, "23514"),  # CHECK
    ({"agent": None}, "23502"),  # NOT NULL
    ({"duration_ms": "soon"}, "22P02"),  # bad input syntax
])
def test_constraint_and_type_violations_are_400_with_their_sqlstate(emulator, admin, row, code):
    reply = emulator.upsert("agent_sessions", [session("ok"), session("bad", **row)])
    assert_error(reply, 400, code)
    assert count(admin, "agent_sessions") == 0  # one statement: all rows or none


def test_the_same_id_twice_in_a_merge_batch_is_500_21000(emulator, admin):
    reply = emulator.upsert("agent_sessions", [session("a"), session("a", task="twice")])
    assert "cannot affect row a second time" in assert_error(reply, 500, "21000")["message"]
    assert count(admin, "agent_sessions") == 0


@pytest.mark.parametrize("body, headers, message", [
    ("[{", {}, "Empty or invalid json"),
    ("", {}, "Empty or invalid json"),
    ("[]", {"Content-Type": "text/plain"}, "Content-Type not acceptable: text/plain"),
])
def test_bad_bodies_are_400_PGRST102(emulator, body, headers, message):
    reply = emulator.post("agent_sessions", body, headers=headers)
    assert assert_error(reply, 400, "PGRST102")["message"] == message


def test_unknown_preferences_fail_only_with_handling_strict(emulator):
    assert emulator.post("agent_sessions", [session("a")], prefer="return=minimal,speed=ludicrous").status == 201
    reply = emulator.post("agent_sessions", [session("b")], prefer="handling=strict,speed=ludicrous")
    assert assert_error(reply, 400, "PGRST122")["details"] == "Invalid preferences: speed=ludicrous"


# Keys, JWTs and roles -------------------------------------------------------------------------------------------------


def test_anon_insert_is_401_42501(emulator, admin):
    reply = emulator.upsert("agent_sessions", BATCH, key=ANON_KEY)
    assert assert_error(reply, 401, "42501")["message"] == "permission denied for table agent_sessions"
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert count(admin, "agent_sessions") == 0


def test_authenticated_insert_is_403_42501(emulator, admin):
    assert_error(emulator.upsert("agent_sessions", BATCH, key=ANON_KEY, token=user_token()), 403, "42501")
    assert count(admin, "agent_sessions") == 0


def test_a_secret_key_in_apikey_alone_writes_as_the_service_role(emulator, admin):
    reply = emulator.upsert("agent_sessions", BATCH, key=SECRET_KEY, token=None)
    assert reply.status == 201, reply.text
    assert count(admin, "agent_sessions") == 3


def test_a_bearer_sb_key_is_ignored_and_the_apikey_decides(emulator, admin):
    # The gateway drops `Authorization: Bearer sb_...`: the secret key still writes...
    assert emulator.upsert("agent_sessions", BATCH, key=SECRET_KEY).status == 201
    # ...and a secret key as the bearer does not lift a publishable apikey.
    assert_error(emulator.upsert("agent_sessions", BATCH, key=PUBLISHABLE_KEY, token=SECRET_KEY), 401, "42501")


def test_a_publishable_key_acts_as_anon_and_cannot_write(emulator, admin):
    assert_error(emulator.upsert("agent_sessions", BATCH, key=PUBLISHABLE_KEY, token=None), 401, "42501")
    assert count(admin, "agent_sessions") == 0
    # Schema/ grants anon nothing, so it reads nothing either: 42501, as with the legacy anon key.
    assert_error(emulator.get("agent_sessions", key=PUBLISHABLE_KEY, token=None), 401, "42501")


def test_a_user_session_overrides_a_secret_key_too(emulator):
    assert_error(emulator.upsert("agent_sessions", BATCH, key=SECRET_KEY, token=user_token()), 403, "42501")


def test_an_sb_key_of_another_project_is_refused_by_the_gateway(emulator):
    reply = emulator.upsert("agent_sessions", BATCH, key="sb_secret_" + "x" * 32, token=None)
    assert reply.status == 401 and reply.json()["message"] == "Invalid API key"


def test_a_user_session_overrides_the_service_key(emulator):
    assert_error(emulator.upsert("agent_sessions", BATCH, key=SERVICE_KEY, token=user_token()), 403, "42501")


def test_authenticated_reads_tables_and_views(emulator):
    batch = [session("a", started_at="2026-11-26T09:00:00Z", duration_ms=1000),
             session("b", started_at="2026-11-26T10:00:00Z", duration_ms=3000, status="failed")]
    assert emulator.upsert("agent_sessions", batch).status == 201
    reply = emulator.get("agent_sessions", "?select=id,status&order=started_at", key=ANON_KEY, token=user_token())
    assert reply.status == 200
    assert reply.headers["Content-Range"] == "0-1/*"
    assert reply.json() == [{"id": uid("a"), "status": "completed"}, {"id": uid("b"), "status": "failed"}]
    daily = emulator.get("agent_performance_daily", key=ANON_KEY, token=user_token()).json()
    assert [(day["day"], day["sessions"], day["completed"], day["failed"]) for day in daily] == [
        ("2026-11-26", 2, 1, 1)]


@pytest.mark.parametrize("relation", TABLES + VIEWS)
def test_anon_reads_nothing_from_tables_or_views(emulator, relation):
    """Schema/ revokes every grant from anon, so PostgREST answers 42501 (401 for the anon role), not `[]`."""
    emulator.upsert("agent_sessions", BATCH)
    assert_error(emulator.get(relation, key=ANON_KEY), 401, "42501")


def test_views_use_the_callers_rights(emulator, admin):
    """security_invoker: a role that may read the view but not its table gets 42501 from the table, not rows."""
    emulator.upsert("agent_sessions", [session("a", started_at="2026-11-26T09:00:00Z")])
    with admin.cursor() as cursor:
        cursor.execute("grant select on public.agent_performance_daily to anon")
    try:
        body = assert_error(emulator.get("agent_performance_daily", key=ANON_KEY), 401, "42501")
        assert body["message"] == "permission denied for table agent_sessions"
    finally:
        with admin.cursor() as cursor:
            cursor.execute("revoke select on public.agent_performance_daily from anon")


def test_get_filters_orders_limits_and_counts(emulator):
    emulator.upsert("agent_sessions", BATCH + [session("d", status="failed", duration_ms=40)])
    reply = emulator.get("agent_sessions", "?select=task&status=eq.completed&order=duration_ms.desc&limit=2",
                         headers={"Prefer": "count=exact"})
    assert reply.status == 206
    assert reply.headers["Content-Range"] == "0-1/3"
    assert reply.headers["Preference-Applied"] == "count=exact"
    assert reply.json() == [{"task": "third"}, {"task": "second"}]
    assert emulator.get("agent_sessions", "?select=id&task=in.(first,third)&duration_ms=gte.20").json() == [
        {"id": uid("c")}]
    assert emulator.get("agent_sessions", "?select=id&task=is.null").json() == [{"id": uid("d")}]
    head = emulator.request("HEAD", "/rest/v1/agent_sessions?status=eq.failed", headers={"Prefer": "count=exact"})
    assert (head.status, head.headers["Content-Range"], head.text) == (200, "0-0/1", "")
    assert_error(emulator.get("agent_sessions", "?select=colour"), 400, "42703")


def test_the_prelude_sets_role_claims_request_and_role_settings(emulator, probes):
    reply = emulator.get("emulator_probe", key=ANON_KEY, token=user_token())
    [probe] = reply.json()
    assert probe["role"] == "authenticated"
    assert probe["claims"]["sub"] == USER_ID and probe["claims"]["role"] == "authenticated"
    assert (probe["method"], probe["path"], probe["search_path"]) == ("GET", "/emulator_probe", '"public"')
    assert probe["statement_timeout"] == "8s"  # ALTER ROLE authenticated SET statement_timeout
    assert probe["read_only"] == "on"
    [anon] = emulator.get("emulator_probe", key=ANON_KEY, token=None).json()
    assert (anon["role"], anon["claims"], anon["statement_timeout"]) == ("anon", {"role": "anon"}, "3s")


def test_the_roles_statement_timeout_cancels_slow_statements_500_57014(emulator, admin, probes):
    with admin.cursor() as cursor:
        cursor.execute("alter role anon set statement_timeout = '100ms'")
    try:
        reply = emulator.get("emulator_probe_slow", key=ANON_KEY)
        assert "statement timeout" in assert_error(reply, 500, "57014")["message"]
    finally:
        with admin.cursor() as cursor:
            cursor.execute("alter role anon set statement_timeout = '3s'")
    assert emulator.get("emulator_probe_slow", key=ANON_KEY).status == 200


def test_a_bad_jwt_signature_is_401_PGRST301(emulator, admin):
    forged = make_jwt("another-secret-another-secret-another-secret", {"role": "service_role"})
    reply = emulator.upsert("agent_sessions", BATCH, key=SERVICE_KEY, token=forged)
    assert_error(reply, 401, "PGRST301")
    assert reply.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token", error_description=')
    assert_error(emulator.get("agent_sessions", key=SERVICE_KEY, token="not-a-jwt"), 401, "PGRST301")
    assert count(admin, "agent_sessions") == 0


def test_an_expired_jwt_is_401_PGRST303_after_30_seconds_of_skew(emulator):
    expired = make_jwt(SECRET, {"role": "service_role", "exp": int(time.time()) - 60})
    body = assert_error(emulator.get("agent_sessions", token=expired), 401, "PGRST303")
    assert body["message"] == "JWT expired"
    within_skew = make_jwt(SECRET, {"role": "service_role", "exp": int(time.time()) - 10})
    assert emulator.get("agent_sessions", token=within_skew).status == 200


def test_a_role_claim_naming_no_role_is_401_22023(emulator):
    assert_error(emulator.get("agent_sessions", token=make_jwt(SECRET, {"role": "nobody"})), 401, "22023")


@pytest.mark.parametrize("key, body", [
    (None, {"message": "No API key found in request"}),
    ("wrong", {"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."}),
])
def test_a_missing_or_invalid_apikey_is_401_from_the_gateway(emulator, admin, key, body):
    reply = emulator.upsert("agent_sessions", BATCH, key=key, token=SERVICE_KEY)
    assert (reply.status, reply.json()) == (401, body)
    assert count(admin, "agent_sessions") == 0


# Faults and counters ------------------------------------------------------------------------------------------------


def test_fail_ratio_1_answers_503_and_writes_nothing(emulator, admin):
    emulator.set_faults(fail_ratio=1)
    for _ in range(3):
        reply = emulator.upsert("agent_sessions", BATCH)
        assert (reply.status, reply.json()) == (503, {"message": "injected"})
    assert count(admin, "agent_sessions") == 0
    assert emulator.counters()["statuses"] == {"503": 3}


def test_fail_status_is_configurable(emulator):
    emulator.set_faults(fail_ratio=1, fail_status=413)
    assert emulator.upsert("agent_sessions", BATCH).status == 413


def test_throttle_answers_429_with_retry_after(emulator, admin):
    emulator.set_faults(throttle_ratio=1, retry_after=7)
    reply = emulator.upsert("agent_sessions", BATCH)
    assert (reply.status, reply.headers["Retry-After"]) == (429, "7")
    assert count(admin, "agent_sessions") == 0


def test_drop_closes_the_connection_and_writes_nothing(emulator, admin):
    emulator.set_faults(drop_ratio=1)
    with pytest.raises(ConnectionError):
        emulator.upsert("agent_sessions", BATCH)
    assert count(admin, "agent_sessions") == 0
    assert emulator.counters()["dropped"] == 1


def test_drop_after_commit_loses_the_response_but_keeps_the_rows(emulator, admin):
    emulator.set_faults(drop_ratio=1, drop_after_commit=True)
    with pytest.raises(ConnectionError):
        emulator.upsert("agent_sessions", BATCH)
    assert count(admin, "agent_sessions") == 3
    emulator.set_faults()
    assert emulator.upsert("agent_sessions", BATCH).status == 200  # the retry is an idempotent update


@pytest.mark.parametrize("commits, stored, answer", [(False, 0, "504"), (True, 3, "201")])
def test_delay_times_the_client_out_and_commits_only_with_delay_commits(emulator, admin, commits, stored, answer):
    emulator.set_faults(delay_ratio=1, delay_seconds=1.0, delay_commits=commits)
    with pytest.raises(TimeoutError):
        emulator.upsert("agent_sessions", BATCH, timeout=0.3)
    assert emulator.wait_until_answered()["statuses"] == {answer: 1}
    assert count(admin, "agent_sessions") == stored


def test_requests_are_served_concurrently(emulator, admin):
    emulator.set_faults(delay_ratio=1, delay_seconds=1.0, delay_commits=True)
    replies = []
    threads = [threading.Thread(target=lambda row=row: replies.append(emulator.upsert("agent_sessions", [row])))
               for row in BATCH + [session("d"), session("e")]]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started < 3  # five 1 s requests, not one after another
    assert [reply.status for reply in replies] == [201] * 5
    assert count(admin, "agent_sessions") == 5


def test_a_seed_repeats_the_same_fault_sequence(emulator):
    def statuses():
        emulator.set_faults(fail_ratio=0.5, seed=7)
        return [emulator.get("agent_sessions", "?limit=1").status for _ in range(12)]

    first = statuses()
    assert set(first) == {200, 503}
    assert statuses() == first


def test_requests_counts_rest_requests_statuses_and_rows(emulator):
    emulator.upsert("agent_sessions", BATCH)
    emulator.upsert("agent_sessions", BATCH[:1])
    emulator.get("agent_sessions")
    emulator.upsert("agent_sessions", BATCH, key=ANON_KEY)
    emulator.upsert("agent_sessions", BATCH[:1], key=SECRET_KEY)  # a bearer sb_ key, counted
    assert emulator.request("POST", "/agent_sessions", BATCH).status == 404  # no /rest/v1: no gateway route
    emulator.control("GET", "/__health")
    assert emulator.counters() == {"count": 6, "statuses": {"201": 1, "200": 3, "401": 1, "404": 1},
                                   "rows_received": 8, "dropped": 0, "bearer_sb_keys": 1}
    emulator.control("POST", "/__reset")
    assert emulator.counters() == {"count": 0, "statuses": {}, "rows_received": 0, "dropped": 0, "bearer_sb_keys": 0}


@pytest.mark.parametrize("settings", [{"fail_ratio": 2}, {"explode": True}, {"retry_after": "soon"}, [1]])
def test_invalid_fault_settings_are_400(emulator, settings):
    assert emulator.request("POST", "/__faults", settings, key=None, token=None).status == 400


def test_reset_clears_the_faults(emulator):
    emulator.set_faults(fail_ratio=1)
    emulator.control("POST", "/__reset")
    assert emulator.get("agent_sessions").status == 200


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_emulator_exits_cleanly_on_a_signal(database, stop):
    process, port = start_emulator(database)
    assert Client(port).control("GET", "/__health") == {"status": "ok"}
    process.send_signal(stop)
    assert process.wait(timeout=10) == 0
    assert process.stdout.read() == ""  # only the one `listening on` line goes to stdout
