-- agenttail: session rows only ever move forward.
--
-- A session's row is written again as its run progresses. Every version carries a revision that grows with it; when
-- an older version arrives after a newer one (a request whose answer was lost to a timeout or a crash, committed
-- late), the newer row is kept.

alter table public.agent_sessions add column if not exists revision bigint not null default 0;
comment on column public.agent_sessions.revision is
    'Grows with every version of the row; an update carrying a lower revision is ignored (agenttail).';

create or replace function public.agent_sessions_keep_latest() returns trigger
    language plpgsql
    set search_path = ''
as $$
begin
    if new.revision < old.revision then
        return null;  -- an older version arriving late: keep the newer row
    end if;
    return new;
end
$$;

drop trigger if exists agent_sessions_keep_latest on public.agent_sessions;
create trigger agent_sessions_keep_latest
    before update on public.agent_sessions
    for each row execute function public.agent_sessions_keep_latest();

notify pgrst, 'reload schema';
