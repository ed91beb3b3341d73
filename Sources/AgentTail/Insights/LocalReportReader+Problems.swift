import Foundation
import GRDB

extension LocalReportReader {
    /// The problems of the sessions that started in the period, at most `limit` (with a note when there are more).
    static func problems(_ query: ReportQuery, _ db: Database) throws -> (problems: [Report.Problem], notes: [String]) {
        let window = Window(query.period)
        let norms = try sessionNorms(query, db)
        let inPeriod = "SELECT id FROM agent_sessions WHERE started_at >= ? AND started_at < ?"
        var errors: [String: [String]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT related_id, message FROM agent_errors
                WHERE source = 'llm' AND related_id IS NOT NULL AND session_id IN (\(inPeriod))
                ORDER BY occurred_at, id
                """,
            arguments: window.arguments)
        {
            errors[row["related_id"], default: []].append(row["message"] ?? "")
        }
        var calls: [String: [ProblemFinder.Call]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT session_id, id, seq, status, latency_ms, cost_usd FROM llm_calls
                WHERE session_id IN (\(inPeriod)) ORDER BY session_id, seq, started_at, id
                """,
            arguments: window.arguments)
        {
            let id: String = row["id"]
            calls[row["session_id"], default: []].append(
                ProblemFinder.Call(
                    id: id, seq: row["seq"] ?? 0, status: row["status"] ?? "ok", latencyMs: row["latency_ms"],
                    costUsd: row["cost_usd"], errors: errors[id] ?? []))
        }
        var sessions: [String: ProblemFinder.Session] = [:]
        var order: [String] = []
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT id, agent, status, final_output IS NOT NULL AND final_output <> '' AS answered, duration_ms,
                       cost_usd
                FROM agent_sessions WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id
                """,
            arguments: window.arguments)
        {
            let id: String = row["id"]
            var session = ProblemFinder.Session(
                id: id, agent: row["agent"], status: row["status"] ?? "running", hasFinalAnswer: row["answered"],
                durationMs: row["duration_ms"], costUsd: row["cost_usd"])
            session.calls = calls[id] ?? []
            sessions[id] = session
            order.append(id)
        }
        // Tool runs stream by session: only their arguments can be large.
        let tools = try Row.fetchCursor(
            db,
            sql: """
                SELECT session_id, id, tool_name, arguments, success, duration_ms,
                       CASE WHEN (lower(tool_name) LIKE '%read%' OR lower(tool_name) IN ('view', 'cat'))
                                 AND json_valid(arguments)
                            THEN coalesce(json_extract(arguments, '$.path'), json_extract(arguments, '$.file_path'),
                                          json_extract(arguments, '$.filename'))
                       END AS read_path
                FROM tool_executions WHERE session_id IN (\(inPeriod)) ORDER BY session_id, started_at, id
                """,
            arguments: window.arguments)
        while let row = try tools.next() {
            let sessionID: String = row["session_id"]
            sessions[sessionID]?.tools.append(
                ProblemFinder.Tool(
                    id: row["id"], name: row["tool_name"], arguments: row["arguments"],
                    readPath: String.fromDatabaseValue(row["read_path"]),
                    success: row["success"] ?? true, durationMs: row["duration_ms"]))
        }
        let finder = ProblemFinder()
        var found: [Report.Problem] = []
        for id in order {
            let session = sessions[id]!
            found += finder.problems(in: session, norm: norms[session.agent ?? ""])
        }
        var notes: [String] = []
        if found.count > ReportRenderer.problemLimit {
            notes.append(
                "\(found.count) problems were found; the first \(ReportRenderer.problemLimit) are listed here, "
                    + "--format json lists them all.")
        }
        return (found, notes)
    }

    /// Each agent's usual session, from the ended sessions of the baseline and the period.
    private static func sessionNorms(_ query: ReportQuery, _ db: Database) throws -> [String: ProblemFinder.SessionNorm] {
        var durations: [String: [Double]] = [:]
        var costs: [String: [Double]] = [:]
        let from = query.period.from.addingTimeInterval(-query.baselineSeconds)
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT agent, duration_ms, cost_usd FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? AND status NOT IN ('running')
                """,
            arguments: [from.rfc3339, query.period.to.rfc3339])
        while let row = try rows.next() {
            let agent: String = row["agent"] ?? ""
            if let duration = row["duration_ms"] as Double? { durations[agent, default: []].append(duration) }
            if let cost = row["cost_usd"] as Double? { costs[agent, default: []].append(cost) }
        }
        var norms: [String: ProblemFinder.SessionNorm] = [:]
        for agent in Set(durations.keys).union(costs.keys) {
            norms[agent] = ProblemFinder.SessionNorm(durations: durations[agent] ?? [], costs: costs[agent] ?? [])
        }
        return norms
    }
}
