import AgentTailCore
import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1

/// Makes a report from a Supabase project: the rows the report needs are read through the Data API (with the
/// caller's key, so row-level security decides what they see), into a private scratch store with the local
/// schema, and the same engine as for the local store computes the report. The figures are therefore those a local
/// report gives on the same rows, and a team with several hosts gets one report across all of them.
///
/// Supabase's views cannot serve this: they are per day or per tool over all time, and percentiles of a period, the
/// anomalies' baselines and the problems inside sessions need the rows themselves.
package struct SupabaseReportReader: Sendable {
    /// Why the rows could not be read.
    package struct Problem: Error, CustomStringConvertible {
        package var description: String
    }

    package let config: SupabaseReadConfig
    /// Rows asked per request; Supabase answers at most its max rows (1,000 by default).
    package var pageSize = 1000

    package init(config: SupabaseReadConfig) {
        self.config = config
    }

    private var rows: SupabaseRows { SupabaseRows(config: config, pageSize: pageSize) }

    /// The columns each table's report reads.
    static let columns: [NormalizedTable: [String]] = [
        .agentSessions: [
            "id", "agent", "host", "status", "started_at", "duration_ms", "cost_usd", "workspace", "git_branch",
            "task", "final_output", "llm_calls", "tool_calls",
        ],
        .llmCalls: [
            "id", "session_id", "seq", "started_at", "latency_ms", "model", "status", "prompt_tokens",
            "completion_tokens", "cache_read_tokens", "cache_creation_tokens", "cost_usd",
        ],
        .toolExecutions: [
            "id", "session_id", "tool_name", "category", "arguments", "success", "started_at", "duration_ms",
            "peak_rss_bytes", "cpu_ms",
        ],
        .agentErrors: ["id", "session_id", "source", "fingerprint", "message", "occurred_at", "related_id"],
    ]

    package func report(_ query: ReportQuery) async throws -> Report {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agenttail-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("supabase.sqlite").path
        _ = try LocalStore(path: path)
        let scratch = try DatabaseQueue(path: path)
        try await copyRows(for: query, into: scratch)
        var report = try await LocalReportReader(path: path).report(query)
        report.source = "supabase"
        return report
    }

    /// Everything the local engine reads for `query`: the rows of the period, of its baseline and of the two weeks
    /// a drift compares, and every call, tool run and error of the period's sessions.
    private func copyRows(for query: ReportQuery, into scratch: DatabaseQueue) async throws {
        let twoWeeks = 14 * 86_400.0
        let from = min(
            query.period.from.addingTimeInterval(-query.baselineSeconds), query.period.to.addingTimeInterval(-twoWeeks))
        let window = [from.rfc3339, query.period.to.rfc3339]
        var periodSessions: [String] = []
        try await rows.copy(.agentSessions, Self.columns[.agentSessions]!, filters: timeFilters("started_at", window), into: scratch) { row in
            if let started = row["started_at"] as? String, started >= query.period.from.rfc3339,
                started < query.period.to.rfc3339, let id = row["id"] as? String
            {
                periodSessions.append(id)
            }
        }
        try await rows.copy(.llmCalls, Self.columns[.llmCalls]!, filters: timeFilters("started_at", window), into: scratch)
        try await rows.copy(
            .toolExecutions, Self.columns[.toolExecutions]!, filters: timeFilters("started_at", window), into: scratch)
        try await rows.copy(
            .agentErrors, Self.columns[.agentErrors]!, filters: timeFilters("occurred_at", window), into: scratch)
        // A session that started in the period may go on after it: its problems need all its rows.
        for start in stride(from: 0, to: periodSessions.count, by: 100) {
            let ids = periodSessions[start..<min(start + 100, periodSessions.count)].joined(separator: ",")
            for table in [NormalizedTable.llmCalls, .toolExecutions, .agentErrors] {
                try await rows.copy(table, Self.columns[table]!, filters: [("session_id", "in.(\(ids))")], into: scratch)
            }
        }
    }

    private func timeFilters(_ column: String, _ window: [String]) -> [(String, String)] {
        [(column, "gte.\(window[0])"), (column, "lt.\(window[1])")]
    }
}
