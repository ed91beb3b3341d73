import AgentTailCore
import Foundation
import GRDB

/// Rows a destination refused for good, kept with its reason: listed, shown, put back in a sink's queue, purged.
extension StateStore {
    package struct DeadLetter: Sendable, Equatable {
        package var id: Int64
        package var sink: String
        package var eventID: String
        package var table: String
        /// The row as it was sent (masked before it was ever stored), in the outbox's JSON.
        package var payload: [UInt8]
        package var reason: String
        package var createdAt: Date?
    }

    /// Which dead letters a command is about; an empty filter takes them all.
    package struct DeadLetterFilter: Sendable {
        package var ids: [Int64] = []
        package var sink: String?
        /// Part of the reason, compared without regard to case.
        package var reason: String?
        /// Only those kept since then.
        package var since: Date?

        package init(ids: [Int64] = [], sink: String? = nil, reason: String? = nil, since: Date? = nil) {
            self.ids = ids
            self.sink = sink
            self.reason = reason
            self.since = since
        }

        fileprivate var sql: (where: String, arguments: StatementArguments) {
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if !ids.isEmpty {
                clauses.append("id IN (\(databaseQuestionMarks(count: ids.count)))")
                arguments += StatementArguments(ids)
            }
            if let sink {
                clauses.append("sink = ?")
                arguments += [sink]
            }
            if let reason {
                clauses.append("instr(lower(reason), lower(?)) > 0")
                arguments += [reason]
            }
            if let since {
                clauses.append("created_at >= ?")
                arguments += [since.rfc3339]
            }
            return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), arguments)
        }
    }

    /// How the state file writes times.
    private static let storedTimes = try! TimestampFormat(format: "iso8601", timeZone: "UTC")

    /// The dead letters `filter` takes, oldest first.
    package func deadLetters(_ filter: DeadLetterFilter) async throws(StateError) -> [DeadLetter] {
        try await read { db in try Self.deadLetters(db, filter) }
    }

    private static func deadLetters(_ db: Database, _ filter: DeadLetterFilter) throws -> [DeadLetter] {
        let (clause, arguments) = filter.sql
        return try Row.fetchAll(
            db,
            sql: """
                SELECT id, sink, event_id, table_name, payload, reason, created_at FROM dead_letters \(clause)
                ORDER BY id
                """,
            arguments: arguments
        ).map { row in
            DeadLetter(
                id: row["id"], sink: row["sink"], eventID: row["event_id"], table: row["table_name"],
                payload: [UInt8](row["payload"] as Data), reason: row["reason"],
                createdAt: (row["created_at"] as String?).flatMap(Self.storedTimes.parse))
        }
    }

    /// A dead letter put back in its sink's queue: where it now waits.
    package struct Requeued: Sendable, Equatable {
        package var letter: DeadLetter
        /// Its outbox sequence number, for its sink alone.
        package var seq: Int64
    }

    /// Moves the dead letters `filter` takes back into the outbox, each for its own sink alone (the other sinks have
    /// it already), in one transaction.
    package func requeueDeadLetters(_ filter: DeadLetterFilter) async throws(StateError) -> [Requeued] {
        let now = Date().timeIntervalSince1970
        return try await write { db in
            let letters = try Self.deadLetters(db, filter)
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO outbox (event_id, table_name, payload, committed_at, sink) VALUES (?, ?, ?, ?, ?)
                    """)
            var requeued: [Requeued] = []
            for letter in letters {
                try insert.execute(arguments: [letter.eventID, letter.table, Data(letter.payload), now, letter.sink])
                requeued.append(Requeued(letter: letter, seq: db.lastInsertedRowID))
                try db.execute(sql: "DELETE FROM dead_letters WHERE id = ?", arguments: [letter.id])
            }
            return requeued
        }
    }

    /// Deletes the dead letters `filter` takes; returns how many.
    package func purgeDeadLetters(_ filter: DeadLetterFilter) async throws(StateError) -> Int {
        try await write { db in
            let (clause, arguments) = filter.sql
            try db.execute(sql: "DELETE FROM dead_letters \(clause)", arguments: arguments)
            return db.changesCount
        }
    }
}
