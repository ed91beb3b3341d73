import Foundation
import GRDB
import Testing

@testable import AgentTail

/// The embedded store's write-ahead log is copied into the database beside the writer, and stays bounded.
struct LogCheckpointerTests {
    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    @Test func theLogStaysBoundedAndEveryCommitIsKept() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpointer-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/store.sqlite"
        let commit = 16 << 10
        let bound = 512 << 10
        let text = String(repeating: "x", count: commit)
        var largestLog = 0
        do {
            let pool = try StateStore.openPrivatePool(path: path, label: "test")
            try pool.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, x TEXT)") }
            let checkpointer = try LogCheckpointer(
                writer: pool, path: path, configuration: pool.configuration, step: 64 << 10, bound: bound,
                keptLog: bound)
            for n in 0..<200 {
                try pool.write { db in try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [n, text]) }
                checkpointer.committed(bytes: commit)
                largestLog = max(largestLog, Self.size(path + "-wal"))
            }
            // Copies were made while writing: the database file holds most of what was written.
            #expect(Self.size(path) >= 200 * commit / 2)
            let count = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") }
            #expect(count == 200)
            // When writing stops, the whole log goes into the database and its file is emptied.
            checkpointer.finish()
            #expect(Self.size(path + "-wal") == 0)
            #expect(Self.size(path) >= 200 * commit)
        }
        // The log never held much more than the bound: what a commit writes to it is its row in whole pages, each
        // with a header, and the pages of the tree above it.
        #expect(largestLog > 0 && largestLog <= 2 * bound, "largest log \(largestLog)")
        let reopened = try DatabaseQueue(path: path)
        #expect(try reopened.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t WHERE length(x) = ?", arguments: [commit]) } == 200)
    }
}
