import Foundation
import GRDB

/// A short summary of the embedded store: sessions with their outcome, LLM calls, tool runs and errors.
package struct LocalStoreReport: Sendable {
    package var text: String

    package static func make(path: String) async throws -> LocalStoreReport {
        let queue = try DatabaseQueue(path: path)
        return try await queue.read { db in
            var lines: [String] = []
            let counts = try NormalizedTable.allCases.map { table in
                "\(try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.rawValue)") ?? 0) \(table.rawValue)"
            }
            lines.append("store \(path): " + counts.joined(separator: ", "))
            let sessions = try Row.fetchAll(
                db,
                sql: """
                    SELECT status, llm_calls, tool_calls, tool_errors, duration_ms, source_path, task
                    FROM agent_sessions ORDER BY started_at, source_path
                    """)
            for session in sessions {
                let task: String = (session["task"] as String?) ?? ""
                let shortTask = task.count > 60 ? String(task.prefix(57)) + "..." : task
                let file = URL(fileURLWithPath: session["source_path"] as String).lastPathComponent
                let duration = (session["duration_ms"] as Int?).map { "\($0) ms" } ?? "-"
                lines.append(
                    "  \((session["status"] as String).padding(toLength: 9, withPad: " ", startingAt: 0)) "
                        + "\(session["llm_calls"] as Int) LLM calls, \(session["tool_calls"] as Int) tools "
                        + "(\(session["tool_errors"] as Int) failed), \(duration)  \(file)  \"\(shortTask)\"")
            }
            let errors = try Row.fetchAll(
                db, sql: "SELECT source, count(*) AS n, min(message) AS example FROM agent_errors GROUP BY source, fingerprint")
            for error in errors {
                lines.append("  error (\(error["source"] as String)) x\(error["n"] as Int): \(error["example"] as String)")
            }
            return LocalStoreReport(text: lines.joined(separator: "\n"))
        }
    }
}
