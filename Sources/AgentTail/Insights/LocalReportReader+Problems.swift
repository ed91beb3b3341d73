import Foundation
import GRDB

extension LocalReportReader {
    /// The sessions that started in the period, in order, and each agent's usual session.
    static func problemSessions(_ query: ReportQuery, _ db: Database) throws
        -> (ids: [String], norms: [String: ProblemFinder.SessionNorm])
    {
        let ids = try String.fetchAll(
            db, sql: "SELECT id FROM agent_sessions WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id",
            arguments: Window(query.period).arguments)
        return (ids, try sessionNorms(query, db))
    }

    /// The problems of the sessions `ids`, in their order.
    ///
    /// Sessions are looked at one by one, each with its calls, tool runs and LLM errors read through the tables'
    /// session indexes: memory holds one session at a time however long the period.
    static func problems(of ids: [String], norms: [String: ProblemFinder.SessionNorm], _ db: Database) throws
        -> [Report.Problem]
    {
        let sessions = try db.cachedStatement(
            sql: """
                SELECT id, agent, status, final_output IS NOT NULL AND final_output <> '', duration_ms, cost_usd
                FROM agent_sessions WHERE id = ?
                """)
        let errors = try db.cachedStatement(
            sql: """
                SELECT related_id, message FROM agent_errors
                WHERE session_id = ? AND source = 'llm' AND related_id IS NOT NULL ORDER BY occurred_at, id
                """)
        let calls = try db.cachedStatement(
            sql: """
                SELECT id, seq, status, latency_ms, cost_usd FROM llm_calls
                WHERE session_id = ? ORDER BY seq, started_at, id
                """)
        let tools = try db.cachedStatement(
            sql: """
                SELECT id, tool_name, arguments, success, duration_ms,
                       CASE WHEN (lower(tool_name) LIKE '%read%' OR lower(tool_name) IN ('view', 'cat'))
                                 AND json_valid(arguments)
                            THEN coalesce(json_extract(arguments, '$.path'), json_extract(arguments, '$.file_path'),
                                          json_extract(arguments, '$.filename'))
                       END
                FROM tool_executions WHERE session_id = ? ORDER BY started_at, id
                """)
        let finder = ProblemFinder()
        var found: [Report.Problem] = []
        for id in ids {
            guard let row = try Row.fetchOne(sessions, arguments: [id]) else { continue }
            var session = ProblemFinder.Session(
                id: id, agent: row[1], status: row[2] ?? "running", hasFinalAnswer: row[3], durationMs: row[4],
                costUsd: row[5])
            if finder.needsCalls(session, norm: norms[session.agent ?? ""]) {
                var messages: [String: [String]] = [:]
                let errorRows = try Row.fetchCursor(errors, arguments: [id])
                while let error = try errorRows.next() { messages[error[0], default: []].append(error[1] ?? "") }
                let callRows = try Row.fetchCursor(calls, arguments: [id])
                while let call = try callRows.next() {
                    let callID: String = call[0]
                    session.calls.append(
                        ProblemFinder.Call(
                            id: callID, seq: call[1] ?? 0, status: call[2] ?? "ok", latencyMs: call[3],
                            costUsd: call[4], errors: messages[callID] ?? []))
                }
            }
            let toolRows = try Row.fetchCursor(tools, arguments: [id])
            while let tool = try toolRows.next() {
                session.tools.append(
                    ProblemFinder.Tool(
                        id: tool[0], name: tool[1], arguments: tool[2], readPath: String.fromDatabaseValue(tool[5]),
                        success: tool[3] ?? true, durationMs: tool[4]))
            }
            found += finder.problems(in: session, norm: norms[session.agent ?? ""])
        }
        return found
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
