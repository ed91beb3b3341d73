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

notify pgrst, 'reload schema';
