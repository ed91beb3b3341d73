import Foundation
import GRDB

extension LocalReportReader {
    /// Where a report split by a dimension puts the period's calls and tool runs: under their own day or model, or
    /// under their session's agent, workspace, branch or host.
    struct Grouping: Sendable {
        let dimension: ReportQuery.Dimension
        /// Each session's key under the dimension (nil when it has none) and status, for the sessions that started
        /// from a day before the period; calls and runs of older sessions look theirs up.
        let sessions: [String: Session]

        struct Session: Sendable {
            var key: String?
            var status: String?
        }

        init(_ dimension: ReportQuery.Dimension, _ period: Report.Period, _ db: Database) throws {
            self.dimension = dimension
            guard dimension != .day else {
                sessions = [:]
                return
            }
            var sessions: [String: Session] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, \(Self.keyColumn(dimension)), status FROM agent_sessions WHERE started_at >= ? AND started_at < ?",
                arguments: [period.from.addingTimeInterval(-86_400).rfc3339, period.to.rfc3339])
            while let row = try rows.next() { sessions[row[0]] = Session(key: row[1], status: row[2]) }
            self.sessions = sessions
        }

        private static func keyColumn(_ dimension: ReportQuery.Dimension) -> String {
            dimension.sessionColumn ?? "NULL"
        }

        /// Finds the sessions of the rows a pass reads, remembering the last.
        struct Finder {
            let grouping: Grouping
            private let lookup: Statement
            private var last: (id: [UInt8], session: Session?)?

            init(_ grouping: Grouping, _ db: Database) throws {
                self.grouping = grouping
                lookup = try db.makeStatement(
                    sql: "SELECT \(Grouping.keyColumn(grouping.dimension)), status FROM agent_sessions WHERE id = ?")
            }

            /// The session whose id is `id` (as bytes), nil when the store has none.
            mutating func session(_ id: UnsafeRawBufferPointer) throws -> Session? {
                if let last, last.id.elementsEqual(id) { return last.session }
                let text = String(decoding: id, as: UTF8.self)
                let session =
                    try grouping.sessions[text]
                    ?? Row.fetchOne(lookup, arguments: [text]).map { Session(key: $0[0], status: $0[1]) }
                last = (Array(id), session)
                return session
            }
        }
    }

    /// One group's calls, as a pass over the calls adds them up.
    struct GroupCalls: Sendable {
        var calls = 0
        var prompt = 0
        var completion = 0
        var cost: Double?
        /// By model: the sessions the calls belong to, and those of them that completed or failed.
        var sessions = Set<String>()
        var completed = Set<String>()
        var failed = Set<String>()

        /// Adds one call, and its session (the id, and the session when the store has it) when sessions count.
        mutating func add(prompt: Int?, completion: Int?, cost: Double?,
                          session: (id: UnsafeRawBufferPointer, found: Grouping.Session?)?)
        {
            calls += 1
            self.prompt += prompt ?? 0
            self.completion += completion ?? 0
            if let cost { self.cost = (self.cost ?? 0) + cost }
            guard let session else { return }
            let id = String(decoding: session.id, as: UTF8.self)
            sessions.insert(id)
            if session.found?.status == "completed" { completed.insert(id) }
            if session.found?.status == "failed" { failed.insert(id) }
        }
    }

    /// One group's tool runs, as a pass over the runs adds them up.
    struct GroupTools: Sendable {
        var calls = 0
        var failures = 0
    }

    /// The period split by `dimension`: the sessions from SQL (by model, from the calls' sessions), the calls and
    /// tool runs from the passes over their tables.
    static func groups(
        _ window: Window, by dimension: ReportQuery.Dimension, calls: [String?: GroupCalls],
        tools: [String?: GroupTools], _ db: Database
    ) throws -> Report.Groups {
        var rows: [String?: Report.Group] = [:]
        func update(_ key: String?, _ change: (inout Report.Group) -> Void) {
            var group =
                rows[key]
                ?? Report.Group(
                    key: key, sessions: 0, completed: 0, failed: 0, llmCalls: 0, promptTokens: 0, completionTokens: 0,
                    toolCalls: dimension == .model ? nil : 0, toolFailures: dimension == .model ? nil : 0)
            change(&group)
            rows[key] = group
        }
        if dimension != .model {
            let key = dimension == .day ? "substr(started_at, 1, 10)" : dimension.sessionColumn!
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT \(key) AS key, count(*) AS sessions, count(*) FILTER (WHERE status = 'completed') AS completed,
                           count(*) FILTER (WHERE status = 'failed') AS failed
                    FROM agent_sessions WHERE started_at >= ? AND started_at < ? GROUP BY 1
                    """,
                arguments: window.arguments)
            {
                update(row["key"]) { group in
                    group.sessions = row["sessions"]
                    group.completed = row["completed"]
                    group.failed = row["failed"]
                }
            }
        }
        for (key, figures) in calls {
            update(key) { group in
                group.llmCalls = figures.calls
                group.promptTokens = figures.prompt
                group.completionTokens = figures.completion
                group.costUsd = figures.cost.map(ReportRounding.dollars)
                if dimension == .model {
                    group.sessions = figures.sessions.count
                    group.completed = figures.completed.count
                    group.failed = figures.failed.count
                }
            }
        }
        if dimension != .model {
            for (key, figures) in tools {
                update(key) { group in
                    group.toolCalls = figures.calls
                    group.toolFailures = figures.failures
                }
            }
        }
        return Report.Groups(by: dimension.rawValue, rows: Self.ordered(Array(rows.values), by: dimension))
    }

    /// Days in order; other keys by cost, then sessions, then name, with the rows without a key last.
    static func ordered(_ rows: [Report.Group], by dimension: ReportQuery.Dimension) -> [Report.Group] {
        rows.sorted { a, b in
            if dimension == .day { return (a.key ?? "") < (b.key ?? "") }
            if (a.key == nil) != (b.key == nil) { return b.key == nil }
            let (costA, costB) = (a.costUsd ?? -1, b.costUsd ?? -1)
            if costA != costB { return costA > costB }
            if a.sessions != b.sessions { return a.sessions > b.sessions }
            if a.llmCalls != b.llmCalls { return a.llmCalls > b.llmCalls }
            return (a.key ?? "") < (b.key ?? "")
        }
    }
}
