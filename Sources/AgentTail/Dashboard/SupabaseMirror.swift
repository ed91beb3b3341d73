import AgentTailCore
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// A private copy of a Supabase project's recent rows, for `agenttail ui --source supabase`: the dashboard's pages are
/// then made by the same code as for the embedded store, and a team sees every host that ships to the project.
///
/// It copies the last `days` days once, then every `interval` the rows of the last minutes and those of the sessions
/// still running, replacing what it held: the pages follow the project as they follow a local store. Every
/// `reconcileEvery` copies, it also compares each session's revision with the project's, so that a run another host
/// shipped late (it started long ago) shows up too.
package actor SupabaseMirror: Service {
    /// The scratch store the pages read; removed when the mirror stops.
    package nonisolated let path: String
    private let rows: SupabaseRows
    private let days: Int
    private let interval: Duration
    private let logger: Logger
    private let folder: URL
    private var scratch: DatabaseQueue?
    /// When the last copy began: the next one reads from a little before it.
    private var lastCopy: Date?

    /// How far before the last copy the next one reads again, for rows written late by a slow shipper.
    static let overlap: TimeInterval = 300
    /// One copy in this many also compares every session's revision.
    static let reconcileEvery = 5

    package init(config: SupabaseReadConfig, days: Int, interval: Duration = .seconds(2), logger: Logger) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-ui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        path = folder.appendingPathComponent("supabase.sqlite").path
        rows = SupabaseRows(config: config)
        self.days = days
        self.interval = interval
        self.logger = logger
    }

    /// Copies the last `days` days of the project.
    package func fill() async throws {
        do {
            _ = try LocalStore(path: path)  // the local schema, with its migrations
            let scratch = try DatabaseQueue(path: path)
            self.scratch = scratch
            let started = Date()
            try await copy(since: started.addingTimeInterval(-Double(days) * 86_400), running: [], into: scratch)
            lastCopy = started
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// Copies what changed since the last copy, every `interval`, until graceful shutdown; a failed copy is logged
    /// and tried again, and the pages show what was copied before.
    package func run() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        await cancelWhenGracefulShutdown {
            var round = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                round += 1
                do {
                    try await self.refresh()
                    if round % Self.reconcileEvery == 0 { try await self.reconcile() }
                } catch {
                    self.logger.warning("cannot refresh the copy of Supabase", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    private func refresh() async throws {
        guard let scratch, let lastCopy else { return }
        let started = Date()
        let running = try await scratch.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM agent_sessions WHERE coalesce(status, 'running') = 'running'")
        }
        try await copy(since: lastCopy.addingTimeInterval(-Self.overlap), running: running, into: scratch)
        self.lastCopy = started
    }

    /// Copies again every session of the window whose revision differs from the one held, or that is not held.
    private func reconcile() async throws {
        guard let scratch else { return }
        let from = Date().addingTimeInterval(-Double(days) * 86_400).rfc3339
        let held = try await scratch.read { db in
            try Dictionary(
                Row.fetchAll(db, sql: "SELECT id, revision FROM agent_sessions").map { ($0[0] as String, $0[1] as Int?) },
                uniquingKeysWith: { first, _ in first })
        }
        var changed: [String] = []
        var after: String?
        while true {
            var parameters = [
                ("select", "id,revision"), ("order", "id.asc"), ("limit", "1000"), ("started_at", "gte.\(from)"),
            ]
            if let after { parameters.append(("id", "gt.\(after)")) }
            let page = try await rows.get(.agentSessions, parameters)
            for row in page {
                guard let id = (row["id"] as? String)?.lowercased() else { continue }
                let revision = (row["revision"] as? NSNumber)?.intValue
                if held[id].map({ $0 != revision }) ?? true { changed.append(id) }
            }
            guard let last = page.last?["id"] as? String else { break }
            after = last
        }
        try await copySessions(changed, into: scratch)
        if !changed.isEmpty {
            let sessions = changed
            try await scratch.write { db in try StoredProblems.refresh(sessions, in: db) }
        }
    }

    /// Copies the rows that started from `since` on, and every row of the sessions `running`; then finds the problems
    /// of the sessions touched, as the embedded store does when it writes them.
    private func copy(since: Date, running: [String], into scratch: DatabaseQueue) async throws {
        let from = since.rfc3339
        var touched = Set(running)
        let all = { (table: NormalizedTable) in table.schema.map(\.name) }
        for (table, column) in [
            (NormalizedTable.agentSessions, "started_at"), (.llmCalls, "started_at"), (.toolExecutions, "started_at"),
            (.agentErrors, "occurred_at"),
        ] {
            touched.formUnion(try await rows.copy(table, all(table), filters: [(column, "gte.\(from)")], into: scratch))
        }
        // A running session's rows change after they started (a call's end, a tool's result), and so does its own.
        try await copySessions(running, into: scratch)
        let sessions = touched
        try await scratch.write { db in try StoredProblems.refresh(sessions, in: db) }
    }

    /// Copies the sessions `ids` whole: their own rows and every call, tool run and error of theirs.
    private func copySessions(_ ids: [String], into scratch: DatabaseQueue) async throws {
        for start in stride(from: 0, to: ids.count, by: 100) {
            let list = ids[start..<min(start + 100, ids.count)].joined(separator: ",")
            try await rows.copy(
                .agentSessions, NormalizedTable.agentSessions.schema.map(\.name), filters: [("id", "in.(\(list))")],
                into: scratch)
            for table in [NormalizedTable.llmCalls, .toolExecutions, .agentErrors] {
                try await rows.copy(table, table.schema.map(\.name), filters: [("session_id", "in.(\(list))")], into: scratch)
            }
        }
    }
}
