-- agenttail: who may do what. Row-level security is on for every table; signed-in users (authenticated) may read,
-- anonymous clients (anon) may do nothing, and only the service role (agenttail's sink, which bypasses RLS) writes.
-- Upserts need select, insert and update.

do $$
declare
    t text;
begin
    foreach t in array array['agent_sessions', 'llm_calls', 'tool_executions', 'agent_errors'] loop
        execute format('alter table public.%I enable row level security', t);
        execute format('revoke all on table public.%I from anon, authenticated', t);
        execute format('grant select on table public.%I to authenticated', t);
        execute format('grant select, insert, update on table public.%I to service_role', t);
        execute format('drop policy if exists "authenticated users read" on public.%I', t);
        execute format('create policy "authenticated users read" on public.%I for select to authenticated using (true)', t);
    end loop;
    foreach t in array array['agent_performance_daily', 'tool_usage_stats', 'error_patterns', 'daily_summary'] loop
        execute format('revoke all on table public.%I from anon, authenticated', t);
        execute format('grant select on table public.%I to authenticated, service_role', t);
    end loop;
end
$$;

-- PostgREST validates requests against its schema cache: make it see the new tables now.
notify pgrst, 'reload schema';
