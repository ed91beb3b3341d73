import AgentTailCore
import Foundation
import GRDB

extension RecordReader {
    /// Which errors a search looks at.
    package struct ErrorFilter: Sendable, Equatable {
        package var period: Report.Period?
        /// Part of the message, in any case.
        package var text: String?
        /// The pattern's fingerprint, or its beginning.
        package var fingerprint: String?
        /// `llm`, `tool` or `agent`.
        package var source: String?
        package var tool: String?

        package init() {}

        var conditions: (sql: String, arguments: StatementArguments) {
            var sql: [String] = []
            var arguments = StatementArguments()
            if let period {
                sql.append("occurred_at >= ? AND occurred_at < ?")
                arguments += [period.from.rfc3339, period.to.rfc3339]
            }
            if let text {
                sql.append("instr(lower(message), lower(?)) > 0")
                arguments += [text]
            }
            if let fingerprint {
                sql.append("substr(fingerprint, 1, ?) = ?")
                arguments += [fingerprint.count, fingerprint]
            }
            if let source {
                sql.append("source = ?")
                arguments += [source]
            }
            if let tool {
                sql.append("tool_name = ?")
                arguments += [tool]
            }
            return (sql.isEmpty ? "1" : sql.joined(separator: " AND "), arguments)
        }
    }

    /// The error patterns that match `filter`, most frequent first: a page of at most `limit` from `cursor`, each
    /// with its latest `examples` matching occurrences.
    package func errorGroups(
        _ filter: ErrorFilter, limit: Int, examples: Int, cursor: PageCursor?, textCut: TextCut
    ) async throws -> Records.ErrorSearch {
        try await read { db in
            let (condition, arguments) = filter.conditions
            let total = try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM (SELECT 1 FROM agent_errors WHERE \(condition) GROUP BY source, fingerprint)",
                arguments: arguments) ?? 0
            let offset = cursor?.offset ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT source, fingerprint, count(*) AS n, count(DISTINCT session_id) AS sessions,
                           min(occurred_at) AS first, max(occurred_at) AS last,
                           group_concat(DISTINCT tool_name) AS tools
                    FROM agent_errors WHERE \(condition)
                    GROUP BY source, fingerprint ORDER BY n DESC, last DESC, source, fingerprint LIMIT ? OFFSET ?
                    """,
                arguments: arguments + [limit, offset])
            let groups = try rows.map { row in
                let source: String? = row["source"]
                let fingerprint: String? = row["fingerprint"]
                return Records.ErrorGroup(
                    source: source ?? "", fingerprint: fingerprint ?? "", count: row["n"], sessions: row["sessions"],
                    tools: (row["tools"] as String?).map { $0.split(separator: ",").map(String.init).sorted() } ?? [],
                    firstSeen: Self.date(row["first"]), lastSeen: Self.date(row["last"]),
                    examples: try Self.errors(
                        where: "\(condition) AND source IS ? AND fingerprint IS ?", arguments + [source, fingerprint],
                        order: "occurred_at DESC, id DESC", limit: examples, textCut: textCut, db))
            }
            return Records.ErrorSearch(
                period: filter.period, total: total, groups: groups,
                nextCursor: offset + limit < total ? PageCursor.offset(offset + limit).token : nil)
        }
    }
}
