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
    let writer: any DatabaseWriter

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
        // Development builds before the first release delivered the local store through the outbox; this step
        // once handed their backlog over. It stays registered so that databases that ran it keep their history.
        migrator.registerMigration("v2: local store written at commit") { _ in }
        // When each row entered the outbox (seconds since 1970), for delivery latency and the age of what waits
        // (rows from before have none); and the one sink a row is for, when a dead letter was put back for it.
        migrator.registerMigration("v3: outbox rows carry their commit time and, when retried, their sink") { db in
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN committed_at REAL")
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN sink TEXT")
        }
        // Every acknowledgement looks for the rows put back for one sink: few, among many.
        migrator.registerMigration("v4: rows put back for one sink are indexed") { db in
            try db.execute(sql: "CREATE INDEX outbox_for_one_sink ON outbox (sink, seq) WHERE sink IS NOT NULL")
        }
        return migrator
    }

    // MARK: - Access

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(StateError) -> T {
        do {
            return try await writer.read(body)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }

    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(StateError) -> T {
        do {
            return try await writer.write(body)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage(path: path, reason: Self.message(error))
        }
    }
}
