import Dispatch
import GRDB
import Synchronization

/// Copies the embedded store's write-ahead log into its database on a thread of its own.
///
/// SQLite's default copies the log on the writing connection once it holds 1000 pages, and syncs the database there:
/// every few commits of a catch-up, the commit thread stopped for a second write of everything and a second sync.
/// Here the writer never copies by itself. After every `step` bytes written, a connection of this checkpointer copies
/// what the log holds while the writer goes on (a passive checkpoint: it takes no lock writers or readers wait for).
/// Such copies never reach the end of a log that keeps growing, and SQLite only starts a log again from its beginning
/// once it was copied to the end; so after every `bound` bytes the writer copies the rest itself, which is little,
/// and the log starts again. The log file then stays within a small multiple of `bound` (a commit writes its rows in
/// whole pages, with the pages of the trees above them), and is cut back to `keptLog` when it starts again.
final class LogCheckpointer: Sendable {
    /// Bytes written between two copies on the checkpointer's thread.
    static let step = 8 << 20
    /// Bytes written between two copies on the writer's connection.
    static let bound = 32 << 20
    /// What the log file is cut back to once it starts again.
    static let keptLog = 32 << 20

    private let step: Int
    private let bound: Int
    private let writer: any DatabaseWriter
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "agenttail.local.checkpoint")
    /// Bytes written since the last copy was started, on this thread and on the writer's.
    private let written = Mutex((sinceStep: 0, sinceBound: 0))
    private let copying = Atomic<Bool>(false)

    /// Turns off the writer's own copies and opens the checkpointer's connection to `path`.
    init(
        writer: any DatabaseWriter, path: String, configuration: Configuration, step: Int = LogCheckpointer.step,
        bound: Int = LogCheckpointer.bound, keptLog: Int = LogCheckpointer.keptLog
    ) throws {
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = \(keptLog)")
        }
        self.step = step
        self.bound = bound
        self.writer = writer
        var configuration = configuration
        configuration.label = (configuration.label ?? "store") + ".checkpoint"
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Copies the whole log into the database and empties it, when writing stops (the end of a catch-up, shutdown):
    /// a log left full would take its size on disk until the next start.
    func finish() {
        queue.sync {}
        _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        written.withLock { $0 = (0, 0) }
    }

    /// Called by the writer after each commit of `bytes` (roughly); copies the log when it is due.
    func committed(bytes: Int) {
        let due = written.withLock { written -> (step: Bool, bound: Bool) in
            written.sinceStep += bytes
            written.sinceBound += bytes
            let bound = written.sinceBound >= self.bound
            let step = written.sinceStep >= self.step
            if bound { written = (0, 0) } else if step { written.sinceStep = 0 }
            return (step, bound)
        }
        if due.bound {
            // After the copy in progress, if any (two copies at once would have one give up). A copy that fails is
            // tried again at the next bound; the log keeps every commit meanwhile.
            queue.sync {}
            _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        } else if due.step, copying.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            queue.async { [self] in
                // A failed copy is left for the next one, or for the writer's; the log keeps every commit meanwhile.
                _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                copying.store(false, ordering: .releasing)
            }
        }
    }
}
