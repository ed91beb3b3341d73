import AgentTailCore
import Foundation
import GRDB

/// The embedded store: the four normalized tables in a SQLite file, written by upsert on id.
///
/// It is not a sink behind the outbox: the ingestor writes each slice's rows here just before it commits the slice's
/// checkpoint, so the rows never pass through the outbox (no second copy, no encoding and decoding). A crash between
/// the two commits makes agenttail read the slice again and write the same rows under the same ids, which replaces
/// them: nothing is lost and nothing doubles.
package struct LocalStore: Sendable {
    package let path: String
    private let writer: any DatabaseWriter
    /// Copies the write-ahead log into the database beside the writer.
    private let checkpointer: LogCheckpointer
    /// Ended sessions of an older store checked for problems when it was opened.
    package let backfilled: Int

    /// Opens (creating with mode 0600) the store at `path`.
    package init(path: String) throws(StateError) {
        self.path = path
        do {
            let pool = try StateStore.openPrivatePool(path: path, label: "agenttail.local")
            // Rows are written here just before their checkpoint is committed in the state; if a power cut undid the
            // last commits here but not that checkpoint, those rows would never be read again. So sync the WAL on
            // every commit (GRDB's WAL default, NORMAL, survives a crash but may lose the last commits to a power cut).
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
            backfilled = try StoredProblems.backfill(pool)
            writer = pool
            checkpointer = try LogCheckpointer(writer: pool, path: path, configuration: pool.configuration)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.cannotOpen(path: path, reason: StateStore.message(error))
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            for table in NormalizedTable.allCases {
                let columns = table.schema.filter { !Self.addedLater(table, $0.name) }.map { column in
                    column.name == "id" ? "id TEXT PRIMARY KEY NOT NULL" : "\(column.name) \(Self.sqlType(column.type))"
                }
                try db.execute(sql: "CREATE TABLE \(table.rawValue) (\(columns.joined(separator: ", ")))")
            }
            try db.execute(
                sql: """
                    CREATE INDEX llm_calls_session ON llm_calls (session_id, seq);
                    CREATE INDEX tool_executions_session ON tool_executions (session_id, started_at);
                    CREATE INDEX tool_executions_tool ON tool_executions (tool_name);
                    CREATE INDEX agent_errors_session ON agent_errors (session_id);
                    CREATE INDEX agent_errors_fingerprint ON agent_errors (fingerprint);
                    CREATE INDEX agent_sessions_started ON agent_sessions (started_at);
                    """)
        }
        migrator.registerMigration("v2: session revisions") { db in
            try db.execute(sql: "ALTER TABLE agent_sessions ADD COLUMN revision INTEGER")
        }
        migrator.registerMigration("v3: usage, cost and workspace") { db in
            try Self.add(Self.addedInV3, db)
            try db.execute(
                sql: """
                    CREATE INDEX agent_sessions_workspace ON agent_sessions (workspace, started_at);
                    CREATE INDEX llm_calls_model ON llm_calls (model, started_at);
                    """)
        }
        migrator.registerMigration("v4: report views and indexes") { db in
            for view in LocalStoreViews.all { try db.execute(sql: view) }
            // A report reads one period of each table, and only these columns: the indexes cover them, so that a
            // period is one range of an index and no row of the wide tables (inputs, outputs, results) is visited.
            try db.execute(
                sql: """
                    CREATE INDEX llm_calls_report ON llm_calls (
                        started_at, model, status, latency_ms, prompt_tokens, completion_tokens, cache_read_tokens,
                        cache_creation_tokens, cost_usd, session_id);
                    CREATE INDEX tool_executions_report ON tool_executions (
                        started_at, tool_name, category, success, duration_ms);
                    CREATE INDEX agent_errors_occurred ON agent_errors (occurred_at);
                    """)
        }
        migrator.registerMigration("v5: covering indexes for sessions and errors") { db in
            // Sessions and errors are read by period too, and their rows hold long texts (tasks, final outputs,
            // messages) that a report does not read; a report by a session's dimension puts tool runs under their
            // session.
            try db.execute(
                sql: """
                    DROP INDEX tool_executions_report;
                    CREATE INDEX tool_executions_report ON tool_executions (
                        started_at, tool_name, category, success, duration_ms, session_id);
                    CREATE INDEX agent_sessions_report ON agent_sessions (
                        started_at, status, agent, duration_ms, cost_usd, id);
                    DROP INDEX agent_errors_occurred;
                    CREATE INDEX agent_errors_report ON agent_errors (occurred_at, source, fingerprint, session_id);
                    """)
        }
        migrator.registerMigration("v6: problems kept per session") { db in
            try db.execute(sql: StoredProblems.schema)
        }
        migrator.registerMigration("v7: what tool runs used") { db in
            try Self.add(Self.addedInV7, db)
            // Reports show memory and CPU per tool beside durations, from the same index.
            try db.execute(
                sql: """
                    DROP INDEX tool_executions_report;
                    CREATE INDEX tool_executions_report ON tool_executions (
                        started_at, tool_name, category, success, duration_ms, session_id, peak_rss_bytes, cpu_ms);
                    """)
        }
        return migrator
    }

    /// Adds columns of the normalized tables to a store made before them.
    private static func add(_ added: [(NormalizedTable, [String])], _ db: Database) throws {
        for (table, columns) in added {
            for column in table.schema where columns.contains(column.name) {
                try db.execute(sql: "ALTER TABLE \(table.rawValue) ADD COLUMN \(column.name) \(Self.sqlType(column.type))")
            }
        }
    }

    /// Columns the seventh migration adds.
    private static let addedInV7: [(NormalizedTable, [String])] = [
        (.toolExecutions, ["peak_rss_bytes", "cpu_ms", "max_processes", "io_read_bytes", "io_write_bytes"]),
        (.agentSessions, ["peak_rss_bytes", "cpu_ms"]),
    ]

    /// Columns the third migration adds.
    private static let addedInV3: [(NormalizedTable, [String])] = [
        (.agentSessions, [
            "workspace", "git_branch", "agent_version", "prompt_tokens", "completion_tokens", "cache_read_tokens",
            "cache_creation_tokens", "cost_usd",
        ]),
        (.llmCalls, ["cache_read_tokens", "cache_creation_tokens", "cost_usd"]),
    ]

    /// Whether a later migration adds the column, so that the first one leaves it out.
    private static func addedLater(_ table: NormalizedTable, _ column: String) -> Bool {
        (table == .agentSessions && column == "revision")
            || (addedInV3 + addedInV7).contains { $0.0 == table && $0.1.contains(column) }
    }

    private static func sqlType(_ type: ColumnType) -> String {
        switch type {
        case .int, .bool: return "INTEGER"
        case .usd: return "REAL"
        case .uuid, .text, .timestamp, .json: return "TEXT"
        }
    }

    /// Stores `rows` in one durable transaction, in order (a later version of a row replaces an earlier one).
    ///
    /// Synchronous: called from the ingest thread, never from the cooperative pool.
    package func writeBlocking(_ rows: [NormalizedRow]) throws(StateError) {
        guard !rows.isEmpty else { return }
        do {
            try writer.write { db in
                try Self.upsert(rows, in: db)
                try StoredProblems.refresh(Self.sessions(of: rows), in: db)
            }
            checkpointer.committed(bytes: rows.reduce(0) { $0 + $1.approximateBytes })
        } catch {
            throw StateError.storage(path: path, reason: StateStore.message(error))
        }
    }

    /// The sessions `rows` belong to, each once.
    private static func sessions(of rows: [NormalizedRow]) -> [String] {
        var seen = Set<String>()
        return rows.compactMap { row -> String? in
            let id: String? =
                if row.table == .agentSessions {
                    row.id.lowercased
                } else if let column = sessionColumn[row.table], case .uuid(let session) = row.values[column] {
                    session.lowercased
                } else {
                    nil
                }
            guard let id, seen.insert(id).inserted else { return nil }
            return id
        }
    }

    /// Where each table but the sessions' holds its session's id.
    private static let sessionColumn: [NormalizedTable: Int] = Dictionary(
        uniqueKeysWithValues: NormalizedTable.allCases.compactMap { table in
            table.columns.firstIndex(of: "session_id").map { (table, $0) }
        })

    private static func upsert(_ rows: [NormalizedRow], in db: Database) throws {
        for row in rows {
            let statement = try db.cachedStatement(sql: upsertSQL[row.table]!)
            var arguments: [(any DatabaseValueConvertible)?] = []
            arguments.reserveCapacity(row.values.count)
            for value in row.values {
                switch value {
                case .null: arguments.append(nil)
                case .text(let text): arguments.append(text)
                case .int(let number): arguments.append(number)
                case .bool(let flag): arguments.append(flag ? 1 : 0)
                case .timestamp(let date): arguments.append(date.rfc3339)
                case .uuid(let id): arguments.append(id.lowercased)
                case .json(let text): arguments.append(text)
                case .usd(let amount): arguments.append(amount.dollars)
                }
            }
            try statement.execute(arguments: StatementArguments(arguments))
        }
    }

    /// The upsert of each table, written once: rows come by the hundred thousand.
    private static let upsertSQL: [NormalizedTable: String] = Dictionary(
        uniqueKeysWithValues: NormalizedTable.allCases.map { table in
            let columns = table.columns
            let updates = columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
            return (
                table,
                """
                INSERT INTO \(table.rawValue) (\(columns.joined(separator: ", ")))
                VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
                ON CONFLICT(id) DO UPDATE SET \(updates)
                """
            )
        })

    /// Copies the whole write-ahead log into the store and empties it: called when writing stops.
    package func finishWrites() {
        checkpointer.finish()
    }

    /// Every row of `table` as column → text, ordered by id; for reports and tests.
    package func dump(_ table: NormalizedTable) async throws -> [[String: String]] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM \(table.rawValue) ORDER BY id").map { row in
                var values: [String: String] = [:]
                for column in table.columns {
                    let value: DatabaseValue = row[column]
                    values[column] = value.isNull ? "NULL" : value.description
                }
                return values
            }
        }
    }

    /// The number of rows in `table`.
    package func count(_ table: NormalizedTable) async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.rawValue)") ?? 0 }
    }
}
