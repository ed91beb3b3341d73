import Foundation
import GRDB

/// A short summary of the embedded store: sessions with their outcome, LLM calls, tool runs and errors, and tokens
/// and cost per model.
package struct LocalStoreReport: Sendable {
    package var text: String

    /// A model whose calls reported tokens but could not be priced.
    package struct UnpricedModel: Sendable, Equatable {
        package var model: String
        package var calls: Int
    }

    /// The most sessions listed one by one.
    static let sessionLimit = 20

    /// - Parameter width: the columns an error line may take (the terminal's).
    package static func make(path: String, width: Int = 100) async throws -> LocalStoreReport {
        let queue = try DatabaseQueue(path: path)
        return try await queue.read { db in
            var lines: [String] = []
            let counts = try NormalizedTable.allCases.map { table in
                (table, try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.rawValue)") ?? 0)
            }
            lines.append("store \(path): " + counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", "))
            // The latest sessions, oldest first: a store of months would otherwise fill the terminal.
            let total = counts.first { $0.0 == .agentSessions }!.1
            let sessions = try Row.fetchAll(
                db,
                sql: """
                    SELECT status, llm_calls, tool_calls, tool_errors, duration_ms, source_path, task, cost_usd
                    FROM agent_sessions ORDER BY started_at DESC, source_path DESC LIMIT ?
                    """,
                arguments: [Self.sessionLimit]
            ).reversed()
            if total > sessions.count {
                lines.append(
                    "  the last \(sessions.count) of \(total) sessions (`agenttail report` sums them all by day, "
                        + "model, tool and error):")
            }
            for session in sessions {
                let task: String = (session["task"] as String?) ?? ""
                let shortTask = task.count > 60 ? String(task.prefix(57)) + "..." : task
                let file = URL(fileURLWithPath: session["source_path"] as String).lastPathComponent
                let duration = (session["duration_ms"] as Int?).map { "\($0) ms" } ?? "-"
                let cost = (session["cost_usd"] as Double?).map { ", " + USDAmount(dollars: $0).formatted } ?? ""
                lines.append(
                    "  \((session["status"] as String).padding(toLength: 11, withPad: " ", startingAt: 0)) "
                        + "\(session["llm_calls"] as Int) LLM calls, \(session["tool_calls"] as Int) tools "
                        + "(\(session["tool_errors"] as Int) failed), \(duration)\(cost)  \(file)  \"\(shortTask)\"")
            }
            lines += try modelLines(db)
            let errors = try Row.fetchAll(
                db,
                sql: """
                    SELECT source, count(*) AS n, min(substr(message, 1, 2000)) AS example FROM agent_errors
                    GROUP BY source, fingerprint
                    ORDER BY n DESC, source, fingerprint
                    """)
            for error in errors {
                // One line each, whatever the message holds (a traceback, escape sequences), cut to the width.
                let head = "  error (\(error["source"] as String)) x\(error["n"] as Int): "
                let message = (error["example"] as String?) ?? ""
                // Messages can be megabytes (a failed tool's output): only their start is read (grouping whole
                // messages would sort megabytes), and only its first non-empty line is shown.
                let text = message.drop(while: \.isNewline)
                let firstLine = String(text.prefix(max(width, 80) * 4).prefix(while: { !$0.isNewline }))
                lines.append(head + ReportText.cut(ReportText.terminal(firstLine), to: max(20, width - head.count)))
            }
            return LocalStoreReport(text: lines.joined(separator: "\n"))
        }
    }

    /// Tokens and cost per model, for the models whose calls reported tokens; then the models with no price.
    private static func modelLines(_ db: Database) throws -> [String] {
        let models = try Row.fetchAll(
            db,
            sql: """
                SELECT coalesce(model, '(no model)') AS model, count(*) AS calls,
                       sum(prompt_tokens) AS prompt, sum(cache_read_tokens) AS cache_read,
                       sum(cache_creation_tokens) AS cache_creation, sum(completion_tokens) AS completion,
                       sum(cost_usd) AS cost
                FROM llm_calls GROUP BY 1
                HAVING sum(prompt_tokens) IS NOT NULL OR sum(completion_tokens) IS NOT NULL
                ORDER BY sum(cost_usd) DESC, 1
                """)
        guard !models.isEmpty else { return [] }
        func count(_ value: Int?) -> String { value.map { $0.formatted(.number.grouping(.automatic)) } ?? "-" }
        var lines = ["  tokens and cost by model (prompt includes cache reads and writes):"]
        for row in models {
            var prompt = count(row["prompt"])
            let parts = [(row["cache_read"] as Int?).map { "\(count($0)) cache read" },
                (row["cache_creation"] as Int?).map { "\(count($0)) cache write" }].compactMap { $0 }
            if !parts.isEmpty { prompt += " (" + parts.joined(separator: ", ") + ")" }
            let cost = (row["cost"] as Double?).map { USDAmount(dollars: $0).formatted } ?? "no price"
            lines.append(
                "    \(row["model"] as String): \(row["calls"] as Int) calls, prompt \(prompt), "
                    + "output \(count(row["completion"])), \(cost)")
        }
        for unpriced in try unpricedModels(db) {
            lines.append(
                "  no price known for model '\(unpriced.model)' (\(unpriced.calls) calls): its cost is left empty; "
                    + "give its price under `pricing:` in the configuration")
        }
        return lines
    }

    /// Models whose calls in the store at `path` have tokens but no cost.
    /// The models seen in the store at `path` whose calls could not be priced; the store is read as it is, without
    /// writing anything, not even SQLite's side files.
    package static func unpricedModels(path: String) async throws -> [UnpricedModel] {
        var configuration = Configuration()
        configuration.readonly = true
        return try await DatabaseQueue(path: "file:\(path)?immutable=1", configuration: configuration).read { db in
            try unpricedModels(db)
        }
    }

    private static func unpricedModels(_ db: Database) throws -> [UnpricedModel] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT model, count(*) AS calls FROM llm_calls
                WHERE model IS NOT NULL AND cost_usd IS NULL
                  AND (prompt_tokens IS NOT NULL OR completion_tokens IS NOT NULL)
                GROUP BY model ORDER BY model
                """
        ).map { UnpricedModel(model: $0["model"], calls: $0["calls"]) }
    }
}
