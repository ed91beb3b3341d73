-- agenttail: what each tool run used, measured from outside the agent while its log is followed live.
--
-- From the moment a tool call is logged until its result is, agenttail samples the agent's process and all its
-- descendants through /proc. Rows read from a backlog, or whose agent could not be found or watched, have null
-- figures: never a guess. Parallel calls of one response share one window (metadata.resources_shared).

alter table public.tool_executions
    add column if not exists peak_rss_bytes bigint check (peak_rss_bytes >= 0),
    add column if not exists cpu_ms bigint check (cpu_ms >= 0),
    add column if not exists max_processes integer check (max_processes >= 0),
    add column if not exists io_read_bytes bigint check (io_read_bytes >= 0),
    add column if not exists io_write_bytes bigint check (io_write_bytes >= 0);
comment on column public.tool_executions.peak_rss_bytes is
    'Highest resident memory of the agent and its descendants while the tool ran, the agent included (agenttail).';
comment on column public.tool_executions.cpu_ms is
    'CPU time the agent and its descendants used while the tool ran, children that exited included (agenttail).';
comment on column public.tool_executions.max_processes is
    'Most processes in the agent''s tree while the tool ran (agenttail).';
comment on column public.tool_executions.io_read_bytes is
    'Bytes the tree read through system calls while the tool ran; null when /proc/PID/io was not readable (agenttail).';
comment on column public.tool_executions.io_write_bytes is
    'Bytes the tree wrote through system calls while the tool ran; null when /proc/PID/io was not readable (agenttail).';

alter table public.agent_sessions
    add column if not exists peak_rss_bytes bigint check (peak_rss_bytes >= 0),
    add column if not exists cpu_ms bigint check (cpu_ms >= 0);
comment on column public.agent_sessions.peak_rss_bytes is
    'Highest resident memory of the agent''s tree while its tools ran; null when none was measured (agenttail).';
comment on column public.agent_sessions.cpu_ms is
    'CPU time the agent''s tree used while its tools ran; null when none was measured (agenttail).';
