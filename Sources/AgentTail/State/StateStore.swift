import AgentTailCore
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// agenttail's own SQLite state: file checkpoints with their session state, the outbox, sink cursors and dead
/// letters.
///
/// The one rule that keeps events from being lost or doubled lives here: `commit` stores a file's new checkpoint and
/// the rows it produced in ONE transaction, and outbox rows leave only when every enabled sink acknowledged them.
package struct StateStore: Sendable {
    package let path: String
    private let writer: any DatabaseWriter

    /// Opens (creating with mode 0600) the state database at `path`.
    /// - Parameter readOnly: open an existing database for reading only, without creating or migrating anything, so
    ///   that a reader (`status`) never races a starting `run` for the schema.
    package init(path: String, readOnly: Bool = false) throws(StateError) {
        self.path = path
        if readOnly {
            do {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.busyMode = .timeout(10)
                let pool = try DatabasePool(path: path, configuration: configuration)
                guard try pool.read({ db in try db.tableExists("sink_cursors") }) else {
                    throw StateError.cannotOpen(path: path, reason: "agenttail has not initialized it yet")
                }
                writer = pool
            } catch let error as StateError {
                throw error
            } catch {
                throw StateError.cannotOpen(path: path, reason: Self.message(error))
            }
            return
        }
        do {
            let pool = try Self.openPrivatePool(path: path, label: "agenttail.state") { configuration in
                // The outbox is transient: let freed pages go back to the file system instead of keeping its
                // high-water mark.
                configuration.prepareDatabase { db in
                    if !db.configuration.readonly { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
                }
            }
            try Self.migrator.migrate(pool)
            writer = pool
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.cannotOpen(path: path, reason: Self.message(error))
        }
    }

    /// An in-memory store for tests.
    package init(inMemory: Void = ()) throws {
        path = ":memory:"
        let queue = try DatabaseQueue()
        try Self.migrator.migrate(queue)
        writer = queue
    }

    /// Opens (creating with mode 0600, in a folder created 0700) a SQLite database that only this user may read.
    static func openPrivatePool(
        path: String, label: String, configure: (inout Configuration) -> Void = { _ in }
    ) throws -> DatabasePool {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try createPrivateFile(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = label
        configure(&configuration)
        return try DatabasePool(path: path, configuration: configuration)
    }

    static func createPrivateFile(_ path: String) throws {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StateError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        close(fd)
    }

    static func message(_ error: any Error) -> String {
        if let database = error as? DatabaseError { return database.message ?? "\(database.resultCode)" }
        return "\(error)"
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE files (
                        file_key TEXT NOT NULL,
                        source TEXT NOT NULL,
                        path TEXT NOT NULL,
                        device INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        fingerprint_length INTEGER NOT NULL,
                        fingerprint TEXT NOT NULL,
                        "offset" INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        session_state BLOB NOT NULL,
                        last_error TEXT,
                        updated_at TEXT NOT NULL,
                        PRIMARY KEY (source, file_key)
                    );
                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        event_id TEXT NOT NULL,
                        table_name TEXT NOT NULL,
                        payload BLOB NOT NULL
                    );
                    CREATE TABLE sink_cursors (
                        sink TEXT PRIMARY KEY,
                        acked_seq INTEGER NOT NULL,
                        last_error TEXT,
                        updated_at TEXT NOT NULL
                    );
                    CREATE TABLE dead_letters (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        sink TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        table_name TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        reason TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: local store written at commit") { db in
            // Earlier releases delivered the local store through the outbox, and did not record a cursor for it until
            // it first took a batch. Rows it may not have taken yet are handed over at the next start
            // (`handOverLocalBacklog`), from its cursor, or from the start when it had none.
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0 > 0 {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO sink_cursors (sink, acked_seq, last_error, updated_at)
                        VALUES ('\(Self.legacyLocalCursor)', 0, NULL, ?)
                        """, arguments: [Date().rfc3339])
            }
        }
        return migrator
    }

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
                    sql: "INSERT INTO outbox (event_id, table_name, payload) VALUES (?, ?, ?)")
                for row in commit.rows {
                    try insert.execute(arguments: [row.id.lowercased, row.table.rawValue, Data(RowCodec.encode(row, includeTrace: true))])
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

    // MARK: - Start-up

    /// The cursor name earlier releases used for the local store when it was a sink behind the outbox.
    static let legacyLocalCursor = "local"

    /// Writes the outbox rows an earlier release left for the local store into `localStore`, oldest first and in
    /// batches, then forgets its cursor. When the local store is no longer configured, the cursor is just forgotten.
    package func handOverLocalBacklog(to localStore: LocalStore?) throws(StateError) {
        do {
            while true {
                let batch = try writer.read { db -> (cursor: Int64, entries: [OutboxEntry])? in
                    guard
                        let cursor = try Int64.fetchOne(
                            db, sql: "SELECT acked_seq FROM sink_cursors WHERE sink = ?",
                            arguments: [Self.legacyLocalCursor])
                    else { return nil }
                    return (cursor, try Self.outbox(db, after: cursor, limit: 500, maxBytes: 4 << 20))
                }
                guard let batch else { return }
                guard let localStore, let last = batch.entries.last else {
                    try writer.write { db in
                        try db.execute(sql: "DELETE FROM sink_cursors WHERE sink = ?", arguments: [Self.legacyLocalCursor])
                    }
                    return
                }
                try localStore.writeBlocking(try batch.entries.map { try $0.row() })
                try writer.write { db in
                    try db.execute(
                        sql: "UPDATE sink_cursors SET acked_seq = ? WHERE sink = ?",
                        arguments: [last.seq, Self.legacyLocalCursor])
                }
            }
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }

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

        package func row() throws -> NormalizedRow { try RowCodec.decode(payload, table: table) }
    }

    /// Up to `limit` rows after `seq`, oldest first, stopping early once `maxBytes` of payload is reached (the default
    /// holds the largest request a sink sends, and bounds what each sink holds in memory).
    package func outbox(after seq: Int64, limit: Int, maxBytes: Int = 4 << 20) async throws(StateError) -> [OutboxEntry] {
        try await read { db in try Self.outbox(db, after: seq, limit: limit, maxBytes: maxBytes) }
    }

    private static func outbox(_ db: Database, after seq: Int64, limit: Int, maxBytes: Int) throws -> [OutboxEntry] {
        var entries: [OutboxEntry] = []
        var bytes = 0
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT seq, table_name, event_id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            arguments: [seq, limit])
        while let row = try cursor.next() {
            let payload: Data = row["payload"]
            guard let table = NormalizedTable(rawValue: row["table_name"]) else {
                throw StateError.corrupt(path: "outbox", reason: "unknown table \(row["table_name"] as String)")
            }
            entries.append(OutboxEntry(seq: row["seq"], table: table, eventID: row["event_id"], payload: [UInt8](payload)))
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
        let acked = try await cursor(of: sink)
        return try await read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE seq > ?", arguments: [acked]) ?? 0
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

    // MARK: - Access

    private func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(StateError) -> T {
        do {
            return try await writer.read(body)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }

    private func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(StateError) -> T {
        do {
            return try await writer.write(body)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }
}
