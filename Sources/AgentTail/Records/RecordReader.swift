import AgentTailCore
import Foundation
import GRDB

/// Answers questions about past runs from the embedded store: lists of sessions, one session, error patterns and
/// one tool's figures.
///
/// Each question opens the store read-only (SQLite refuses every write on such a connection) and reads in one
/// transaction, so that an answer is consistent while `agenttail run` keeps writing. The texts it returns were
/// masked before they were stored.
package struct RecordReader: Sendable {
    package let path: String

    package init(path: String) {
        self.path = path
    }

    /// Why a question got no answer.
    package enum Problem: Error, CustomStringConvertible, Equatable {
        case noStore(path: String)
        case unreadable(path: String, reason: String)
        case noSession(id: String)
        case ambiguousSession(prefix: String, candidates: [String])

        package var description: String {
            switch self {
            case .noStore(let path):
                "there is no local store at \(path) yet; `agenttail run --config FILE` creates it as it reads the logs"
            case .unreadable(let path, let reason): "cannot read the store at \(path): \(reason)"
            case .noSession(let id): "no session has the id \(id); list_sessions gives the ids there are"
            case .ambiguousSession(let prefix, let candidates):
                "'\(prefix)' begins the ids of several sessions (\(candidates.joined(separator: ", "))); give more of it"
            }
        }
    }

    /// Runs `read` in one read-only transaction of the store.
    func read<T: Sendable>(_ read: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw Problem.noStore(path: path) }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "agenttail.records"
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Problem.unreadable(path: path, reason: StateStore.message(error))
        }
        do {
            return try await queue.read(read)
        } catch let error as Problem {
            throw error
        } catch {
            throw Problem.unreadable(path: path, reason: StateStore.message(error))
        }
    }

    // MARK: Sessions

    /// Which sessions a list holds.
    package struct SessionFilter: Sendable, Equatable {
        package var period: Report.Period?
        package var status: String?
        package var agent: String?
        /// Part of the workspace's path.
        package var workspace: String?
        package var branch: String?
        package var host: String?
        /// Part of the task, in any case.
        package var text: String?

        package init() {}

        /// The statuses a session can have.
        package static let statuses = ["running", "completed", "failed", "abandoned", "interrupted"]

        /// The conditions, joined by AND, and their arguments.
        var conditions: (sql: [String], arguments: StatementArguments) {
            var sql: [String] = []
            var arguments = StatementArguments()
            if let period {
                sql.append("started_at >= ? AND started_at < ?")
                arguments += [period.from.rfc3339, period.to.rfc3339]
            }
            if let status {
                // A session the store has not yet seen end has no status written: it is running.
                sql.append(status == "running" ? "coalesce(status, 'running') = ?" : "status = ?")
                arguments += [status]
            }
            for (column, value) in [("agent", agent), ("git_branch", branch), ("host", host)] {
                guard let value else { continue }
                sql.append("\(column) = ?")
                arguments += [value]
            }
            for (column, value) in [("workspace", workspace), ("task", text)] {
                guard let value else { continue }
                sql.append("\(column) LIKE ? ESCAPE '\\'")
                arguments += ["%" + Self.likeEscaped(value) + "%"]
            }
            return (sql, arguments)
        }

        private static func likeEscaped(_ text: String) -> String {
            var escaped = ""
            for character in text {
                if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            return escaped
        }
    }

    /// The orders a list of sessions can be in.
    package enum SessionOrder: String, Sendable, CaseIterable {
        case newest, oldest, longest, costliest, errors

        /// The SQL order; every one ends on the id, so that pages never overlap.
        var sql: String {
            switch self {
            case .newest: "started_at DESC, id DESC"
            case .oldest: "started_at IS NULL, started_at, id"
            case .longest: "duration_ms IS NULL, duration_ms DESC, id"
            case .costliest: "cost_usd IS NULL, cost_usd DESC, id"
            case .errors: "errors DESC, started_at DESC, id"
            }
        }
    }

    /// A page of at most `limit` sessions that match `filter`, in `order` (newest first by default), from `cursor`.
    ///
    /// Newest first, pages follow positions (`PageCursor.after`); in the other orders, whose values change while a
    /// session runs, they follow counts.
    package func sessions(
        _ filter: SessionFilter, order: SessionOrder = .newest, limit: Int, cursor: PageCursor?, textCut: TextCut
    ) async throws -> Records.SessionPage {
        try await read { db in
            let (conditions, arguments) = filter.conditions
            let matching = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM agent_sessions \(matching)", arguments: arguments)
            var page = conditions
            var pageArguments = arguments
            // Sessions without a start sort after all others (SQLite orders NULL lowest).
            let offset = order == .newest ? 0 : cursor?.offset ?? 0
            switch order == .newest ? cursor : nil {
            case .after(let startedAt?, let id):
                page.append("(started_at < ? OR (started_at = ? AND id < ?) OR started_at IS NULL)")
                pageArguments += [startedAt, startedAt, id]
            case .after(nil, let id):
                page.append("started_at IS NULL AND id < ?")
                pageArguments += [id]
            case .offset, nil:
                break
            }
            pageArguments += [limit + 1, offset]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, agent, coalesce(status, 'running') AS status, started_at, ended_at, duration_ms,
                           workspace, git_branch, host, llm_calls, tool_calls, tool_errors, cost_usd,
                           \(textCut.select("task")),
                           (SELECT count(*) FROM agent_errors AS e WHERE e.session_id = s.id) AS errors,
                           (SELECT group_concat(kind, ' ') FROM session_problems AS p WHERE p.session_id = s.id)
                               AS problems
                    FROM agent_sessions AS s
                    \(page.isEmpty ? "" : "WHERE " + page.joined(separator: " AND "))
                    ORDER BY \(order.sql) LIMIT ? OFFSET ?
                    """,
                arguments: pageArguments)
            let sessions = rows.prefix(limit).map { row in
                Records.SessionSummary(
                    id: row["id"], agent: row["agent"], status: row["status"], startedAt: Self.date(row["started_at"]),
                    endedAt: Self.date(row["ended_at"]), durationMs: row["duration_ms"], workspace: row["workspace"],
                    gitBranch: row["git_branch"], host: row["host"], llmCalls: row["llm_calls"] ?? 0,
                    toolCalls: row["tool_calls"] ?? 0, toolErrors: row["tool_errors"] ?? 0, errors: row["errors"],
                    costUsd: (row["cost_usd"] as Double?).map(ReportRounding.dollars),
                    problems: (row["problems"] as String?).map { $0.split(separator: " ").map(String.init) } ?? [],
                    task: textCut.text(row[13], length: row[14]))
            }
            let last = rows.count > limit ? rows[limit - 1] : nil
            let next: PageCursor? =
                order == .newest
                ? last.map { PageCursor.after(startedAt: $0["started_at"], id: $0["id"]) }
                : last.map { _ in PageCursor.offset(offset + limit) }
            return Records.SessionPage(total: total ?? 0, sessions: Array(sessions), nextCursor: next?.token)
        }
    }

    /// A time as the store writes it, read back.
    static func date(_ text: String?) -> Date? {
        text.flatMap(Report.timestamps.parse)
    }
}
