import AgentTailCore
import Foundation
import GRDB

/// Computes a report from the embedded store.
///
/// Counts and sums are computed by SQLite; percentiles are computed here from the sorted values, as PostgreSQL's
/// `percentile_cont` does, so that a report from Supabase gives the same figures for the same rows. The figures,
/// the anomalies, the timeline and the problems (in as many shares as there are cores) are computed side by side,
/// each on a read-only connection of its own.
package struct LocalReportReader: Sendable {
    package let path: String

    package init(path: String) {
        self.path = path
    }

    /// The report for `query`, from the store at `path` opened read-only.
    package func report(_ query: ReportQuery) async throws -> Report {
        guard FileManager.default.fileExists(atPath: path) else { throw LocalReportProblem.noStore(path: path) }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "agenttail.report"
        configuration.prepareDatabase { db in
            // Enough pages to keep the inner pages of the big tables' trees: with SQLite's 2 MB, a walk through
            // a session index reads the same pages from the file again and again.
            try db.execute(sql: "PRAGMA cache_size = -\(Self.cacheKiB)")
        }
        // Parts read in transactions of their own: while agenttail writes, a row committed meanwhile may count in
        // one part and not yet in another.
        let store = try DatabasePool(path: path, configuration: configuration)
        let plan = ReportPlan(query)
        // The calls and the tool runs, the biggest tables, are each read once, side by side.
        let grouping = try await store.read { db in try query.by.map { try Grouping($0, query.period, db) } }
        async let calls = store.read { db in try Self.calls(plan, grouping: grouping, db) }
        async let tools = store.read { db in try Self.tools(plan, grouping: grouping, db) }
        async let sessions = store.read { db in
            (
                try Self.figures(query, db), try Self.sessionObservations(plan, db), try Self.days(query, plan, db),
                try Self.errors(query, plan, db)
            )
        }
        let problems = try await problems(query, store)
        var (report, observations, days, errors) = try await sessions
        report.errors = errors.patterns
        let (callFacts, toolFacts) = try await (calls, tools)
        report.llmCalls = callFacts.figures
        report.models = callFacts.models
        report.tools = toolFacts.tools
        if let dimension = query.by {
            report.groups = try await store.read { db in
                try Self.groups(
                    Window(query.period), by: dimension, calls: callFacts.groups, tools: toolFacts.groups, db)
            }
        }
        for index in observations.indices {
            observations[index].merge(callFacts.observations[index]) { $1 }
            observations[index].merge(toolFacts.observations[index]) { $1 }
        }
        (report.anomalies, report.notes) = Self.anomalies(query, plan, observations)
        report.problems = problems
        let patterns = Set(report.errors.map { "\($0.source) \($0.fingerprint)" })
        report.days = days.map { day in
            var day = day
            day.costByModel = callFacts.costByDay[day.day] ?? [:]
            day.errorsByPattern = (errors.byDay[day.day] ?? [:]).filter { patterns.contains($0.key) }
            return day
        }
        if problems.count > ReportRenderer.problemLimit {
            report.notes.append(
                "\(problems.count) problems were found; the first \(ReportRenderer.problemLimit) are listed here, "
                    + "--format json lists them all.")
        }
        if !report.tools.isEmpty, report.tools.allSatisfy({ $0.p95PeakRssBytes == nil }) {
            report.notes.append(
                "No tool run of the period was measured, so memory and CPU per tool are blank: `agenttail run` "
                    + "measures tool runs while it follows the agent live (docs/resources.md).")
        }
        if report.llmCalls.unpricedCalls > 0 {
            let names = report.models.filter { $0.costUsd == nil }.map { $0.model }.joined(separator: ", ")
            let calls = report.llmCalls.unpricedCalls
            report.notes.append(
                "No price is known for \(names): \(calls) LLM call\(calls == 1 ? " is" : "s are") left out of the "
                    + "cost. Give the price under `pricing:` in the configuration.")
        }
        return report
    }

    /// The problems of the period's sessions, in their order: those that need looking at are shared among the
    /// cores.
    private func problems(_ query: ReportQuery, _ store: DatabasePool) async throws -> [Report.Problem] {
        let inputs = try await store.read { db in try Self.problemInputs(query, db) }
        let shares = max(1, min(ProcessInfo.processInfo.activeProcessorCount, inputs.sessions.count / 200))
        return try await withThrowingTaskGroup(of: (Int, [Report.Problem]).self) { group in
            for share in 0..<shares {
                let indexes = stride(from: share, to: inputs.sessions.count, by: shares)
                group.addTask { (share, try await store.read { db in try Self.problems(at: indexes, inputs, db) }) }
            }
            var found = Array(repeating: [Report.Problem](), count: shares)
            for try await (share, problems) in group { found[share] = problems }
            // Back in the sessions' order: the shares took every n-th session.
            let order = Dictionary(uniqueKeysWithValues: inputs.sessions.enumerated().map { ($1.id, $0) })
            return found.flatMap { $0 }.sorted { order[$0.sessionId]! < order[$1.sessionId]! }
        }
    }

    /// The page cache of each of the report's connections, in KiB.
    static let cacheKiB = 8 * 1024

    /// The figures of the period that the sessions give: sessions and top sessions (calls, models, tools and
    /// errors come from the passes over their tables).
    static func figures(_ query: ReportQuery, _ db: Database) throws -> Report {
        let window = Window(query.period)
        return Report(
            source: "local",
            period: query.period,
            sessions: try sessions(window, db),
            llmCalls: Report.LLMCalls(),
            models: [],
            tools: [],
            errors: [],
            slowestSessions: try topSessions(
                window, order: "duration_ms", limit: query.sessionLimit, textLimit: query.textLimit, db),
            costliestSessions: try topSessions(
                window, order: "cost_usd", limit: query.sessionLimit, textLimit: query.textLimit, db),
            groups: nil)
    }

    /// The period's bounds as the store writes times, for `started_at >= from AND started_at < to`.
    struct Window {
        var from: String
        var to: String
        init(_ period: Report.Period) {
            from = period.from.rfc3339
            to = period.to.rfc3339
        }
        var arguments: StatementArguments { [from, to] }
    }

    private static func sessions(_ window: Window, _ db: Database) throws -> Report.Sessions {
        var sessions = Report.Sessions()
        var cost: Double?
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT status, count(*) AS n, sum(cost_usd) AS cost FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? GROUP BY status
                """,
            arguments: window.arguments)
        for row in rows {
            let count: Int = row["n"]
            sessions.total += count
            switch row["status"] as String? {
            case "completed": sessions.completed = count
            case "failed": sessions.failed = count
            case "abandoned": sessions.abandoned = count
            case "interrupted": sessions.interrupted = count
            case "running": sessions.running = count
            default: break
            }
            if let part = row["cost"] as Double? { cost = (cost ?? 0) + part }
        }
        sessions.costUsd = cost.map(ReportRounding.dollars)
        let ended = sessions.completed + sessions.failed + sessions.abandoned
        if ended > 0 { sessions.successRate = ReportRounding.rate(Double(sessions.completed) / Double(ended)) }
        let durations = try Int.fetchAll(
            db,
            sql: """
                SELECT duration_ms FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? AND status <> 'running' AND duration_ms IS NOT NULL
                """,
            arguments: window.arguments)
        sessions.p50DurationMs = Percentile.continuous(durations, 0.5)
        sessions.p95DurationMs = Percentile.continuous(durations, 0.95)
        return sessions
    }

    private static func topSessions(_ window: Window, order: String, limit: Int, textLimit: Int, _ db: Database)
        throws -> [Report.SessionSummary]
    {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, agent, status, started_at, duration_ms, cost_usd, llm_calls, tool_calls, task
                FROM agent_sessions
                WHERE id IN (
                    SELECT id FROM agent_sessions WHERE started_at >= ?1 AND started_at < ?2 AND \(order) > 0
                    ORDER BY \(order) DESC, id LIMIT ?3)
                ORDER BY \(order) DESC, id
                """,
            arguments: [window.from, window.to, limit]
        ).map { row in
            Report.SessionSummary(
                id: row["id"], agent: row["agent"], status: row["status"] ?? "running",
                startedAt: (row["started_at"] as String?).flatMap(Report.timestamps.parse),
                durationMs: row["duration_ms"], costUsd: (row["cost_usd"] as Double?).map(ReportRounding.dollars),
                llmCalls: row["llm_calls"] ?? 0, toolCalls: row["tool_calls"] ?? 0,
                task: (row["task"] as String?).map { ReportText.cut($0, to: textLimit) })
        }
    }
}

/// Why a local report could not be made.
package enum LocalReportProblem: Error, CustomStringConvertible {
    case noStore(path: String)

    package var description: String {
        switch self {
        case .noStore(let path):
            "there is no local store at \(path) yet; run `agenttail run --once --config FILE` to read the logs first"
        }
    }
}
