import AgentTailCore
import Foundation
import GRDB

/// The outbox, each sink's cursor and last error, and the dead letters.
extension StateStore {
    // MARK: - Start-up

    /// Removes the outbox rows every sink in `enabled` has (all of them when no sink reads the outbox), such as rows
    /// kept only for a sink that has since been removed from the configuration.
    package func pruneOutbox(enabled: [String]) throws(StateError) {
        do {
            try writer.write { db in try Self.prune(db, enabled: enabled) }
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }

    private static func prune(_ db: Database, enabled: [String]) throws {
        var lowest = Int64.max
        for name in enabled {
            let acked = try Int64.fetchOne(
                db, sql: "SELECT acked_seq FROM sink_cursors WHERE sink = ?", arguments: [name]) ?? 0
            lowest = min(lowest, acked)
        }
        // A row put back for one sink leaves once that sink has it (or once that sink is no longer configured).
        try db.execute(
            sql: """
                DELETE FROM outbox WHERE sink IS NOT NULL
                AND (seq <= (SELECT acked_seq FROM sink_cursors WHERE sink = outbox.sink)
                     OR sink NOT IN (SELECT value FROM json_each(?)))
                """,
            arguments: [String(decoding: try JSONEncoder().encode(enabled), as: UTF8.self)])
        guard lowest > 0 else { return }
        if lowest == Int64.max {
            try db.execute(sql: "DELETE FROM outbox")
        } else {
            try db.execute(sql: "DELETE FROM outbox WHERE seq <= ?", arguments: [lowest])
        }
        try db.execute(sql: "PRAGMA incremental_vacuum(4096)")
    }

    // MARK: - Outbox

    /// One outbox row as a sink receives it.
    package struct OutboxEntry: Sendable {
        package var seq: Int64
        package var table: NormalizedTable
        package var eventID: String
        package var payload: [UInt8]
        /// When the row entered the outbox; nil for rows kept from before agenttail recorded it.
        package var committedAt: Date?

        package func row() throws -> NormalizedRow { try RowCodec.decode(payload, table: table) }
    }

    /// Up to `limit` rows for `sink` after `seq`, oldest first, stopping early once `maxBytes` of payload is reached
    /// (the default holds the largest request a sink sends, and bounds what each sink holds in memory).
    package func outbox(for sink: String, after seq: Int64, limit: Int, maxBytes: Int = 4 << 20) async throws(StateError)
        -> [OutboxEntry]
    {
        try await read { db in try Self.outbox(db, for: sink, after: seq, limit: limit, maxBytes: maxBytes) }
    }

    private static func outbox(_ db: Database, for sink: String, after seq: Int64, limit: Int, maxBytes: Int) throws
        -> [OutboxEntry]
    {
        var entries: [OutboxEntry] = []
        var bytes = 0
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT seq, table_name, event_id, payload, committed_at FROM outbox
                WHERE seq > ? AND (sink IS NULL OR sink = ?) ORDER BY seq LIMIT ?
                """,
            arguments: [seq, sink, limit])
        while let row = try cursor.next() {
            let payload: Data = row["payload"]
            guard let table = NormalizedTable(rawValue: row["table_name"]) else {
                throw StateError.corrupt(path: "outbox", reason: "unknown table \(row["table_name"] as String)")
            }
            entries.append(
                OutboxEntry(
                    seq: row["seq"], table: table, eventID: row["event_id"], payload: [UInt8](payload),
                    committedAt: (row["committed_at"] as Double?).map(Date.init(timeIntervalSince1970:))))
            bytes += payload.count
            if bytes >= maxBytes { break }
        }
        return entries
    }

    /// The last outbox sequence number `sink` acknowledged.
    package func cursor(of sink: String) async throws(StateError) -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT acked_seq FROM sink_cursors WHERE sink = ?", arguments: [sink]) ?? 0
        }
    }

    /// Records that `sink` delivered everything up to `seq`, and removes outbox rows every sink in `enabled` has.
    package func acknowledge(sink: String, upTo seq: Int64, enabled: [String]) async throws(StateError) {
        let now = Date().rfc3339
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO sink_cursors (sink, acked_seq, last_error, updated_at) VALUES (?, ?, NULL, ?)
                    ON CONFLICT(sink) DO UPDATE SET acked_seq = max(acked_seq, excluded.acked_seq), last_error = NULL,
                        updated_at = excluded.updated_at
                    """, arguments: [sink, seq, now])
            try Self.prune(db, enabled: enabled)
        }
    }

    /// Remembers the last error of a sink, for `status`.
    package func recordSinkError(sink: String, message: String) async throws(StateError) {
        let now = Date().rfc3339
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO sink_cursors (sink, acked_seq, last_error, updated_at) VALUES (?, 0, ?, ?)
                    ON CONFLICT(sink) DO UPDATE SET last_error = excluded.last_error, updated_at = excluded.updated_at
                    """, arguments: [sink, message, now])
        }
    }

    /// Stores rows a sink refused for good, each with its reason.
    package func deadLetter(sink: String, entries: [(entry: OutboxEntry, reason: String)]) async throws(StateError) {
        let now = Date().rfc3339
        try await write { db in
            for (entry, reason) in entries {
                try db.execute(
                    sql: """
                        INSERT INTO dead_letters (sink, event_id, table_name, payload, reason, created_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, arguments: [sink, entry.eventID, entry.table.rawValue, Data(entry.payload), reason, now])
            }
        }
    }

    /// The dead letters of `sink`, oldest first, for `status` and tests.
    package func deadLetters(sink: String) async throws(StateError) -> [(eventID: String, reason: String)] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT event_id, reason FROM dead_letters WHERE sink = ? ORDER BY id", arguments: [sink]
            ).map { ($0["event_id"], $0["reason"]) }
        }
    }

    /// Rows in the outbox not yet acknowledged by `sink`.
    package func outboxDepth(for sink: String) async throws(StateError) -> Int {
        try await waiting(for: sink).rows
    }

    /// Rows waiting for `sink` in the outbox, and when the oldest of them entered it (nil when none waits, or it
    /// entered before agenttail recorded that).
    package func waiting(for sink: String) async throws(StateError) -> (rows: Int, oldest: Date?) {
        try await read { db in
            let acked =
                try Int64.fetchOne(db, sql: "SELECT acked_seq FROM sink_cursors WHERE sink = ?", arguments: [sink]) ?? 0
            let rows =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM outbox WHERE seq > ? AND (sink IS NULL OR sink = ?)",
                    arguments: [acked, sink]) ?? 0
            let oldest = try Double.fetchOne(
                db,
                sql: "SELECT committed_at FROM outbox WHERE seq > ? AND (sink IS NULL OR sink = ?) ORDER BY seq LIMIT 1",
                arguments: [acked, sink])
            return (rows, oldest.map(Date.init(timeIntervalSince1970:)))
        }
    }

    /// Rows in the outbox in all.
    package func outboxCount() async throws(StateError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0 }
    }

    /// The newest sequence number ever given to an outbox row.
    package func lastOutboxSeq() async throws(StateError) -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") ?? 0
        }
    }

    /// Sink name, last error and dead-letter count, for `status`.
    package struct SinkStatus: Sendable {
        package var sink: String
        package var ackedSeq: Int64
        package var lastError: String?
        package var deadLetters: Int
    }

    package func sinkStatus(_ sink: String) async throws(StateError) -> SinkStatus {
        try await read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT acked_seq, last_error FROM sink_cursors WHERE sink = ?", arguments: [sink])
            let dead = try Int.fetchOne(db, sql: "SELECT count(*) FROM dead_letters WHERE sink = ?", arguments: [sink]) ?? 0
            return SinkStatus(sink: sink, ackedSeq: row?["acked_seq"] ?? 0, lastError: row?["last_error"], deadLetters: dead)
        }
    }
}
