/// The four views of the Supabase schema, for the embedded store: the same names, columns, order and figures, so
/// that SQL written for one reads the other.
///
/// Days are UTC days written `YYYY-MM-DD`; percentiles interpolate as PostgreSQL's `percentile_cont` does, computed
/// with window functions since SQLite has no percentile aggregate.
enum LocalStoreViews {
    static let all: [String] = [agentPerformanceDaily, toolUsageStats, errorPatterns, dailySummary]

    /// The `q` percentile of `value` within a group of the query that aggregates `ranked`. `position` is the
    /// value's 0-based rank among the group's values that count (NULL for the others) and `count` their number.
    static func percentile(_ q: Double, of value: String, position: String = "position", count: String = "counted")
        -> String
    {
        let exact = "(\(q) * (\(count) - 1))"
        let below = "CAST(\(exact) AS INTEGER)"
        let lower = "min(\(value)) FILTER (WHERE \(position) = \(below))"
        let upper = "min(\(value)) FILTER (WHERE \(position) = min(\(below) + 1, \(count) - 1))"
        return "(\(lower) + (\(exact) - \(below)) * (\(upper) - \(lower)))"
    }

    static let agentPerformanceDaily = """
        CREATE VIEW agent_performance_daily AS
        WITH ranked AS (
            SELECT *, substr(started_at, 1, 10) AS day,
                   CASE WHEN status <> 'running' AND duration_ms IS NOT NULL THEN
                       row_number() OVER (
                           PARTITION BY substr(started_at, 1, 10), agent, status <> 'running' AND duration_ms IS NOT NULL
                           ORDER BY duration_ms) - 1
                   END AS position,
                   count(CASE WHEN status <> 'running' THEN duration_ms END)
                       OVER (PARTITION BY substr(started_at, 1, 10), agent) AS counted
            FROM agent_sessions WHERE started_at IS NOT NULL
        )
        SELECT
            day,
            agent,
            count(*) AS sessions,
            count(*) FILTER (WHERE status = 'completed') AS completed,
            count(*) FILTER (WHERE status = 'failed') AS failed,
            count(*) FILTER (WHERE status = 'abandoned') AS abandoned,
            count(*) FILTER (WHERE status = 'running') AS running,
            round(
                CAST(count(*) FILTER (WHERE status = 'completed') AS REAL)
                    / nullif(count(*) FILTER (WHERE status NOT IN ('running', 'interrupted')), 0),
                4) AS success_rate,
            round(avg(duration_ms) FILTER (WHERE status <> 'running'), 1) AS mean_duration_ms,
            \(percentile(0.95, of: "duration_ms")) AS p95_duration_ms,
            coalesce(sum(llm_calls), 0) AS llm_calls,
            coalesce(sum(tool_calls), 0) AS tool_calls,
            count(*) FILTER (WHERE status = 'interrupted') AS interrupted,
            sum(cost_usd) AS cost_usd
        FROM ranked
        GROUP BY day, agent
        """

    static let toolUsageStats = """
        CREATE VIEW tool_usage_stats AS
        WITH ranked AS (
            SELECT *,
                   CASE WHEN duration_ms IS NOT NULL THEN
                       row_number() OVER (
                           PARTITION BY tool_name, category, duration_ms IS NOT NULL ORDER BY duration_ms) - 1
                   END AS position,
                   count(duration_ms) OVER (PARTITION BY tool_name, category) AS counted
            FROM tool_executions
        )
        SELECT
            tool_name,
            category,
            count(*) AS calls,
            count(*) FILTER (WHERE NOT success) AS failures,
            round(CAST(count(*) FILTER (WHERE NOT success) AS REAL) / count(*), 4) AS failure_rate,
            \(percentile(0.5, of: "duration_ms")) AS p50_duration_ms,
            \(percentile(0.95, of: "duration_ms")) AS p95_duration_ms,
            max(duration_ms) AS max_duration_ms,
            max(coalesce(ended_at, started_at)) AS last_used
        FROM ranked
        GROUP BY tool_name, category
        """

    static let errorPatterns = """
        CREATE VIEW error_patterns AS
        WITH latest AS (
            SELECT *, first_value(message) OVER (
                       PARTITION BY source, fingerprint ORDER BY occurred_at IS NULL, occurred_at DESC, id
                   ) AS example
            FROM agent_errors
        )
        SELECT
            source,
            fingerprint,
            count(*) AS occurrences,
            min(occurred_at) AS first_seen,
            max(occurred_at) AS last_seen,
            min(example) AS example_message,
            count(DISTINCT session_id) AS sessions_affected
        FROM latest
        GROUP BY source, fingerprint
        """

    static let dailySummary = """
        CREATE VIEW daily_summary AS
        WITH sessions AS (
            SELECT
                substr(started_at, 1, 10) AS day,
                count(*) AS sessions,
                count(*) FILTER (WHERE status = 'completed') AS completed,
                count(*) FILTER (WHERE status = 'failed') AS failed,
                count(*) FILTER (WHERE status = 'abandoned') AS abandoned,
                round(avg(duration_ms) FILTER (WHERE status <> 'running'), 1) AS mean_session_ms,
                count(*) FILTER (WHERE status = 'interrupted') AS interrupted
            FROM agent_sessions WHERE started_at IS NOT NULL GROUP BY 1
        ), calls AS (
            SELECT
                substr(started_at, 1, 10) AS day,
                count(*) AS llm_calls,
                count(*) FILTER (WHERE status IN ('error', 'no_response')) AS llm_failures,
                coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
                coalesce(sum(completion_tokens), 0) AS completion_tokens,
                coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
                coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
                sum(cost_usd) AS cost_usd
            FROM llm_calls WHERE started_at IS NOT NULL GROUP BY 1
        ), tools AS (
            SELECT
                substr(started_at, 1, 10) AS day,
                count(*) AS tool_executions,
                count(*) FILTER (WHERE NOT success) AS tool_failures
            FROM tool_executions WHERE started_at IS NOT NULL GROUP BY 1
        ), errors AS (
            SELECT substr(occurred_at, 1, 10) AS day, count(*) AS errors
            FROM agent_errors WHERE occurred_at IS NOT NULL GROUP BY 1
        ), days AS (
            SELECT day FROM sessions UNION SELECT day FROM calls UNION SELECT day FROM tools
            UNION SELECT day FROM errors
        )
        SELECT
            days.day,
            coalesce(sessions.sessions, 0) AS sessions,
            coalesce(sessions.completed, 0) AS completed,
            coalesce(sessions.failed, 0) AS failed,
            coalesce(sessions.abandoned, 0) AS abandoned,
            sessions.mean_session_ms,
            coalesce(calls.llm_calls, 0) AS llm_calls,
            coalesce(calls.llm_failures, 0) AS llm_failures,
            coalesce(calls.prompt_tokens, 0) AS prompt_tokens,
            coalesce(calls.completion_tokens, 0) AS completion_tokens,
            coalesce(tools.tool_executions, 0) AS tool_executions,
            coalesce(tools.tool_failures, 0) AS tool_failures,
            coalesce(errors.errors, 0) AS errors,
            coalesce(sessions.interrupted, 0) AS interrupted,
            coalesce(calls.cache_read_tokens, 0) AS cache_read_tokens,
            coalesce(calls.cache_creation_tokens, 0) AS cache_creation_tokens,
            calls.cost_usd
        FROM days
        LEFT JOIN sessions ON sessions.day = days.day
        LEFT JOIN calls ON calls.day = days.day
        LEFT JOIN tools ON tools.day = days.day
        LEFT JOIN errors ON errors.day = days.day
        """
}
