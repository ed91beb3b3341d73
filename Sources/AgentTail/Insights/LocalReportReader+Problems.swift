import Foundation
import GRDB

extension LocalReportReader {
    /// What finding the problems of a period starts from.
    struct ProblemInputs: Sendable {
        /// The sessions that started in the period, in order, without their calls and tool runs.
        var sessions: [ProblemFinder.Session]
        /// Each agent's usual session.
        var norms: [String: ProblemFinder.SessionNorm]
        /// The checked sessions of the period, and what the store kept for them (nil for a store without them).
        var kept: (checked: Set<String>, problems: [String: [Report.Problem]])?
    }

    static func problemInputs(_ query: ReportQuery, _ db: Database) throws -> ProblemInputs {
        let window = Window(query.period)
        return ProblemInputs(
            sessions: try ProblemSessionRows.sessions(
                db,
                sql: """
                    SELECT id, agent, status, final_output IS NOT NULL AND final_output <> '', duration_ms, cost_usd
                    FROM agent_sessions WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id
                    """,
                arguments: window.arguments),
            norms: try sessionNorms(query, db),
            kept: try StoredProblems.read(window, db))
    }

    /// The problems of `sessions`, in their order.
    ///
    /// What the store kept for a checked session is taken as it is; the others (running, or in a store that was
    /// not checked) are looked at one by one, each with its tool runs (and, when needed, its calls and LLM errors)
    /// read through the tables' session indexes. Whether a session is an outlier depends on the period's norms and
    /// is always decided here.
    static func problems(of sessions: [ProblemFinder.Session], _ inputs: ProblemInputs, _ db: Database) throws
        -> [Report.Problem]
    {
        var rows = try ProblemSessionRows(db)
        let finder = ProblemFinder()
        var found: [Report.Problem] = []
        for var session in sessions {
            let norm = inputs.norms[session.agent ?? ""]
            let outlier = finder.outlier(session, norm: norm) != nil
            let kept = inputs.kept.flatMap { $0.checked.contains(session.id) ? $0.problems[session.id] ?? [] : nil }
            if kept == nil || outlier {
                try rows.addTools(to: &session)
                if outlier || finder.needsCalls(session) { try rows.addCalls(to: &session) }
            }
            found += kept ?? finder.sessionProblems(in: session)
            if outlier, let problem = finder.outlierProblem(in: session, norm: norm) { found.append(problem) }
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
