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
        try await fetch(.agentSessions, filters: timeFilters("started_at", window), into: scratch) { row in
            if let started = row["started_at"] as? String, started >= query.period.from.rfc3339,
                started < query.period.to.rfc3339, let id = row["id"] as? String
            {
                periodSessions.append(id)
            }
        }
        try await fetch(.llmCalls, filters: timeFilters("started_at", window), into: scratch)
        try await fetch(.toolExecutions, filters: timeFilters("started_at", window), into: scratch)
        try await fetch(.agentErrors, filters: timeFilters("occurred_at", window), into: scratch)
        // A session that started in the period may go on after it: its problems need all its rows.
        for start in stride(from: 0, to: periodSessions.count, by: 100) {
            let ids = periodSessions[start..<min(start + 100, periodSessions.count)].joined(separator: ",")
            for table in [NormalizedTable.llmCalls, .toolExecutions, .agentErrors] {
                try await fetch(table, filters: [("session_id", "in.(\(ids))")], into: scratch)
            }
        }
    }

    private func timeFilters(_ column: String, _ window: [String]) -> [(String, String)] {
        [(column, "gte.\(window[0])"), (column, "lt.\(window[1])")]
    }

    /// Reads every row of `table` that `filters` select, page by page in id order, into the scratch store
    /// (a row read twice is kept once).
    private func fetch(
        _ table: NormalizedTable, filters: [(String, String)], into scratch: DatabaseQueue,
        each: (([String: Any]) -> Void)? = nil
    ) async throws {
        let columns = Self.columns[table]!
        let types = Dictionary(uniqueKeysWithValues: table.schema.map { ($0.name, $0.type) })
        let insert =
            "INSERT OR IGNORE INTO \(table.rawValue) (\(columns.joined(separator: ", "))) VALUES "
            + "(\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
        var after: String?
        while true {
            var parameters = [("select", columns.joined(separator: ",")), ("order", "id.asc"), ("limit", "\(pageSize)")]
            parameters += filters
            if let after { parameters.append(("id", "gt.\(after)")) }
            let rows = try await get(table, parameters)
            let values: [[DatabaseValue]] = rows.map { row in
                columns.map { Self.storeValue(row[$0], types[$0]!)?.databaseValue ?? .null }
            }
            try await scratch.write { db in
                let statement = try db.cachedStatement(sql: insert)
                for row in values { try statement.execute(arguments: StatementArguments(row)) }
            }
            if let each { rows.forEach(each) }
            // The project may answer fewer rows than asked (its max rows): only an empty page is the end.
            guard let last = rows.last?["id"] as? String else { return }
            after = last
        }
    }

    /// A value of the Data API's JSON as the local store keeps it.
    static func storeValue(_ value: Any?, _ type: ColumnType) -> (any DatabaseValueConvertible)? {
        guard let value, !(value is NSNull) else { return nil }
        switch type {
        case .text, .uuid:
            return value as? String
        case .int:
            return (value as? NSNumber)?.int64Value
        case .bool:
            return (value as? Bool).map { $0 ? 1 : 0 }
        case .usd:
            if let number = value as? NSNumber { return number.doubleValue }
            return (value as? String).flatMap(Double.init)
        case .timestamp:
            return (value as? String).flatMap { Report.timestamps.parse($0) }?.rfc3339
        case .json:
            guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber,
                let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
            else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }

    private func get(_ table: NormalizedTable, _ parameters: [(String, String)]) async throws(Problem)
        -> [[String: Any]]
    {
        var components = URLComponents(string: "\(config.url)/rest/v1/\(table.rawValue)")!
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        // `+` in a time zone offset would read as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "apikey", value: config.apiKey.value)
        // A user's token is the bearer; else a JWT key is its own, and an opaque key (sb_...) goes in `apikey` alone,
        // as Supabase's client libraries send them.
        if let token = config.accessToken {
            request.headers.add(name: "Authorization", value: "Bearer \(token.value)")
        } else if !config.apiKey.value.hasPrefix("sb_") {
            request.headers.add(name: "Authorization", value: "Bearer \(config.apiKey.value)")
        }
        let status: UInt
        let body: ByteBuffer
        do {
            let seconds = max(1, config.timeout.components.seconds)
            let response = try await HTTPClients.client(for: config.tls).execute(request, timeout: .seconds(seconds))
            status = response.status.code
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw Problem(description: "Supabase could not be read at \(config.url): \(HTTPExchange.describe(error))")
        }
        let text = String(buffer: body)
        switch status {
        case 200, 206:
            guard let rows = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] else {
                throw Problem(description: "Supabase answered \(table.rawValue) with something that is not rows")
            }
            return rows
        case 401, 403:
            throw Problem(
                description: "Supabase refused to let these credentials read \(table.rawValue) (HTTP \(status) "
                    + "\(ReportText.cut(ReportText.terminal(text), to: 200))); give report.supabase.api_key the "
                    + "project's publishable key and access_token a user's token (role authenticated), or give "
                    + "api_key the project's secret key")
        case 404:
            throw Problem(description: "table \(table.rawValue) not found at \(config.url): apply Schema/ first")
        default:
            throw Problem(
                description: "Supabase answered HTTP \(status) for \(table.rawValue): "
                    + ReportText.cut(ReportText.terminal(text), to: 300))
        }
    }
}
