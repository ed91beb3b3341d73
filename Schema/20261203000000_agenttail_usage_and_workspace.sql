-- agenttail: tokens with their cache parts, cost, interrupted runs, and where the work happened.
--
-- prompt_tokens stays the whole prompt (fresh tokens, cache reads and cache writes), as OpenTelemetry's
-- gen_ai.usage.input_tokens counts it; the cache parts are given beside it. cost_usd is computed by agenttail from
-- its price table (and the configuration's `pricing:`); it is null when the model's price is not known, never
-- guessed. Sessions carry the sums of their calls.

alter table public.llm_calls
    add column if not exists cache_read_tokens integer check (cache_read_tokens >= 0),
    add column if not exists cache_creation_tokens integer check (cache_creation_tokens >= 0),
    add column if not exists cost_usd numeric(20, 9) check (cost_usd >= 0);
comment on column public.llm_calls.prompt_tokens is
    'The whole prompt: fresh tokens plus cache_read_tokens plus cache_creation_tokens (agenttail).';
comment on column public.llm_calls.cost_usd is
    'US dollars, from agenttail''s price table; null when the model''s price is unknown (agenttail).';

alter table public.agent_sessions
    add column if not exists workspace text,
    add column if not exists git_branch text,
    add column if not exists agent_version text,
    add column if not exists prompt_tokens bigint check (prompt_tokens >= 0),
    add column if not exists completion_tokens bigint check (completion_tokens >= 0),
    add column if not exists cache_read_tokens bigint check (cache_read_tokens >= 0),
    add column if not exists cache_creation_tokens bigint check (cache_creation_tokens >= 0),
    add column if not exists cost_usd numeric(20, 9) check (cost_usd >= 0);
comment on column public.agent_sessions.workspace is 'The folder the agent worked in (agenttail).';
comment on column public.agent_sessions.cost_usd is
    'Sum of the priced calls'' cost; metadata.unpriced_models names models without a price (agenttail).';

-- A run the user stopped, and the call it cut.
alter table public.agent_sessions drop constraint if exists agent_sessions_status_check;
alter table public.agent_sessions add constraint agent_sessions_status_check
    check (status in ('running', 'completed', 'failed', 'abandoned', 'interrupted'));
alter table public.llm_calls drop constraint if exists llm_calls_status_check;
alter table public.llm_calls add constraint llm_calls_status_check
    check (status in ('ok', 'error', 'no_response', 'interrupted'));

create index if not exists agent_sessions_workspace on public.agent_sessions (workspace, started_at);
create index if not exists agent_sessions_git_branch on public.agent_sessions (git_branch, started_at);
create index if not exists llm_calls_model on public.llm_calls (model, started_at);

-- The views learn the new outcome and the cost. Columns only ever come last, so that readers of the earlier views
-- keep working; privileges and comments stay as the earlier migrations set them. An interrupted run is neither a
-- success nor a failure: it stays out of the success rate. An interrupted call is no failure of the model.
create or replace view public.agent_performance_daily with (security_invoker = true) as
select
    (started_at at time zone 'UTC')::date as day,
    agent,
    count(*) as sessions,
    count(*) filter (where status = 'completed') as completed,
    count(*) filter (where status = 'failed') as failed,
    count(*) filter (where status = 'abandoned') as abandoned,
    count(*) filter (where status = 'running') as running,
    round(
        (count(*) filter (where status = 'completed'))::numeric
            / nullif(count(*) filter (where status not in ('running', 'interrupted')), 0),
        4) as success_rate,
    round(avg(duration_ms) filter (where status <> 'running'), 1) as mean_duration_ms,
    percentile_cont(0.95) within group (order by duration_ms) filter (where status <> 'running') as p95_duration_ms,
    coalesce(sum(llm_calls), 0) as llm_calls,
    coalesce(sum(tool_calls), 0) as tool_calls,
    count(*) filter (where status = 'interrupted') as interrupted,
    sum(cost_usd) as cost_usd
from public.agent_sessions
where started_at is not null
group by 1, 2;

create or replace view public.daily_summary with (security_invoker = true) as
with sessions as (
    select
        (started_at at time zone 'UTC')::date as day,
        count(*) as sessions,
        count(*) filter (where status = 'completed') as completed,
        count(*) filter (where status = 'failed') as failed,
        count(*) filter (where status = 'abandoned') as abandoned,
        round(avg(duration_ms) filter (where status <> 'running'), 1) as mean_session_ms,
        count(*) filter (where status = 'interrupted') as interrupted
    from public.agent_sessions
    where started_at is not null
    group by 1
), calls as (
    select
        (started_at at time zone 'UTC')::date as day,
        count(*) as llm_calls,
        count(*) filter (where status in ('error', 'no_response')) as llm_failures,
        coalesce(sum(prompt_tokens), 0) as prompt_tokens,
        coalesce(sum(completion_tokens), 0) as completion_tokens,
        coalesce(sum(cache_read_tokens), 0) as cache_read_tokens,
        coalesce(sum(cache_creation_tokens), 0) as cache_creation_tokens,
        sum(cost_usd) as cost_usd
    from public.llm_calls
    where started_at is not null
    group by 1
), tools as (
    select
        (started_at at time zone 'UTC')::date as day,
        count(*) as tool_executions,
        count(*) filter (where not success) as tool_failures
    from public.tool_executions
    where started_at is not null
    group by 1
), errors as (
    select (occurred_at at time zone 'UTC')::date as day, count(*) as errors
    from public.agent_errors
    where occurred_at is not null
    group by 1
)
select
    day,
    coalesce(sessions.sessions, 0) as sessions,
    coalesce(sessions.completed, 0) as completed,
    coalesce(sessions.failed, 0) as failed,
    coalesce(sessions.abandoned, 0) as abandoned,
    sessions.mean_session_ms,
    coalesce(calls.llm_calls, 0) as llm_calls,
    coalesce(calls.llm_failures, 0) as llm_failures,
    coalesce(calls.prompt_tokens, 0) as prompt_tokens,
    coalesce(calls.completion_tokens, 0) as completion_tokens,
    coalesce(tools.tool_executions, 0) as tool_executions,
    coalesce(tools.tool_failures, 0) as tool_failures,
    coalesce(errors.errors, 0) as errors,
    coalesce(sessions.interrupted, 0) as interrupted,
    coalesce(calls.cache_read_tokens, 0) as cache_read_tokens,
    coalesce(calls.cache_creation_tokens, 0) as cache_creation_tokens,
    calls.cost_usd
from sessions
full join calls using (day)
full join tools using (day)
full join errors using (day);
comment on view public.daily_summary is
    'One row per UTC day: the headline numbers of all agents, with tokens, cache parts and cost (null: nothing priced).';

notify pgrst, 'reload schema';
