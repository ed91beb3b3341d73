#!/usr/bin/env python3
"""A local stand-in for Supabase's REST endpoint (the Kong gateway in front of PostgREST), backed by a real
PostgreSQL, for agenttail's integration tests. It follows /work/shared/contracts/supabase-rest.md.

Emulated:
- Gateway: the `apikey` header must be one of the two project keys (401 with the gateway's bodies, no `code`).
- PostgREST authentication: the `Authorization: Bearer` JWT is verified with the shared secret (HS256/384/512;
  `exp`/`nbf`/`iat` with 30 s skew) and its `role` claim picks the database role; no token means `anon`.
- Role switching: every request is one transaction (READ ONLY for GET/HEAD) on a pooled connection logged in as
  `authenticator`, which first runs PostgREST's prelude `select set_config('search_path', ...), <the role's own
  ALTER ROLE ... SET settings, e.g. statement_timeout>, set_config('role', ...), set_config('request.jwt.claims', ...),
  set_config('request.method', ...), set_config('request.path', ...), set_config('request.headers', ...),
  set_config('request.cookies', ...)`, so grants, RLS and security_invoker views behave as on Supabase.
- `POST /rest/v1/<table>`: the `INSERT ... SELECT ... FROM json_to_recordset(body) [ON CONFLICT ...] RETURNING ...`
  statement PostgREST v12+ builds, with `columns=`, `on_conflict=`, `select=` and `Prefer: return=`, `resolution=`,
  `missing=`, `count=exact`, `handling=strict`; 201, or 200 when a merge only updated (PostgREST's `pgrst.inserted`
  counter); `Content-Range`, `Preference-Applied`, `Location` for return=headers-only.
- `GET`/`HEAD /rest/v1/<table>`: `select=` (`*` or columns), filters `col=[not.]op.value` (eq, neq, gt, gte, lt, lte,
  like, ilike, is, in), `order=`, `limit=`, `offset=`, `Prefer: count=exact`, at most --max-rows rows (Supabase: 1000).
- Errors: PostgREST's `{"code","details","hint","message"}` bodies and its SQLSTATE -> HTTP status mapping.
- Test controls under `/__`: fault injection (`POST /__faults`), counters (`GET /__requests`), `POST /__reset`,
  `GET /__health`.

Not emulated:
- The schema cache. Tables, columns and role settings are read from the catalog on every request, so a migration is
  visible at once: the PGRST204/PGRST205 answers PostgREST gives until `NOTIFY pgrst, 'reload schema'` never happen.
- PATCH, PUT, DELETE (405 PGRST117 here), RPC, the OpenAPI root, resource embedding, `or`/`and` filters, JSON paths,
  casts and aliases in `select`, CSV and form bodies, `Accept` negotiation (answers are always JSON),
  `count=planned|estimated`, `timezone=`, `tx=`, `max-affected=`, the `response.headers`/`response.status` settings,
  `RAISE SQLSTATE 'PGRST'`, pre-request functions, primary keys of views, opaque `sb_...` keys, asymmetric JWTs
  and `aud` checks, the gateway's size and rate limits (inject 413/429 with the faults instead).
"""
import argparse
import base64
import contextlib
import csv
import hashlib
import hmac
import json
import logging
import queue
import random
import signal
import socket
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Optional
from urllib.parse import urlencode

import psycopg2
import psycopg2.extensions
from flask import Flask, Response, request
from psycopg2 import sql
from werkzeug.serving import make_server

SCHEMA = "public"
ANON_ROLE = "anon"
JWT_SKEW_SECONDS = 30
REST_METHODS = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"]
DROP_CONNECTION = "postgrest_emulator.drop_connection"
log = logging.getLogger("postgrest_emulator")


# ---------------------------------------------------------------------------------------------------------------------
# Error answers


class HttpError(Exception):
    """An answer other than success: status, JSON payload and extra headers."""

    def __init__(self, status: int, payload: dict, headers: Optional[dict] = None):
        super().__init__(payload.get("message"))
        self.status = status
        self.payload = payload
        self.headers = headers or {}


def postgrest_error(status, code, message, details=None, hint=None, headers=None) -> HttpError:
    """An error as PostgREST words it (verbose client-error-verbosity, the default)."""
    payload = {"code": code, "details": details, "hint": hint, "message": message}
    return HttpError(status, payload, {"Proxy-Status": f"PostgREST; error={code}", **(headers or {})})


def gateway_error(message: str, hint: Optional[str] = None) -> HttpError:
    """A 401 from the gateway's key check: a message (and hint), never a `code`."""
    payload = {"message": message} if hint is None else {"message": message, "hint": hint}
    return HttpError(401, payload)


def not_implemented(details: str) -> HttpError:
    return postgrest_error(400, "PGRST127", "Feature not implemented", details)


def query_parameter_error(message: str, details: str) -> HttpError:
    return postgrest_error(400, "PGRST100", message, details)


SQLSTATE_STATUSES = {"23503": 409, "23505": 409, "25006": 405, "42P01": 404, "42P17": 500, "53400": 500,
                     "57P01": 503, "P0001": 400}
SQLSTATE_CLASS_STATUSES = {"08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500,
                           "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500,
                           "F0": 500, "HV": 500, "P0": 500, "XX": 500}


def status_for_sqlstate(code: str, message: str, authed: bool) -> int:
    """PostgREST's `mapSQLtoHTTP`; `authed` means the request's role is not the anonymous role."""
    if code == "42501":
        return 403 if authed else 401
    if code == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if code == "22023":
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if code == "42883":
        return 406 if message.startswith("function xmlagg(") else 404
    if code in SQLSTATE_STATUSES:
        return SQLSTATE_STATUSES[code]
    if code.startswith("PT"):
        return int(code[2:]) if code[2:].isdigit() else 500
    return SQLSTATE_CLASS_STATUSES.get(code[:2], 400)


def database_error(error: psycopg2.Error, authed: bool) -> HttpError:
    """A PostgreSQL error as PostgREST reports it; a broken connection is PostgREST's PGRST001."""
    if error.pgcode is None:
        return postgrest_error(503, "PGRST001", "Database client error. Retrying the connection.",
                               str(error).strip() or None)
    message = error.diag.message_primary or str(error).strip()
    status = status_for_sqlstate(error.pgcode, message, authed)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return postgrest_error(status, error.pgcode, message, error.diag.message_detail, error.diag.message_hint, headers)


# ---------------------------------------------------------------------------------------------------------------------
# JWT (HMAC only: Supabase's legacy anon/service_role keys and user sessions are HS256)

HMAC_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hmac_signature(secret: str, signing_input: str, algorithm: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode("ascii"), HMAC_HASHES[algorithm]).digest()


def make_jwt(secret: str, claims: dict, algorithm: str = "HS256") -> str:
    """A compact JWS over `claims`, signed like Supabase signs its API keys and user sessions."""
    header = b64url_encode(json.dumps({"alg": algorithm, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{b64url_encode(hmac_signature(secret, signing_input, algorithm))}"


def jwt_error(code: str, message: str, details: Optional[str] = None) -> HttpError:
    challenge = f'Bearer error="invalid_token", error_description={json.dumps(message)}'
    return postgrest_error(401, code, message, details, headers={"WWW-Authenticate": challenge})


def verify_jwt(token: str, secret: str, now: float) -> dict:
    """The claims of a valid token; PostgREST's PGRST301 (undecodable) / PGRST303 (bad claims) otherwise."""
    if token == "":
        raise jwt_error("PGRST301", "Empty JWT is sent in Authorization header")
    parts = token.split(".")
    if len(parts) != 3:
        raise jwt_error("PGRST301", f"Expected 3 parts in JWT; got {len(parts)}")
    header_part, payload_part, signature_part = parts
    try:
        header = json.loads(b64url_decode(header_part))
        signature = b64url_decode(signature_part)
    except ValueError:
        raise jwt_error("PGRST301", "JWT cryptographic operation failed") from None
    algorithm = header.get("alg") if isinstance(header, dict) else None
    if algorithm not in HMAC_HASHES:
        raise jwt_error("PGRST301", "Wrong or unsupported encoding algorithm")
    if not hmac.compare_digest(signature, hmac_signature(secret, f"{header_part}.{payload_part}", algorithm)):
        raise jwt_error("PGRST301", "JWT cryptographic operation failed")
    try:
        claims = json.loads(b64url_decode(payload_part))
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise jwt_error("PGRST303", "Parsing claims failed")
    check_claims(claims, int(now))
    return claims


def check_claims(claims: dict, now: int) -> None:
    """`exp`, `nbf`, `iat` with PostgREST's 30 s skew, then the shape of `aud` (no audience is configured)."""
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise jwt_error("PGRST303", f"The JWT '{name}' claim must be a number")
        seconds = int(value) if float(value).is_integer() else 0
        if name == "exp" and now - JWT_SKEW_SECONDS > seconds:
            raise jwt_error("PGRST303", "JWT expired", f"Invalid by {now - seconds} seconds")
        if name == "nbf" and now + JWT_SKEW_SECONDS < seconds:
            raise jwt_error("PGRST303", "JWT not yet valid", f"Invalid by {seconds - now} seconds")
        if name == "iat" and now + JWT_SKEW_SECONDS < seconds:
            raise jwt_error("PGRST303", "JWT issued at future", f"Invalid by {seconds - now} seconds")
    audience = claims.get("aud")
    if audience is not None and not (
            isinstance(audience, str) or (isinstance(audience, list) and all(isinstance(a, str) for a in audience))):
        raise jwt_error("PGRST303", "The JWT 'aud' claim must be a string or an array of strings")


def bearer_token(authorization: Optional[str]) -> Optional[str]:
    """The token of a `Bearer` Authorization header (scheme case-insensitive); None for any other header."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.lstrip() if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class Auth:
    role: str
    claims: dict

    @property
    def authed(self) -> bool:
        return self.role != ANON_ROLE


def role_from_claims(claims: dict) -> str:
    role = claims.get("role")
    if role is None:
        return ANON_ROLE
    return role if isinstance(role, str) else json.dumps(role)


# ---------------------------------------------------------------------------------------------------------------------
# Reading the request

# Preferences PostgREST applies (first occurrence wins), and the ones it accepts without this emulator applying them.
APPLIED_PREFERENCES = {
    "resolution": {"merge-duplicates", "ignore-duplicates"},
    "return": {"minimal", "representation", "headers-only"},
    "missing": {"default", "null"},
    "count": {"exact"},
    "handling": {"strict", "lenient"},
}
ACCEPTED_PREFERENCES = {"count=planned", "count=estimated", "tx=commit", "tx=rollback"}
ACCEPTED_PREFERENCE_PREFIXES = ("timezone=", "max-affected=")


def parse_prefer(headers: list) -> tuple:
    """(applied preferences as {name: value}, unrecognised ones) from all Prefer headers, comma separated."""
    applied, invalid = {}, []
    for item in (part.strip() for header in headers for part in header.split(",")):
        name, _, value = item.partition("=")
        if value in APPLIED_PREFERENCES.get(name, ()):
            applied.setdefault(name, value)
        elif item not in ACCEPTED_PREFERENCES and not item.startswith(ACCEPTED_PREFERENCE_PREFIXES):
            invalid.append(item)
    return applied, invalid


def reject_invalid_preferences(preferences: dict, invalid: list) -> None:
    if invalid and preferences.get("handling") == "strict":
        raise postgrest_error(400, "PGRST122", "Invalid preferences given with handling=strict",
                              "Invalid preferences: " + ", ".join(invalid))


def preference_applied(preferences: dict, names: set) -> dict:
    """The Preference-Applied header: the honoured preferences among `names`, in PostgREST's order."""
    honoured = [f"{name}={preferences[name]}" for name in ("resolution", "missing", "return", "count", "handling")
                if name in names and name in preferences]
    return {"Preference-Applied": ", ".join(honoured)} if honoured else {}


def require_json_content_type() -> None:
    """PostgREST reads a missing Content-Type as JSON; CSV and form bodies are not emulated."""
    mime = (request.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
    if mime != "application/json":
        raise postgrest_error(400, "PGRST102", f"Content-Type not acceptable: {mime}")


def reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def decode_body(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise postgrest_error(400, "PGRST102", "Empty or invalid json") from None


def read_payload(body: bytes, has_columns: bool) -> tuple:
    """(JSON text for the statement, its keys in sorted order) under PostgREST's payload rules.

    With `columns` the body goes to PostgreSQL unparsed and the keys come from `columns` (None here)."""
    text = decode_body(body)
    if has_columns:
        return text, None
    try:
        value = json.loads(text, parse_constant=reject_constant)
    except ValueError:
        raise postgrest_error(400, "PGRST102", "Empty or invalid json") from None
    if isinstance(value, dict):
        return text, sorted(value)
    if not isinstance(value, list) or not value:
        return "[]", []  # a scalar counts as an empty array
    keys = value[0].keys() if isinstance(value[0], dict) else None
    if keys is None or any(not isinstance(row, dict) or row.keys() != keys for row in value):
        raise postgrest_error(400, "PGRST102", "All object keys must match")
    return text, sorted(keys)


def count_rows(body: bytes) -> int:
    """Rows in a request body, for the counters: an array's length, 1 for an object, 0 otherwise."""
    try:
        value = json.loads(body)
    except ValueError:
        return 0
    return len(value) if isinstance(value, list) else int(isinstance(value, dict))


def parse_name_list(text: str, parameter: str) -> list:
    """Comma-separated names, each optionally double-quoted (`"id","kind"` or `id,kind`)."""
    names = [name.strip() for name in next(csv.reader([text], skipinitialspace=True))] if text else []
    if not names or "" in names:
        raise query_parameter_error(f"failed to parse {parameter} parameter ({text})", "expecting a column name")
    return names


def parse_select(text: Optional[str]) -> Optional[list]:
    """The selected columns, None for all (`*`, or no `select`)."""
    if text is None or text.strip() in ("", "*"):
        return None
    names = parse_name_list(text, "select")
    if any("(" in name or ":" in name or "->" in name for name in names):
        raise not_implemented("select supports only '*' or plain column names in this emulator")
    return None if "*" in names else names


def parse_non_negative(text: Optional[str], parameter: str) -> Optional[int]:
    if text is None:
        return None
    if not text.isdigit():
        raise query_parameter_error(f"failed to parse {parameter} parameter ({text})", "expecting an integer >= 0")
    return int(text)


COMPARISONS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "like": "LIKE",
               "ilike": "ILIKE"}
IS_VALUES = {"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN"}
RESERVED_PARAMETERS = {"select", "columns", "on_conflict", "order", "limit", "offset"}


def array_literal(values: list) -> str:
    """PostgREST's `pgBuildArrayLiteral`: an untyped array literal PostgreSQL types from the column."""
    escaped = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(escaped) + "}"


def filter_condition(table_name: str, column: str, expression: str) -> sql.Composable:
    """`col=[not.]op.value` as a WHERE condition on `"public"."table"."col"`, the value left untyped."""
    if column in ("or", "and", "not.or", "not.and"):
        raise not_implemented("or/and filters are not emulated")
    negate = expression.startswith("not.")
    operator, dot, value = expression[4 if negate else 0:].partition(".")
    if not dot:
        raise query_parameter_error(f"failed to parse filter ({expression})", "expecting an operator and a value")
    target = sql.Identifier(SCHEMA, table_name, column)
    if operator in COMPARISONS:
        if operator in ("like", "ilike"):
            value = value.replace("*", "%")
        condition = sql.SQL("{} {} {}").format(target, sql.SQL(COMPARISONS[operator]), sql.Literal(value))
    elif operator == "is" and value.lower() in IS_VALUES:
        condition = sql.SQL("{} IS {}").format(target, sql.SQL(IS_VALUES[value.lower()]))
    elif operator == "in" and value.startswith("(") and value.endswith(")"):
        members = next(csv.reader([value[1:-1]], skipinitialspace=True)) if value[1:-1] else []
        condition = sql.SQL("{} = ANY({})").format(target, sql.Literal(array_literal(members)))
    else:
        raise query_parameter_error(f"failed to parse filter ({expression})", f"unknown operator or value: {operator}")
    return sql.SQL("NOT {}").format(condition) if negate else condition


ORDER_MODIFIERS = {"asc": "ASC", "desc": "DESC", "nullsfirst": "NULLS FIRST", "nullslast": "NULLS LAST"}


def order_terms(table_name: str, text: Optional[str]) -> list:
    """`order=a.desc.nullslast,b` as ORDER BY terms."""
    terms = []
    for item in (text.split(",") if text else []):
        column, *modifiers = item.strip().split(".")
        if not column or any(modifier not in ORDER_MODIFIERS for modifier in modifiers):
            raise query_parameter_error(f"failed to parse order ({text})",
                                        "expecting column[.asc|.desc][.nullsfirst|.nullslast]")
        words = sql.SQL(" ").join(sql.SQL(ORDER_MODIFIERS[modifier]) for modifier in modifiers)
        terms.append(sql.SQL("{} {}").format(sql.Identifier(SCHEMA, table_name, column), words))
    return terms


def check_profile(header: str) -> None:
    """Only the `public` schema is exposed (Accept-Profile / Content-Profile name another schema: 406 PGRST106)."""
    schema = request.headers.get(header)
    if schema is not None and schema != SCHEMA:
        raise postgrest_error(406, "PGRST106", f"Invalid schema: {schema}", None,
                              f"Only the following schemas are exposed: {SCHEMA}")


# ---------------------------------------------------------------------------------------------------------------------
# The catalog (read live: this emulator has no schema cache)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(): the type PostgREST declares for the column in json_to_recordset(...) AS _(...)
    default: Optional[str]  # the DEFAULT expression, nextval(...) for an identity column


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict
    primary_key: list  # sorted by name: PostgREST's default conflict target


TABLE_QUERY = """
select c.oid, coalesce((select array_agg(a.attname::text order by a.attname)
                        from pg_constraint k join pg_attribute a on a.attrelid = c.oid and a.attnum = any(k.conkey)
                        where k.conrelid = c.oid and k.contype = 'p'), '{}')
from pg_class c
where c.relnamespace = %s::regnamespace and c.relname = %s and c.relkind in ('r', 'v', 'm', 'f', 'p')
  and not c.relispartition
"""

COLUMNS_QUERY = """
select a.attname, format_type(a.atttypid, a.atttypmod),
       case when t.typbasetype <> 0 and ad.adbin is null then pg_get_expr(t.typdefaultbin, 0)
            when a.attidentity = 'd' then format('nextval(%%L)', seq.objid::regclass)
            when a.attgenerated = 's' then null
            else pg_get_expr(ad.adbin, ad.adrelid) end
from pg_attribute a
join pg_type t on t.oid = a.atttypid
left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
left join pg_depend seq on seq.refobjid = a.attrelid and seq.refobjsubid = a.attnum and seq.deptype = 'i'
                       and seq.classid = 'pg_class'::regclass
where a.attrelid = %s and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""

# PostgREST's `queryRoleSettings` for one role: the role's own settings a user may set (or, on PostgreSQL 15+, that
# authenticator was granted SET on), for roles authenticator is a member of.
ROLE_SETTINGS_QUERY = """
select kv.key, kv.value
from (select substr(setting, 1, strpos(setting, '=') - 1) as key, substr(setting, strpos(setting, '=') + 1) as value
      from pg_auth_members m join pg_roles r on r.oid = m.roleid, unnest(r.rolconfig) as setting
      where m.member = quote_ident(current_user)::regrole::oid and r.rolname = %s) kv
join pg_settings ps on ps.name = kv.key and (ps.context = 'user' {parameter_privilege})
where kv.key <> 'default_transaction_isolation'
order by kv.key
"""


def find_table(cursor, name: str) -> Table:
    cursor.execute(TABLE_QUERY, (SCHEMA, name))
    found = cursor.fetchone()
    if found is None:
        raise postgrest_error(404, "PGRST205", f"Could not find the table '{SCHEMA}.{name}' in the schema cache")
    oid, primary_key = found
    cursor.execute(COLUMNS_QUERY, (oid,))
    columns = {column: Column(column, type_name, default) for column, type_name, default in cursor.fetchall()}
    return Table(name, columns, primary_key)


def resolve_column(table: Table, name: str) -> Column:
    if name not in table.columns:
        raise postgrest_error(400, "PGRST204",
                              f"Could not find the '{name}' column of '{table.name}' in the schema cache")
    return table.columns[name]


def role_settings(cursor, role: str) -> list:
    privilege = ("or has_parameter_privilege(quote_ident(current_user)::regrole::oid, ps.name, 'set')"
                 if cursor.connection.server_version >= 150000 else "")
    cursor.execute(ROLE_SETTINGS_QUERY.format(parameter_privilege=privilege), (role,))
    return cursor.fetchall()


def switch_role(cursor, auth: Auth, path: str) -> None:
    """PostgREST's transaction prelude: search_path, the role's settings, the role, then the request variables."""
    headers = {name.lower(): value for name, value in request.headers.items() if name.lower() != "cookie"}
    settings = [
        ("search_path", f'"{SCHEMA}"'),
        *role_settings(cursor, auth.role),
        ("role", auth.role),
        ("request.jwt.claims", json.dumps({**auth.claims, "role": auth.role})),
        ("request.method", request.method),
        ("request.path", path),
        ("request.headers", json.dumps(headers)),
        ("request.cookies", json.dumps(dict(request.cookies))),
    ]
    calls = (sql.SQL("set_config({}, {}, true)").format(sql.Literal(name), sql.Literal(value))
             for name, value in settings)
    cursor.execute(sql.SQL("select ") + sql.SQL(", ").join(calls))


# ---------------------------------------------------------------------------------------------------------------------
# Statements, built like PostgREST's QueryBuilder / SqlFragment / Statements


def json_body_source(payload: str, columns: list, apply_defaults: bool) -> sql.Composed:
    """PostgREST's `fromJsonBodyF`: `SELECT pgrst_body.c... FROM <the body as rows typed like the columns>`."""
    is_object = payload.lstrip(" \t\n\r").startswith("{")
    kind = "jsonb" if apply_defaults else "json"
    selected = sql.SQL(", ").join(sql.Identifier("pgrst_body", column.name) for column in columns)
    parts = [sql.SQL("SELECT {} FROM (SELECT {}::{} AS json_data) pgrst_payload, ").format(
        selected, sql.Literal(payload), sql.SQL(kind))]
    source = sql.SQL("pgrst_payload.json_data")
    if apply_defaults:
        defaults = sql.SQL("jsonb_build_object({})").format(sql.SQL(", ").join(
            sql.SQL("{}, {}").format(sql.Literal(column.name), sql.SQL(column.default))
            for column in columns if column.default is not None))
        template = ("LATERAL (SELECT {} || pgrst_payload.json_data AS val) pgrst_json_defs, " if is_object else
                    "LATERAL (SELECT jsonb_agg({} || elem) AS val "
                    "FROM jsonb_array_elements(pgrst_payload.json_data) elem) pgrst_json_defs, ")
        parts.append(sql.SQL(template).format(defaults))
        source = sql.SQL("pgrst_json_defs.val")
    if columns:
        typed = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(column.name), sql.SQL(column.type))
                                   for column in columns)
        function = f"{kind}_to_record" if is_object else f"{kind}_to_recordset"
        rows = sql.SQL("{}({}) AS _({})").format(sql.SQL(function), source, typed)
    elif is_object:
        rows = sql.SQL("(values(1)) _")
    else:
        rows = sql.SQL("{}_array_elements({}) _").format(sql.SQL(kind), source)
    names = sql.SQL(", ").join(sql.Identifier(column.name) for column in columns)
    parts.append(sql.SQL("LATERAL (SELECT {} FROM {}) pgrst_body ").format(names, rows))
    return sql.Composed(parts)


def inserted_counter(increment: bool) -> sql.SQL:
    """PostgREST's transaction-local `pgrst.inserted`: +1 for each row offered, -1 for each that became an update."""
    symbol, sentinel = ("+", "0") if increment else ("-", "-1")
    return sql.SQL("set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0)"
                   f" {symbol} 1)::text, true) <> '{sentinel}'")


def returning_clause(table_name: str, representation: Optional[str], returned: Optional[list]) -> sql.Composable:
    if representation in (None, "minimal"):
        return sql.SQL("RETURNING 1")  # reads no column: no SELECT privilege or policy needed
    if returned is None or representation == "headers-only":
        return sql.SQL("RETURNING {}.*").format(sql.Identifier(SCHEMA, table_name))
    return sql.SQL("RETURNING ") + sql.SQL(", ").join(sql.Identifier(SCHEMA, table_name, name) for name in returned)


def insert_statement(table: Table, columns: list, payload: str, preferences: dict, conflict_target: list,
                     returning: sql.Composable) -> sql.Composed:
    """`INSERT INTO t(cols) SELECT ... [WHERE counter] [ON CONFLICT(target) DO UPDATE SET c = EXCLUDED.c ... |
    DO NOTHING] RETURNING ...`; without a resolution (or a target) it is a plain insert."""
    resolution = preferences.get("resolution")
    names = [sql.Identifier(column.name) for column in columns]
    parts = [sql.SQL("INSERT INTO {}").format(sql.Identifier(SCHEMA, table.name)),
             sql.SQL("({}) ").format(sql.SQL(", ").join(names)) if names else sql.SQL(" "),
             json_body_source(payload, columns, preferences.get("missing") == "default")]
    if resolution == "merge-duplicates":
        parts += [sql.SQL("WHERE "), inserted_counter(True)]
    if resolution and conflict_target:
        parts.append(sql.SQL(" ON CONFLICT({}) ").format(
            sql.SQL(", ").join(sql.Identifier(name) for name in conflict_target)))
        if resolution == "ignore-duplicates" or not names:
            parts.append(sql.SQL("DO NOTHING"))
        else:
            assignments = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(name) for name in names)
            parts += [sql.SQL("DO UPDATE SET "), assignments, sql.SQL(" WHERE "), inserted_counter(False)]
    parts += [sql.SQL(" "), returning]
    return sql.Composed(parts)


def location_expression(primary_key: list) -> sql.Composable:
    """PostgREST's `locationF`: `key=eq.value` pairs of the single written row's primary key."""
    keys = sql.SQL(", ").join(sql.Literal(name) for name in primary_key) if primary_key else sql.Literal("")
    return sql.SQL(
        "CASE WHEN pg_catalog.count(_postgrest_t) = 1 THEN coalesce(("
        "WITH data AS (SELECT row_to_json(_) AS row FROM pgrst_source AS _ LIMIT 1) "
        "SELECT array_agg(json_data.key || '=' || coalesce('eq.' || json_data.value, 'is.null')) "
        "FROM data CROSS JOIN json_each_text(data.row) AS json_data WHERE json_data.key IN ({})"
        "), array[]::text[]) ELSE array[]::text[] END").format(keys)


def mutation_statement(insert: sql.Composed, table: Table, representation: Optional[str],
                       returned: Optional[list]) -> sql.Composed:
    """PostgREST's `mainWrite`: rows written, Location pairs, the JSON body and the inserted counter."""
    alias = sql.Identifier(table.name)
    if representation == "representation":
        columns = (sql.SQL("{}.*").format(alias) if returned is None else
                   sql.SQL(", ").join(sql.Identifier(table.name, name) for name in returned))
        source = sql.SQL("SELECT {} FROM pgrst_source AS {}").format(columns, alias)
        body = sql.SQL("coalesce(json_agg(_postgrest_t), '[]')::text")
    else:
        source, body = sql.SQL("SELECT * FROM pgrst_source"), sql.SQL("''::text")
    location = (location_expression(table.primary_key) if representation == "headers-only"
                else sql.SQL("array[]::text[]"))
    return sql.SQL(
        "WITH pgrst_source AS ({}) SELECT pg_catalog.count(_postgrest_t) AS page_total, {} AS header, {} AS body, "
        "nullif(current_setting('pgrst.inserted', true), '')::int AS response_inserted FROM ({}) _postgrest_t"
    ).format(insert, location, body, source)


def read_statement(table_name: str, returned: Optional[list], conditions: list, order: list, limit: Optional[int],
                   offset: int, with_count: bool) -> sql.Composed:
    """PostgREST's `mainRead`: the page as a JSON array, its size and, with count=exact, the total."""
    relation = sql.Identifier(SCHEMA, table_name)
    columns = (sql.SQL("{}.*").format(relation) if returned is None else
               sql.SQL(", ").join(sql.Identifier(SCHEMA, table_name, name) for name in returned))
    where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
    order_by = sql.SQL(" ORDER BY ") + sql.SQL(", ").join(order) if order else sql.SQL("")
    page = sql.SQL(" LIMIT {} OFFSET {}").format(sql.SQL("ALL") if limit is None else sql.Literal(limit),
                                                 sql.Literal(offset))
    count_source = (sql.SQL(", pgrst_source_count AS (SELECT 1 FROM {}{})").format(relation, where)
                    if with_count else sql.SQL(""))
    total = sql.SQL("(SELECT pg_catalog.count(*) FROM pgrst_source_count)" if with_count else "null::bigint")
    return sql.SQL(
        "WITH pgrst_source AS ( SELECT {} FROM {}{}{}{} ){} SELECT {} AS total_result_set, "
        "pg_catalog.count(_postgrest_t) AS page_total, coalesce(json_agg(_postgrest_t), '[]')::text AS body "
        "FROM ( SELECT * FROM pgrst_source ) _postgrest_t"
    ).format(columns, relation, where, order_by, page, count_source, total)


def content_range(offset: int, page_total: int, total: Optional[int]) -> str:
    """PostgREST's `contentRangeH`: `first-last/total`, `*` for an empty page or an unknown total."""
    last = offset + page_total - 1
    shown = f"{offset}-{last}" if total != 0 and offset <= last else "*"
    return f"{shown}/{'*' if total is None else total}"


def read_status(offset: int, page_total: int, total: Optional[int]) -> int:
    if total is None:
        return 200
    if offset > total:
        raise postgrest_error(416, "PGRST103", "Requested range not satisfiable",
                              f"An offset of {offset} was requested, but there are only {total} rows.")
    return 206 if page_total < total else 200


# ---------------------------------------------------------------------------------------------------------------------
# Connections


class ConnectionPool:
    """Up to `size` autocommit connections (transactions are explicit, as hasql's), reused most-recent first."""

    def __init__(self, dsn: str, size: int, acquire_timeout: float):
        self._dsn = dsn
        self._slots = threading.BoundedSemaphore(size)
        self._idle = queue.LifoQueue()
        self._acquire_timeout = acquire_timeout

    @contextmanager
    def connection(self):
        if not self._slots.acquire(timeout=self._acquire_timeout):
            raise postgrest_error(504, "PGRST003", "Timed out acquiring connection from connection pool.")
        connection = None
        try:
            connection = self._idle_connection() or self._connect()
            yield connection
        finally:
            if connection is not None:
                self._give_back(connection)
            self._slots.release()

    def close(self) -> None:
        while (connection := self._idle_connection()) is not None:
            connection.close()

    def _idle_connection(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return None

    def _connect(self):
        try:
            connection = psycopg2.connect(self._dsn, application_name="postgrest-emulator")
        except psycopg2.OperationalError as error:
            raise postgrest_error(503, "PGRST000", "Database connection error.", str(error).strip()) from error
        connection.autocommit = True
        return connection

    def _give_back(self, connection) -> None:
        if connection.closed or connection.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            connection.close()
        else:
            self._idle.put(connection)


def roll_back(connection) -> None:
    if connection.closed:
        return
    try:
        connection.cursor().execute("ROLLBACK")
    except psycopg2.Error:
        connection.close()


@contextmanager
def transaction(pool: ConnectionPool, read_only: bool):
    """One READ COMMITTED transaction, committed when the block succeeds, rolled back otherwise."""
    with pool.connection() as connection:
        cursor = connection.cursor()
        cursor.execute("BEGIN ISOLATION LEVEL READ COMMITTED " + ("READ ONLY" if read_only else "READ WRITE"))
        try:
            yield cursor
            cursor.execute("COMMIT")
        except BaseException:
            roll_back(connection)
            raise


# ---------------------------------------------------------------------------------------------------------------------
# Faults and counters


@dataclass(frozen=True)
class FaultSettings:
    """What `POST /__faults` sets; each ratio is the chance, per REST request, of that fault."""
    fail_ratio: float = 0.0  # answer fail_status with {"message":"injected"}, database untouched
    fail_status: int = 503
    throttle_ratio: float = 0.0  # answer 429 with Retry-After: retry_after, database untouched
    retry_after: int = 1
    delay_ratio: float = 0.0  # sleep delay_seconds first; then process (delay_commits) or answer 504, untouched
    delay_seconds: float = 0.0
    delay_commits: bool = False
    drop_ratio: float = 0.0  # close the connection without an answer; after committing if drop_after_commit
    drop_after_commit: bool = False
    seed: Optional[int] = None  # seeds the random sequence of decisions

    @classmethod
    def from_json(cls, value) -> "FaultSettings":
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object")
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        settings = cls(**value)
        settings.validate()
        return settings

    def validate(self) -> None:
        for name in ("fail_ratio", "throttle_ratio", "delay_ratio", "drop_ratio"):
            ratio = getattr(self, name)
            if not is_number(ratio) or not 0 <= ratio <= 1:
                raise ValueError(f"{name} must be a number from 0 to 1")
        if not is_integer(self.fail_status) or not 100 <= self.fail_status <= 599:
            raise ValueError("fail_status must be an HTTP status")
        if not is_integer(self.retry_after) or self.retry_after < 0:
            raise ValueError("retry_after must be a whole number of seconds >= 0")
        if not is_number(self.delay_seconds) or self.delay_seconds < 0:
            raise ValueError("delay_seconds must be a number >= 0")
        for name in ("delay_commits", "drop_after_commit"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")
        if self.seed is not None and not is_integer(self.seed):
            raise ValueError("seed must be an integer")


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class FaultDecision:
    settings: FaultSettings
    drop: bool
    fail: bool
    throttle: bool
    delay: bool


class FaultInjector:
    """Draws, per REST request and in a fixed order, whether each configured fault happens."""

    def __init__(self):
        self._lock = threading.Lock()
        self.configure(FaultSettings())

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._random = random.Random(settings.seed)

    def draw(self) -> FaultDecision:
        with self._lock:
            settings = self._settings
            draws = [self._random.random() for _ in range(4)]
        return FaultDecision(settings, drop=draws[0] < settings.drop_ratio, fail=draws[1] < settings.fail_ratio,
                             throttle=draws[2] < settings.throttle_ratio, delay=draws[3] < settings.delay_ratio)


class RequestCounters:
    """What `GET /__requests` reports about REST requests (the /__ endpoints are not counted)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._count, self._rows, self._dropped, self._statuses = 0, 0, 0, Counter()
            self._bearer_sb_keys = 0

    def received(self, rows: int, bearer_sb_key: bool = False) -> None:
        with self._lock:
            self._count += 1
            self._rows += rows
            self._bearer_sb_keys += bearer_sb_key

    def answered(self, status: int) -> None:
        with self._lock:
            self._statuses[str(status)] += 1

    def dropped(self) -> None:
        with self._lock:
            self._dropped += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {"count": self._count, "statuses": dict(self._statuses), "rows_received": self._rows,
                    "dropped": self._dropped, "bearer_sb_keys": self._bearer_sb_keys}


# ---------------------------------------------------------------------------------------------------------------------
# HTTP


def json_response(status: int, body, headers: Optional[dict] = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return Response(text, status=status, headers=headers, content_type="application/json; charset=utf-8")


def empty_response(status: int, headers: Optional[dict] = None) -> Response:
    response = Response(status=status, headers=headers)
    response.headers.remove("Content-Type")
    return response


def error_response(error: HttpError) -> Response:
    return json_response(error.status, error.payload, error.headers)


def injected_response(status: int, headers: Optional[dict] = None) -> Response:
    return json_response(status, {"message": "injected"}, headers)


def drop_connection() -> Response:
    """Asks ConnectionDropper to close the connection instead of sending this placeholder."""
    request.environ[DROP_CONNECTION] = True
    return empty_response(500)


class ConnectionDropper:
    """WSGI wrapper: when a view asked for it, shut the client's TCP connection down without answering."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        response = self.app(environ, start_response)
        if not environ.get(DROP_CONNECTION):
            return response
        response.close()
        with contextlib.suppress(OSError):
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("connection dropped by fault injection")  # werkzeug treats it as a lost client


class Emulator:
    def __init__(self, pool: ConnectionPool, jwt_secret: str, anon_key: str, service_key: str, max_rows: Optional[int],
                 secret_key: Optional[str] = None, publishable_key: Optional[str] = None):
        self.pool = pool
        self.jwt_secret = jwt_secret
        # The project's opaque keys: the gateway maps them to the roles' own JWTs.
        self.opaque_keys = {key: role for key, role in [(secret_key, "service_role"), (publishable_key, ANON_ROLE)] if key}
        self.api_keys = {anon_key, service_key, *self.opaque_keys}
        self.max_rows = max_rows
        self.faults = FaultInjector()
        self.counters = RequestCounters()

    # REST -------------------------------------------------------------------------------------------------------------

    def rest_endpoint(self, table_name: str) -> Response:
        """Counts the request, applies the drawn faults, and otherwise serves it like the gateway and PostgREST."""
        body = request.get_data(cache=True)
        # An `sb_` key sent as a bearer token is counted: the Data API ignores it, Edge Functions refuse it.
        bearer = bearer_token(request.headers.get("Authorization"))
        self.counters.received(count_rows(body) if request.method == "POST" else 0,
                               bearer_sb_key=bearer is not None and bearer.startswith("sb_"))
        fault = self.faults.draw()
        if fault.drop and not fault.settings.drop_after_commit:
            return self.dropped("dropped the connection")
        if fault.fail:
            response = injected_response(fault.settings.fail_status)
        elif fault.throttle:
            response = injected_response(429, {"Retry-After": str(fault.settings.retry_after)})
        elif fault.delay and not fault.settings.delay_commits:
            time.sleep(fault.settings.delay_seconds)
            response = injected_response(504)
        else:
            if fault.delay:
                time.sleep(fault.settings.delay_seconds)
            response = self.serve(table_name, body)
        if fault.drop:
            return self.dropped(f"dropped the connection after answering {response.status_code} internally")
        self.counters.answered(response.status_code)
        return response

    def dropped(self, what: str) -> Response:
        log.info("fault: %s for %s %s", what, request.method, request.full_path)
        self.counters.dropped()
        return drop_connection()

    def serve(self, table_name: str, body: bytes) -> Response:
        try:
            self.check_api_key()
            auth = self.authenticate()
            if request.method == "POST":
                return self.insert(table_name, body, auth)
            if request.method in ("GET", "HEAD"):
                return self.read(table_name, auth)
            raise postgrest_error(405, "PGRST117", f"Unsupported HTTP method: {request.method}")
        except HttpError as error:
            return error_response(error)

    def check_api_key(self) -> None:
        key = request.headers.get("apikey")
        if not key:
            raise gateway_error("No API key found in request")
        if key not in self.api_keys:
            raise gateway_error("Invalid API key", "Double check your Supabase `anon` or `service_role` API key.")

    def authenticate(self) -> Auth:
        token = bearer_token(request.headers.get("Authorization"))
        # The gateway drops a bearer `sb_` key; with an opaque apikey and no other token it sends the key's role.
        if token is not None and token.startswith("sb_"):
            token = None
        role = self.opaque_keys.get(request.headers.get("apikey", ""))
        if token is None and role is not None:
            return Auth(role, {"role": role})
        if token is None:
            return Auth(ANON_ROLE, {})
        claims = verify_jwt(token, self.jwt_secret, time.time())
        return Auth(role_from_claims(claims), claims)

    @contextmanager
    def database(self, auth: Auth, read_only: bool):
        try:
            with transaction(self.pool, read_only) as cursor:
                yield cursor
        except psycopg2.Error as error:
            raise database_error(error, auth.authed) from error

    def insert(self, table_name: str, body: bytes, auth: Auth) -> Response:
        check_profile("Content-Profile")
        require_json_content_type()
        columns_parameter = request.args.get("columns")
        payload, keys = read_payload(body, columns_parameter is not None)
        if columns_parameter is not None:
            keys = sorted(set(parse_name_list(columns_parameter, "columns")))
        on_conflict = request.args.get("on_conflict")
        conflict_columns = None if on_conflict is None else parse_name_list(on_conflict, "on_conflict")
        returned = parse_select(request.args.get("select"))
        preferences, invalid = parse_prefer(request.headers.getlist("Prefer"))
        representation = preferences.get("return")
        with self.database(auth, read_only=False) as cursor:
            table = find_table(cursor, table_name)
            columns = [resolve_column(table, key) for key in keys]
            reject_invalid_preferences(preferences, invalid)
            switch_role(cursor, auth, f"/{table_name}")
            conflict_target = table.primary_key if conflict_columns is None else conflict_columns
            insert = insert_statement(table, columns, payload, preferences, conflict_target,
                                      returning_clause(table_name, representation, returned))
            cursor.execute(mutation_statement(insert, table, representation, returned))
            page_total, location, response_body, inserted = cursor.fetchone()
        merged_only = preferences.get("resolution") == "merge-duplicates" and (inserted or 0) <= 0
        honoured = {"missing", "return", "count", "handling"}
        if table.primary_key or conflict_columns is not None:
            honoured.add("resolution")
        headers = {"Content-Range": f"*/{page_total if preferences.get('count') == 'exact' else '*'}",
                   **preference_applied(preferences, honoured)}
        if location:
            headers["Location"] = f"/{table_name}?" + urlencode([tuple(pair.split("=", 1)) for pair in location])
        status = 200 if merged_only else 201
        if representation == "representation":
            return json_response(status, response_body, headers)
        return empty_response(status, headers)

    def read(self, table_name: str, auth: Auth) -> Response:
        check_profile("Accept-Profile")
        returned = parse_select(request.args.get("select"))
        conditions = [filter_condition(table_name, column, expression)
                      for column, expression in request.args.items(multi=True) if column not in RESERVED_PARAMETERS]
        order = order_terms(table_name, request.args.get("order"))
        limit = parse_non_negative(request.args.get("limit"), "limit")
        offset = parse_non_negative(request.args.get("offset"), "offset") or 0
        if self.max_rows is not None:
            limit = self.max_rows if limit is None else min(limit, self.max_rows)
        preferences, invalid = parse_prefer(request.headers.getlist("Prefer"))
        with_count = preferences.get("count") == "exact"
        with self.database(auth, read_only=True) as cursor:
            find_table(cursor, table_name)
            reject_invalid_preferences(preferences, invalid)
            switch_role(cursor, auth, f"/{table_name}")
            cursor.execute(read_statement(table_name, returned, conditions, order, limit, offset, with_count))
            total, page_total, response_body = cursor.fetchone()
        headers = {"Content-Range": content_range(offset, page_total, total),
                   **preference_applied(preferences, {"count", "handling"})}
        status = read_status(offset, page_total, total)
        if request.method == "HEAD":
            return json_response(status, "", headers)
        return json_response(status, response_body, headers)

    def no_route(self, _error) -> Response:
        """The gateway's answer for a path no route matches; counted like REST requests unless it is under /__."""
        if not request.path.startswith("/__"):
            self.counters.received(0)
            self.counters.answered(404)
        return json_response(404, {"message": "no Route matched with those values"})

    # Test controls ----------------------------------------------------------------------------------------------------

    def set_faults(self) -> Response:
        try:
            settings = FaultSettings.from_json(request.get_json(force=True, silent=True))
        except (TypeError, ValueError) as error:
            return json_response(400, {"message": str(error)})
        self.faults.configure(settings)
        log.info("faults: %s", asdict(settings))
        return json_response(200, asdict(settings))

    def requests_seen(self) -> Response:
        return json_response(200, self.counters.snapshot())

    def reset(self) -> Response:
        self.counters.reset()
        self.faults.configure(FaultSettings())
        return json_response(200, {"reset": True})

    def health(self) -> Response:
        try:
            with transaction(self.pool, read_only=True) as cursor:
                cursor.execute("select 1")
        except (HttpError, psycopg2.Error) as error:
            return json_response(503, {"status": "database unavailable", "error": str(error)})
        return json_response(200, {"status": "ok"})


def create_app(emulator: Emulator) -> Flask:
    app = Flask("postgrest_emulator")
    app.add_url_rule("/rest/v1/<table_name>", view_func=emulator.rest_endpoint, methods=REST_METHODS)
    app.add_url_rule("/__faults", view_func=emulator.set_faults, methods=["POST"])
    app.add_url_rule("/__requests", view_func=emulator.requests_seen, methods=["GET"])
    app.add_url_rule("/__reset", view_func=emulator.reset, methods=["POST"])
    app.add_url_rule("/__health", view_func=emulator.health, methods=["GET"])
    app.register_error_handler(404, emulator.no_route)
    app.wsgi_app = ConnectionDropper(app.wsgi_app)
    return app


def parse_arguments(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Supabase gateway + PostgREST emulator for bulk upserts.")
    parser.add_argument("--database-url", required=True,
                        help="connection string logging in as authenticator, e.g. "
                             "postgresql://authenticator:authenticator@127.0.0.1:PORT/postgres")
    parser.add_argument("--jwt-secret", required=True, help="the project's JWT secret (HS256)")
    parser.add_argument("--anon-key", required=True, help="the anon API key (a JWT with role anon)")
    parser.add_argument("--service-key", required=True, help="the service_role API key (a JWT with role service_role)")
    parser.add_argument("--secret-key", help="an opaque secret key (sb_secret_...): apikey alone acts as service_role")
    parser.add_argument("--publishable-key", help="an opaque publishable key (sb_publishable_...): acts as anon")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--pool-size", type=int, default=10, help="database connections (PostgREST's db-pool)")
    parser.add_argument("--pool-timeout", type=float, default=10.0,
                        help="seconds to wait for a free connection before 504 PGRST003")
    parser.add_argument("--max-rows", type=int, default=1000, help="rows per GET at most (Supabase: 1000; 0: no cap)")
    return parser.parse_args(argv)


def stop_on_signals(server) -> None:
    """SIGTERM/SIGINT end serve_forever; shutdown() must run off the thread that serves."""
    def stop(signum, _frame):
        log.info("signal %d: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv=None) -> None:
    args = parse_arguments(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    pool = ConnectionPool(args.database_url, args.pool_size, args.pool_timeout)
    emulator = Emulator(pool, args.jwt_secret, args.anon_key, args.service_key, args.max_rows or None,
                        secret_key=args.secret_key, publishable_key=args.publishable_key)
    server = make_server(args.host, args.port, create_app(emulator), threaded=True)
    stop_on_signals(server)
    print(f"listening on {server.server_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        pool.close()


if __name__ == "__main__":
    main()
