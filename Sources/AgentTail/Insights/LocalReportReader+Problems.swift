import Foundation
import GRDB

extension LocalReportReader {
    /// What finding the problems of a period starts from.
    struct ProblemInputs: Sendable {
        /// The sessions that started in the period, in order, as far as deciding on outliers needs: without their
        /// final answer, calls and tool runs.
        var sessions: [ProblemFinder.Session]
        /// The sessions whose problems the store kept (checked by this version of the finder).
        var checked: Set<Int>
        /// What the store kept for them, by session id.
        var kept: [String: [Report.Problem]]
        /// Each agent's usual session.
        var norms: [String: ProblemFinder.SessionNorm]
    }

    static func problemInputs(_ query: ReportQuery, _ db: Database) throws -> ProblemInputs {
        let window = Window(query.period)
        let keeps = try db.tableExists("session_problem_checks")
        let checkedIDs = keeps ? try StoredProblems.checked(window, db) : []
        var sessions: [ProblemFinder.Session] = []
        var checked = Set<Int>()
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT id, agent, status, duration_ms, cost_usd FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id
                """,
            arguments: window.arguments)
        while let row = try rows.next() {
            let id: String = row[0]
            if checkedIDs.contains(id) { checked.insert(sessions.count) }
            sessions.append(
                ProblemFinder.Session(
                    id: id, agent: row[1], status: row[2] ?? "running", hasFinalAnswer: false, durationMs: row[3],
                    costUsd: row[4]))
        }
        return ProblemInputs(
            sessions: sessions, checked: checked, kept: keeps ? try StoredProblems.read(window, db) : [:],
            norms: try sessionNorms(query, db))
    }

    /// The problems of the sessions at `indexes` of `inputs.sessions`, in their order.
    ///
    /// What the store kept for a checked session is taken as it is; the others (running, or in a store that was
    /// not checked) are looked at one by one, each with its tool runs (and, when needed, its calls and LLM errors)
    /// read through the tables' session indexes. Whether a session is an outlier depends on the period's norms and
    /// is always decided here.
    static func problems(at indexes: some Sequence<Int>, _ inputs: ProblemInputs, _ db: Database) throws
        -> [Report.Problem]
    {
        var rows = try ProblemSessionRows(db)
        let finder = ProblemFinder()
        var found: [Report.Problem] = []
        for index in indexes {
            let summary = inputs.sessions[index]
            let norm = inputs.norms[summary.agent ?? ""]
            let outlier = finder.outlier(summary, norm: norm) != nil
            let kept = inputs.checked.contains(index) ? inputs.kept[summary.id] ?? [] : nil
            guard kept == nil || outlier else {
                found += kept!
                continue
            }
            guard var session = try rows.session(summary.id)?.session else { continue }
            try rows.addTools(to: &session)
            if outlier || finder.needsCalls(session) { try rows.addCalls(to: &session) }
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
