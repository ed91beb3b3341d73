-- agenttail: views for dashboards. Days are UTC calendar days. security_invoker makes each view run with the
-- caller's grants and row-level security, so a view never shows more than its tables would.

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
            / nullif(count(*) filter (where status <> 'running'), 0),
        4) as success_rate,
    round(avg(duration_ms) filter (where status <> 'running'), 1) as mean_duration_ms,
    percentile_cont(0.95) within group (order by duration_ms) filter (where status <> 'running') as p95_duration_ms,
    coalesce(sum(llm_calls), 0) as llm_calls,
    coalesce(sum(tool_calls), 0) as tool_calls
from public.agent_sessions
where started_at is not null
group by 1, 2;
comment on view public.agent_performance_daily is
    'Per UTC day and agent: sessions by outcome, success rate among finished sessions, duration mean and p95, calls.';

create or replace view public.tool_usage_stats with (security_invoker = true) as
select
    tool_name,
    category,
    count(*) as calls,
    count(*) filter (where not success) as failures,
    round((count(*) filter (where not success))::numeric / count(*), 4) as failure_rate,
    percentile_cont(0.5) within group (order by duration_ms) as p50_duration_ms,
    percentile_cont(0.95) within group (order by duration_ms) as p95_duration_ms,
    max(duration_ms) as max_duration_ms,
    max(coalesce(ended_at, started_at)) as last_used
from public.tool_executions
group by tool_name, category;
comment on view public.tool_usage_stats is 'Per tool and category: calls, failures, failure rate, p50/p95/max duration, last use.';

create or replace view public.error_patterns with (security_invoker = true) as
select
    source,
    fingerprint,
    count(*) as occurrences,
    min(occurred_at) as first_seen,
    max(occurred_at) as last_seen,
    (array_agg(message order by occurred_at desc nulls last, id))[1] as example_message,
    count(distinct session_id) as sessions_affected
from public.agent_errors
group by source, fingerprint;
comment on view public.error_patterns is 'Per source and fingerprint: how often, first and last seen, latest message, sessions hit.';

create or replace view public.daily_summary with (security_invoker = true) as
with sessions as (
    select
        (started_at at time zone 'UTC')::date as day,
        count(*) as sessions,
        count(*) filter (where status = 'completed') as completed,
        count(*) filter (where status = 'failed') as failed,
        count(*) filter (where status = 'abandoned') as abandoned,
        round(avg(duration_ms) filter (where status <> 'running'), 1) as mean_session_ms
    from public.agent_sessions
    where started_at is not null
    group by 1
), calls as (
    select
        (started_at at time zone 'UTC')::date as day,
        count(*) as llm_calls,
        count(*) filter (where status <> 'ok') as llm_failures,
        coalesce(sum(prompt_tokens), 0) as prompt_tokens,
        coalesce(sum(completion_tokens), 0) as completion_tokens
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
    coalesce(errors.errors, 0) as errors
from sessions
full join calls using (day)
full join tools using (day)
full join errors using (day);
comment on view public.daily_summary is 'One row per UTC day: the headline numbers of all agents.';
