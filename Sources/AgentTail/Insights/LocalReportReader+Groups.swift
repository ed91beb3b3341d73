import GRDB

extension LocalReportReader {
    /// The period split by `dimension`: sessions started, LLM calls and tool runs made in the period, each under
    /// its own day, or under its session's agent, workspace, branch or host; LLM calls under their model.
    static func groups(_ window: Window, by dimension: ReportQuery.Dimension, _ db: Database) throws -> Report.Groups {
        let (sessionsSQL, callsSQL, toolsSQL) = queries(for: dimension)
        var rows: [String?: Report.Group] = [:]
        func update(_ key: String?, _ change: (inout Report.Group) -> Void) {
            var group =
                rows[key]
                ?? Report.Group(
                    key: key, sessions: 0, completed: 0, failed: 0, llmCalls: 0, promptTokens: 0, completionTokens: 0,
                    toolCalls: dimension == .model ? nil : 0, toolFailures: dimension == .model ? nil : 0)
            change(&group)
            rows[key] = group
        }
        for row in try Row.fetchAll(db, sql: sessionsSQL, arguments: window.arguments) {
            update(row["key"]) { group in
                group.sessions = row["sessions"]
                group.completed = row["completed"]
                group.failed = row["failed"]
            }
        }
        for row in try Row.fetchAll(db, sql: callsSQL, arguments: window.arguments) {
            update(row["key"]) { group in
                group.llmCalls = row["calls"]
                group.promptTokens = row["prompt"]
                group.completionTokens = row["completion"]
                group.costUsd = (row["cost"] as Double?).map(ReportRounding.dollars)
            }
        }
        if let toolsSQL {
            for row in try Row.fetchAll(db, sql: toolsSQL, arguments: window.arguments) {
                update(row["key"]) { group in
                    group.toolCalls = row["calls"]
                    group.toolFailures = row["failures"]
                }
            }
        }
        return Report.Groups(by: dimension.rawValue, rows: Self.ordered(Array(rows.values), by: dimension))
    }

    /// Days in order; other keys by cost, then sessions, then name, with the rows without a key last.
    static func ordered(_ rows: [Report.Group], by dimension: ReportQuery.Dimension) -> [Report.Group] {
        rows.sorted { a, b in
            if dimension == .day { return (a.key ?? "") < (b.key ?? "") }
            if (a.key == nil) != (b.key == nil) { return b.key == nil }
            let (costA, costB) = (a.costUsd ?? -1, b.costUsd ?? -1)
            if costA != costB { return costA > costB }
            if a.sessions != b.sessions { return a.sessions > b.sessions }
            if a.llmCalls != b.llmCalls { return a.llmCalls > b.llmCalls }
            return (a.key ?? "") < (b.key ?? "")
        }
    }

    /// The three queries of a dimension: sessions, LLM calls and tool runs per key (no tool runs per model).
    private static func queries(for dimension: ReportQuery.Dimension) -> (String, String, String?) {
        let sessionFigures = """
            count(*) AS sessions, count(*) FILTER (WHERE status = 'completed') AS completed,
            count(*) FILTER (WHERE status = 'failed') AS failed
            """
        let callFigures = """
            count(*) AS calls, coalesce(sum(prompt_tokens), 0) AS prompt,
            coalesce(sum(completion_tokens), 0) AS completion, sum(cost_usd) AS cost
            """
        let toolFigures = "count(*) AS calls, count(*) FILTER (WHERE NOT success) AS failures"
        switch dimension {
        case .day:
            return (
                """
                SELECT substr(started_at, 1, 10) AS key, \(sessionFigures) FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? GROUP BY 1
                """,
                """
                SELECT substr(started_at, 1, 10) AS key, \(callFigures) FROM llm_calls
                WHERE started_at >= ? AND started_at < ? GROUP BY 1
                """,
                """
                SELECT substr(started_at, 1, 10) AS key, \(toolFigures) FROM tool_executions
                WHERE started_at >= ? AND started_at < ? GROUP BY 1
                """
            )
        case .model:
            return (
                """
                SELECT c.model AS key, count(DISTINCT c.session_id) AS sessions,
                       count(DISTINCT CASE WHEN s.status = 'completed' THEN s.id END) AS completed,
                       count(DISTINCT CASE WHEN s.status = 'failed' THEN s.id END) AS failed
                FROM llm_calls AS c LEFT JOIN agent_sessions AS s ON s.id = c.session_id
                WHERE c.started_at >= ? AND c.started_at < ? GROUP BY 1
                """,
                """
                SELECT model AS key, \(callFigures) FROM llm_calls
                WHERE started_at >= ? AND started_at < ? GROUP BY 1
                """,
                nil
            )
        case .agent, .workspace, .branch, .host:
            let column = dimension.sessionColumn!
            return (
                """
                SELECT \(column) AS key, \(sessionFigures) FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? GROUP BY 1
                """,
                """
                SELECT s.\(column) AS key, count(*) AS calls, coalesce(sum(c.prompt_tokens), 0) AS prompt,
                       coalesce(sum(c.completion_tokens), 0) AS completion, sum(c.cost_usd) AS cost
                FROM llm_calls AS c LEFT JOIN agent_sessions AS s ON s.id = c.session_id
                WHERE c.started_at >= ? AND c.started_at < ? GROUP BY 1
                """,
                """
                SELECT s.\(column) AS key, count(*) AS calls, count(*) FILTER (WHERE NOT t.success) AS failures
                FROM tool_executions AS t LEFT JOIN agent_sessions AS s ON s.id = t.session_id
                WHERE t.started_at >= ? AND t.started_at < ? GROUP BY 1
                """
            )
        }
    }
}
