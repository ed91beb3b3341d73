-- agenttail: the normalized tables written by agenttail's Supabase sink.
--
-- Rows are upserted by id (deterministic UUIDv5 event ids), so a resend replaces a row instead of duplicating it.
-- There are no foreign keys on purpose: rows of one session travel in separate requests and a row must never fail
-- because the row it refers to has not arrived yet.

create table if not exists public.agent_sessions (
    id uuid primary key,
    agent text not null,
    host text not null,
    source_path text,
    started_at timestamptz,
    ended_at timestamptz,
    status text not null check (status in ('running', 'completed', 'failed', 'abandoned')),
    task text,
    final_output text,
    llm_calls integer not null default 0 check (llm_calls >= 0),
    tool_calls integer not null default 0 check (tool_calls >= 0),
    tool_errors integer not null default 0 check (tool_errors >= 0),
    duration_ms bigint check (duration_ms >= 0),
    metadata jsonb not null default '{}'::jsonb
);
comment on table public.agent_sessions is 'One agent run: its outcome, task, answer, counts and duration (agenttail).';

create table if not exists public.llm_calls (
    id uuid primary key,
    session_id uuid not null,
    seq integer not null check (seq >= 1),
    started_at timestamptz,
    ended_at timestamptz,
    latency_ms bigint,
    model text,
    input jsonb,
    output text,
    thinking text,
    tool_call_count integer not null default 0 check (tool_call_count >= 0),
    finish_reason text,
    status text not null check (status in ('ok', 'error', 'no_response')),
    prompt_tokens integer check (prompt_tokens >= 0),
    completion_tokens integer check (completion_tokens >= 0),
    metadata jsonb not null default '{}'::jsonb
);
comment on table public.llm_calls is 'One LLM request and its response (or the lack of one) (agenttail).';

create table if not exists public.tool_executions (
    id uuid primary key,
    session_id uuid not null,
    llm_call_id uuid,
    tool_call_id text,
    tool_name text not null,
    category text not null default 'other',
    arguments jsonb,
    success boolean not null,
    result text,
    error text,
    started_at timestamptz,
    ended_at timestamptz,
    duration_ms bigint,
    metadata jsonb not null default '{}'::jsonb
);
comment on table public.tool_executions is 'One tool run requested by an LLM call, with its outcome (agenttail).';

create table if not exists public.agent_errors (
    id uuid primary key,
    session_id uuid,
    source text not null check (source in ('tool', 'llm', 'parser', 'agent')),
    tool_name text,
    message text not null,
    fingerprint text not null,
    occurred_at timestamptz,
    related_id uuid,
    metadata jsonb not null default '{}'::jsonb
);
comment on table public.agent_errors is 'Failed tools, unanswered LLM calls and unreadable log records; fingerprint groups alike messages (agenttail).';

-- The common questions: a session's calls in order, activity by time, a tool's history, an error group.
create index if not exists agent_sessions_started_at on public.agent_sessions (started_at);
create index if not exists agent_sessions_agent_started_at on public.agent_sessions (agent, started_at);
create index if not exists agent_sessions_status on public.agent_sessions (status);
create index if not exists llm_calls_session on public.llm_calls (session_id, seq);
create index if not exists llm_calls_started_at on public.llm_calls (started_at);
create index if not exists tool_executions_session on public.tool_executions (session_id, started_at);
create index if not exists tool_executions_tool on public.tool_executions (tool_name, started_at);
create index if not exists tool_executions_started_at on public.tool_executions (started_at);
create index if not exists agent_errors_session on public.agent_errors (session_id);
create index if not exists agent_errors_pattern on public.agent_errors (source, fingerprint);
create index if not exists agent_errors_occurred_at on public.agent_errors (occurred_at);
