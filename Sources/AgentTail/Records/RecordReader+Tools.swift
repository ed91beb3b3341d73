import AgentTailCore
import Foundation
import GRDB

extension RecordReader {
    /// Tool `name`'s figures over `period`, with its latest `failures` failed runs.
    package func toolStats(_ name: String, period: Report.Period, failures: Int, textCut: TextCut) async throws
        -> Records.ToolStats
    {
        try await read { db in
            let window: StatementArguments = [period.from.rfc3339, period.to.rfc3339]
            let inPeriod = "tool_name = ? AND started_at >= ? AND started_at < ?"
            let arguments: StatementArguments = [name] + window
            var calls = 0
            var failed = 0
            var durations: [Int] = []
            var memory: [Int] = []
            var cpu: [Int] = []
            var sessions = Set<String>()
            var categories = Set<String>()
            // One pass over the report's covering index, which holds every column read here.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT success, duration_ms, peak_rss_bytes, cpu_ms, session_id, category FROM tool_executions
                    INDEXED BY tool_executions_report WHERE \(inPeriod)
                    """,
                arguments: arguments)
            while let row = try rows.next() {
                calls += 1
                if row[0] as Bool? == false { failed += 1 }
                if let duration = row[1] as Int? { durations.append(duration) }
                if let rss = row[2] as Int? { memory.append(rss) }
                if let time = row[3] as Int? { cpu.append(time) }
                if let session = row[4] as String? { sessions.insert(session) }
                if let category = row[5] as String? { categories.insert(category) }
            }
            let recent = try Self.toolRuns(
                where: "\(inPeriod) AND success = 0", arguments, order: "started_at DESC, id DESC", limit: failures,
                textCut: textCut, db)
            let others =
                calls > 0
                ? nil
                : try String.fetchAll(
                    db,
                    sql: """
                        SELECT tool_name FROM tool_executions WHERE started_at >= ? AND started_at < ?
                        AND tool_name IS NOT NULL GROUP BY tool_name ORDER BY count(*) DESC, tool_name LIMIT 20
                        """,
                    arguments: window)
            return Records.ToolStats(
                tool: name, period: period, categories: categories.sorted(), calls: calls, failures: failed,
                failureRate: calls > 0 ? ReportRounding.rate(Double(failed) / Double(calls)) : nil,
                sessions: sessions.count,
                p50Ms: Percentile.continuous(durations, 0.5), p95Ms: Percentile.continuous(durations, 0.95),
                maxMs: durations.max(), measuredRuns: memory.count, p95PeakRssBytes: Percentile.continuous(memory, 0.95),
                maxPeakRssBytes: memory.max(), p50CpuMs: Percentile.continuous(cpu, 0.5),
                recentFailures: recent.map { Records.ToolFailure(sessionId: $0.sessionID, run: $0.run) },
                otherTools: others)
        }
    }
}
