import AgentTailCore
import Foundation
import GRDB

/// The files' checkpoints, and the commit that stores them with the rows they produced.
extension StateStore {
    // MARK: - Files

    /// The checkpoints of every tracked file of `source`.
    package func checkpoints(source: String) async throws(StateError) -> [FileCheckpoint] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM files WHERE source = ? ORDER BY path", arguments: [source])
                .map(Self.checkpoint(from:))
        }
    }

    /// Every tracked file, for `status`.
    package func allCheckpoints() async throws(StateError) -> [FileCheckpoint] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM files ORDER BY source, path").map(Self.checkpoint(from:))
        }
    }

    private static func checkpoint(from row: Row) throws -> FileCheckpoint {
        let stateData: Data = row["session_state"]
        let session: SessionState
        do {
            session = try JSONDecoder().decode(SessionState.self, from: stateData)
        } catch {
            throw StateError.corrupt(path: "state", reason: "session state of \(row["path"] as String): \(error)")
        }
        return FileCheckpoint(
            fileKey: row["file_key"], source: row["source"], path: row["path"],
            identity: FileIdentity(
                device: UInt64(bitPattern: row["device"]), inode: UInt64(bitPattern: row["inode"]),
                fingerprintLength: row["fingerprint_length"], fingerprint: row["fingerprint"]),
            offset: row["offset"], size: row["size"], session: session, lastError: row["last_error"])
    }

    // MARK: - Commit

    /// What one ingest step changes, applied atomically.
    package struct Commit: Sendable {
        package var rows: [NormalizedRow] = []
        package var checkpoints: [FileCheckpoint] = []
        /// Files to forget (deleted and drained), by source and file key.
        package var forget: [(source: String, fileKey: String)] = []

        package init() {}

        package var isEmpty: Bool { rows.isEmpty && checkpoints.isEmpty && forget.isEmpty }
    }

    /// Stores rows in the outbox together with the checkpoints they belong to, in one transaction.
    ///
    /// Synchronous: called from the ingest thread, never from the cooperative pool.
    /// - Returns: the number of outbox rows added.
    @discardableResult
    package func commitBlocking(_ commit: Commit) throws(StateError) -> Int {
        guard !commit.isEmpty else { return 0 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let now = Date().rfc3339
        do {
            return try writer.write { db in
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO outbox (event_id, table_name, payload, committed_at) VALUES (?, ?, ?, ?)")
                let committedAt = Date().timeIntervalSince1970
                for row in commit.rows {
                    try insert.execute(arguments: [
                        row.id.lowercased, row.table.rawValue, Data(RowCodec.encode(row, includeTrace: true)), committedAt,
                    ])
                }
                let upsert = try db.cachedStatement(
                    sql: """
                        INSERT INTO files (file_key, source, path, device, inode, fingerprint_length, fingerprint,
                                           "offset", size, session_state, last_error, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(source, file_key) DO UPDATE SET
                            path = excluded.path, fingerprint_length = excluded.fingerprint_length,
                            fingerprint = excluded.fingerprint, "offset" = excluded."offset", size = excluded.size,
                            session_state = excluded.session_state, last_error = excluded.last_error,
                            updated_at = excluded.updated_at
                        """)
                for checkpoint in commit.checkpoints {
                    let state = try encoder.encode(checkpoint.session)
                    try upsert.execute(arguments: [
                        checkpoint.fileKey, checkpoint.source, checkpoint.path,
                        Int64(bitPattern: checkpoint.identity.device), Int64(bitPattern: checkpoint.identity.inode),
                        checkpoint.identity.fingerprintLength, checkpoint.identity.fingerprint, checkpoint.offset,
                        checkpoint.size, state, checkpoint.lastError, now,
                    ])
                }
                for file in commit.forget {
                    try db.execute(
                        sql: "DELETE FROM files WHERE source = ? AND file_key = ?", arguments: [file.source, file.fileKey])
                }
                return commit.rows.count
            }
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }

    /// The checkpoints of every tracked file of `source`, read synchronously on the ingest thread.
    package func checkpointsBlocking(source: String) throws(StateError) -> [FileCheckpoint] {
        do {
            return try writer.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM files WHERE source = ? ORDER BY path", arguments: [source])
                    .map(Self.checkpoint(from:))
            }
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }

    /// Rows in the outbox in all, read synchronously on the ingest thread.
    package func outboxCountBlocking() throws(StateError) -> Int {
        do {
            return try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0 }
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }
}
