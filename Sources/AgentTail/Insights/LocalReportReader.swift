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
        // Parts read in transactions of their own: while agenttail writes, a row committed meanwhile may count in
        // one part and not yet in another.
        let store = try DatabasePool(path: path, configuration: configuration)
        let sessions = try await store.read { db in try Self.problemSessions(query, db) }
        let shares = max(1, min(ProcessInfo.processInfo.activeProcessorCount, sessions.ids.count / 200))
        async let figures = store.read { db in try Self.figures(query, db) }
        async let anomalies = store.read { db in try Self.anomalies(query, db) }
        async let days = store.read { db in try Self.days(query, db) }
        let problems = try await withThrowingTaskGroup(of: (Int, [Report.Problem]).self) { group in
            for share in 0..<shares {
                let ids = sessions.ids.indices.filter { $0 % shares == share }.map { sessions.ids[$0] }
                group.addTask {
                    (share, try await store.read { db in try Self.problems(of: ids, norms: sessions.norms, db) })
                }
            }
            var found = Array(repeating: [Report.Problem](), count: shares)
            for try await (share, problems) in group { found[share] = problems }
            // Back in the sessions' order: the shares took every n-th session.
            let order = Dictionary(uniqueKeysWithValues: sessions.ids.enumerated().map { ($1, $0) })
            return found.flatMap { $0 }.sorted { order[$0.sessionId]! < order[$1.sessionId]! }
        }
        var report = try await figures
        let (found, anomalyNotes) = try await anomalies
        report.anomalies = found
        report.problems = problems
        report.notes = anomalyNotes
        let patterns = Set(report.errors.map { "\($0.source) \($0.fingerprint)" })
        report.days = try await days.map { day in
            var day = day
            day.errorsByPattern = day.errorsByPattern.filter { patterns.contains($0.key) }
            return day
        }
        if problems.count > ReportRenderer.problemLimit {
            report.notes.append(
                "\(problems.count) problems were found; the first \(ReportRenderer.problemLimit) are listed here, "
                    + "--format json lists them all.")
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

    /// The figures of the period: sessions, calls, models, tools, errors, top sessions and groups.
    static func figures(_ query: ReportQuery, _ db: Database) throws -> Report {
        let window = Window(query.period)
        return Report(
            source: "local",
            period: query.period,
            sessions: try sessions(window, db),
            llmCalls: try llmCalls(window, db),
            models: try models(window, db),
            tools: try tools(window, db),
            errors: try errors(window, limit: query.errorLimit, textLimit: query.textLimit, db),
            slowestSessions: try topSessions(
                window, order: "duration_ms", limit: query.sessionLimit, textLimit: query.textLimit, db),
            costliestSessions: try topSessions(
                window, order: "cost_usd", limit: query.sessionLimit, textLimit: query.textLimit, db),
            groups: try query.by.map { try groups(window, by: $0, db) })
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
                ORDER BY duration_ms
                """,
            arguments: window.arguments)
        sessions.p50DurationMs = Percentile.continuous(durations, 0.5)
        sessions.p95DurationMs = Percentile.continuous(durations, 0.95)
        return sessions
    }

    private static func llmCalls(_ window: Window, _ db: Database) throws -> Report.LLMCalls {
        var calls = Report.LLMCalls()
        if let row = try Row.fetchOne(
            db,
            sql: """
                SELECT count(*) AS n,
                       count(*) FILTER (WHERE status IN ('error', 'no_response')) AS failed,
                       coalesce(sum(prompt_tokens), 0) AS prompt, coalesce(sum(completion_tokens), 0) AS completion,
                       coalesce(sum(cache_read_tokens), 0) AS cache_read,
                       coalesce(sum(cache_creation_tokens), 0) AS cache_creation,
                       sum(cost_usd) AS cost,
                       count(*) FILTER (WHERE cost_usd IS NULL AND model IS NOT NULL
                           AND (prompt_tokens IS NOT NULL OR completion_tokens IS NOT NULL)) AS unpriced
                FROM llm_calls WHERE started_at >= ? AND started_at < ?
                """,
            arguments: window.arguments)
        {
            calls.total = row["n"]
            calls.failed = row["failed"]
            calls.promptTokens = row["prompt"]
            calls.completionTokens = row["completion"]
            calls.cacheReadTokens = row["cache_read"]
            calls.cacheCreationTokens = row["cache_creation"]
            calls.costUsd = (row["cost"] as Double?).map(ReportRounding.dollars)
            calls.unpricedCalls = row["unpriced"]
        }
        let latencies = try Int.fetchAll(
            db,
            sql: """
                SELECT latency_ms FROM llm_calls
                WHERE started_at >= ? AND started_at < ? AND latency_ms IS NOT NULL ORDER BY latency_ms
                """,
            arguments: window.arguments)
        calls.p50Ms = Percentile.continuous(latencies, 0.5)
        calls.p95Ms = Percentile.continuous(latencies, 0.95)
        return calls
    }

    private static func models(_ window: Window, _ db: Database) throws -> [Report.ModelUsage] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT coalesce(model, '(no model)') AS model, count(*) AS calls,
                       coalesce(sum(prompt_tokens), 0) AS prompt, coalesce(sum(completion_tokens), 0) AS completion,
                       coalesce(sum(cache_read_tokens), 0) AS cache_read,
                       coalesce(sum(cache_creation_tokens), 0) AS cache_creation, sum(cost_usd) AS cost
                FROM llm_calls WHERE started_at >= ? AND started_at < ?
                GROUP BY 1 ORDER BY coalesce(sum(cost_usd), -1) DESC, count(*) DESC, 1
                """,
            arguments: window.arguments
        ).map { row in
            Report.ModelUsage(
                model: row["model"], calls: row["calls"], promptTokens: row["prompt"],
                completionTokens: row["completion"], cacheReadTokens: row["cache_read"],
                cacheCreationTokens: row["cache_creation"],
                costUsd: (row["cost"] as Double?).map(ReportRounding.dollars))
        }
    }

    private static func tools(_ window: Window, _ db: Database) throws -> [Report.ToolUsage] {
        var tools: [Report.ToolUsage] = []
        var durations: [Int] = []
        func close() {
            guard var tool = tools.popLast() else { return }
            tool.failureRate = ReportRounding.rate(Double(tool.failures) / Double(tool.calls))
            tool.p50Ms = Percentile.continuous(durations, 0.5)
            tool.p95Ms = Percentile.continuous(durations, 0.95)
            tools.append(tool)
            durations.removeAll(keepingCapacity: true)
        }
        // One pass over the period's runs, sorted by tool and duration; no durations come before the known ones.
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT tool_name, category, success, duration_ms FROM tool_executions
                WHERE started_at >= ? AND started_at < ?
                ORDER BY tool_name, category, duration_ms IS NULL, duration_ms
                """,
            arguments: window.arguments)
        while let row = try cursor.next() {
            let name: String = row["tool_name"]
            let category: String? = row["category"]
            if tools.last?.name != name || tools.last?.category != category {
                close()
                tools.append(
                    Report.ToolUsage(name: name, category: category, calls: 0, failures: 0, failureRate: 0))
            }
            tools[tools.count - 1].calls += 1
            if (row["success"] as Bool?) == false { tools[tools.count - 1].failures += 1 }
            if let duration = row["duration_ms"] as Int? { durations.append(duration) }
        }
        close()
        return tools.sorted { ($0.calls, $1.name, $1.category ?? "") > ($1.calls, $0.name, $0.category ?? "") }
    }

    private static func errors(_ window: Window, limit: Int, textLimit: Int, _ db: Database) throws
        -> [Report.ErrorPattern]
    {
        try Row.fetchAll(
            db,
            sql: """
                SELECT source, fingerprint, count(*) AS n, count(DISTINCT session_id) AS sessions,
                       min(occurred_at) AS first_seen, max(occurred_at) AS last_seen,
                       (SELECT message FROM agent_errors AS latest
                        WHERE latest.source = e.source AND latest.fingerprint = e.fingerprint
                          AND latest.occurred_at >= ?1 AND latest.occurred_at < ?2
                        ORDER BY latest.occurred_at DESC, latest.id LIMIT 1) AS example
                FROM agent_errors AS e WHERE occurred_at >= ?1 AND occurred_at < ?2
                GROUP BY source, fingerprint ORDER BY n DESC, source, fingerprint LIMIT ?3
                """,
            arguments: [window.from, window.to, limit]
        ).map { row in
            Report.ErrorPattern(
                source: row["source"], fingerprint: row["fingerprint"] ?? "", count: row["n"],
                sessions: row["sessions"], example: ReportText.cut(row["example"] ?? "", to: textLimit),
                firstSeen: (row["first_seen"] as String?).flatMap(Report.timestamps.parse),
                lastSeen: (row["last_seen"] as String?).flatMap(Report.timestamps.parse))
        }
    }

    private static func topSessions(_ window: Window, order: String, limit: Int, textLimit: Int, _ db: Database)
        throws -> [Report.SessionSummary]
    {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, agent, status, started_at, duration_ms, cost_usd, llm_calls, tool_calls, task
                FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? AND \(order) > 0
                ORDER BY \(order) DESC, id LIMIT ?
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
