import AgentTail
import GRDB

/// A local store made by `LocalStore` (so with its real schema and migrations) and filled row by row by a test.
package struct SeededStore {
    package let path: String
    private let queue: DatabaseQueue

    package init(path: String) throws {
        _ = try LocalStore(path: path)
        self.path = path
        queue = try DatabaseQueue(path: path)
    }

    /// Inserts one row; the columns not given are NULL. Times are written as the store writes them
    /// (`2026-12-01T10:00:00.000Z`).
    package func insert(_ table: NormalizedTable, _ values: KeyValuePairs<String, (any DatabaseValueConvertible)?>)
        throws
    {
        let columns = values.map(\.key)
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO \(table.rawValue) (\(columns.joined(separator: ", "))) VALUES "
                    + "(\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))",
                arguments: StatementArguments(values.map(\.value)))
        }
    }

    /// Runs statements of a test's own (bulk seeding).
    package func write(_ updates: (Database) throws -> Void) throws {
        try queue.write(updates)
    }
}
