import Foundation

/// The normalized tables, named as in the local store and in Supabase.
package enum NormalizedTable: String, Sendable, CaseIterable, Codable {
    case agentSessions = "agent_sessions"
    case llmCalls = "llm_calls"
    case toolExecutions = "tool_executions"
    case agentErrors = "agent_errors"

    /// Column names in storage order; `id` first.
    package var columns: [String] { schema.map(\.name) }

    /// Columns with their types, in storage order.
    package var schema: [(name: String, type: ColumnType)] {
        switch self {
        case .agentSessions:
            return [
                ("id", .uuid), ("agent", .text), ("host", .text), ("source_path", .text), ("started_at", .timestamp),
                ("ended_at", .timestamp), ("status", .text), ("task", .text), ("final_output", .text),
                ("llm_calls", .int), ("tool_calls", .int), ("tool_errors", .int), ("duration_ms", .int),
                ("metadata", .json), ("revision", .int), ("workspace", .text), ("git_branch", .text),
                ("agent_version", .text), ("prompt_tokens", .int), ("completion_tokens", .int),
                ("cache_read_tokens", .int), ("cache_creation_tokens", .int), ("cost_usd", .usd),
                ("peak_rss_bytes", .int), ("cpu_ms", .int),
            ]
        case .llmCalls:
            return [
                ("id", .uuid), ("session_id", .uuid), ("seq", .int), ("started_at", .timestamp),
                ("ended_at", .timestamp), ("latency_ms", .int), ("model", .text), ("input", .json), ("output", .text),
                ("thinking", .text), ("tool_call_count", .int), ("finish_reason", .text), ("status", .text),
                ("prompt_tokens", .int), ("completion_tokens", .int), ("metadata", .json),
                ("cache_read_tokens", .int), ("cache_creation_tokens", .int), ("cost_usd", .usd),
            ]
        case .toolExecutions:
            return [
                ("id", .uuid), ("session_id", .uuid), ("llm_call_id", .uuid), ("tool_call_id", .text),
                ("tool_name", .text), ("category", .text), ("arguments", .json), ("success", .bool), ("result", .text),
                ("error", .text), ("started_at", .timestamp), ("ended_at", .timestamp), ("duration_ms", .int),
                ("metadata", .json), ("peak_rss_bytes", .int), ("cpu_ms", .int), ("max_processes", .int),
                ("io_read_bytes", .int), ("io_write_bytes", .int),
            ]
        case .agentErrors:
            return [
                ("id", .uuid), ("session_id", .uuid), ("source", .text), ("tool_name", .text), ("message", .text),
                ("fingerprint", .text), ("occurred_at", .timestamp), ("related_id", .uuid), ("metadata", .json),
            ]
        }
    }

    /// Order in which rows reach sinks within a batch, so that references point at rows already written.
    package var deliveryRank: Int {
        switch self {
        case .agentSessions: return 0
        case .llmCalls: return 1
        case .toolExecutions: return 2
        case .agentErrors: return 3
        }
    }
}

/// The storage type of a column.
package enum ColumnType: Sendable {
    case uuid, text, int, bool, timestamp, json, usd
}

/// One row of a normalized table, ready for any sink.
package struct NormalizedRow: Sendable, Equatable {
    package var table: NormalizedTable
    package var id: UUID
    /// Values in `table.columns` order, `id` included.
    package var values: [ColumnValue]
    /// What the row's session says about the run, for sinks that repeat it on every event (trace attributes);
    /// not a column.
    package var trace: TraceContext?

    package init(table: NormalizedTable, id: UUID, values: [String: ColumnValue], trace: TraceContext? = nil) {
        self.table = table
        self.id = id
        self.values = table.columns.map { $0 == "id" ? .uuid(id) : values[$0] ?? .null }
        self.trace = trace
    }

    /// About the bytes the row's values take, to size commits.
    package var approximateBytes: Int {
        values.reduce(0) { total, value in
            switch value {
            case .text(let text), .json(let text): return total + text.utf8.count
            case .null, .int, .bool, .timestamp, .uuid, .usd: return total + 16
            }
        }
    }

    package subscript(column: String) -> ColumnValue {
        guard let index = table.columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    /// Sets a column of the row's table; a column the table does not have is ignored.
    package mutating func set(_ column: String, _ value: ColumnValue) {
        guard let index = table.columns.firstIndex(of: column) else { return }
        values[index] = value
    }
}

extension Array where Element == NormalizedRow {
    /// Keeps only the last version of each row (sessions are re-emitted as they progress, a call as more of its
    /// message is read), at the place of its first version; in delivery order, sessions come first so that later
    /// rows refer to existing ones, then calls, tool executions and errors.
    package func latestVersions(deliveryOrder: Bool = true) -> [NormalizedRow] {
        var latest: [UUID: Int] = [:]
        for (index, row) in enumerated() { latest[row.id] = index }
        var placed = Set<UUID>()
        return enumerated().compactMap { index, row -> (rank: Int, index: Int, row: NormalizedRow)? in
            guard placed.insert(row.id).inserted, let last = latest[row.id] else { return nil }
            return (deliveryOrder ? row.table.deliveryRank : 0, index, self[last])
        }
        .sorted { ($0.rank, $0.index) < ($1.rank, $1.index) }
        .map(\.row)
    }
}
