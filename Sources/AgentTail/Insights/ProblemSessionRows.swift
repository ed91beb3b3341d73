import GRDB

/// Reads one session at a time as `ProblemFinder` sees it: its row, its tool runs and (when asked) its LLM calls
/// with the LLM errors logged against them, through the tables' session indexes. The statements are the
/// connection's cached ones: the store makes one of these for every transaction it writes.
struct ProblemSessionRows {
    private let session: Statement
    private let errors: Statement
    private let calls: Statement
    private let tools: Statement
    private var started: [UInt8] = []

    init(_ db: Database) throws {
        session = try db.cachedStatement(
            sql: """
                SELECT id, agent, status, final_output IS NOT NULL AND final_output <> '', duration_ms, cost_usd,
                       started_at
                FROM agent_sessions WHERE id = ?
                """)
        errors = try db.cachedStatement(
            sql: """
                SELECT related_id, message FROM agent_errors
                WHERE session_id = ? AND source = 'llm' AND related_id IS NOT NULL ORDER BY occurred_at, id
                """)
        calls = try db.cachedStatement(
            sql: """
                SELECT id, seq, status, latency_ms, cost_usd FROM llm_calls
                WHERE session_id = ? ORDER BY seq, started_at, id
                """)
        // In the index's order (by start); runs that started at the same moment are put in order of id below.
        tools = try db.cachedStatement(
            sql: """
                SELECT id, tool_name, arguments, success, duration_ms,
                       CASE WHEN (lower(tool_name) LIKE '%read%' OR lower(tool_name) IN ('view', 'cat'))
                                 AND json_valid(arguments)
                            THEN coalesce(json_extract(arguments, '$.path'), json_extract(arguments, '$.file_path'),
                                          json_extract(arguments, '$.filename'))
                       END,
                       started_at
                FROM tool_executions WHERE session_id = ? ORDER BY started_at
                """)
    }

    /// The sessions of `sql`'s rows, which select the columns of `session` above, without calls or tool runs.
    static func sessions(_ db: Database, sql: String, arguments: StatementArguments) throws -> [ProblemFinder.Session] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.session)
    }

    /// The session `id`, without calls or tool runs, and when it started; nil when there is none.
    func session(_ id: String) throws -> (session: ProblemFinder.Session, startedAt: String?)? {
        try Row.fetchOne(session, arguments: [id]).map { (Self.session($0), $0[6]) }
    }

    private static func session(_ row: Row) -> ProblemFinder.Session {
        ProblemFinder.Session(
            id: row[0], agent: row[1], status: row[2] ?? "running", hasFinalAnswer: row[3], durationMs: row[4],
            costUsd: row[5])
    }

    /// Reads the session's LLM calls, each with the LLM errors logged against it.
    func addCalls(to session: inout ProblemFinder.Session) throws {
        var messages: [String: [String]] = [:]
        let errorRows = try Row.fetchCursor(errors, arguments: [session.id])
        while let error = try errorRows.next() { messages[error[0], default: []].append(error[1] ?? "") }
        let callRows = try Row.fetchCursor(calls, arguments: [session.id])
        session.calls = []
        while let call = try callRows.next() {
            let callID: String = call[0]
            session.calls.append(
                ProblemFinder.Call(
                    id: callID, seq: call[1] ?? 0, status: call[2] ?? "ok", latencyMs: call[3], costUsd: call[4],
                    errors: messages[callID] ?? []))
        }
    }

    /// Reads the session's tool runs, in order of start and then of id.
    mutating func addTools(to session: inout ProblemFinder.Session) throws {
        let rows = try ColumnScan(tools, arguments: [session.id])
        var moments: [Int] = []  // each run's start, numbered in order
        session.tools = []
        while try rows.next() {
            let moment = rows.bytes(6) ?? UnsafeRawBufferPointer(start: nil, count: 0)
            if moments.isEmpty || !started.elementsEqual(moment) {
                started.replaceSubrange(started.indices, with: moment)
                moments.append((moments.last ?? -1) + 1)
            } else {
                moments.append(moments.last!)
            }
            session.tools.append(
                ProblemFinder.Tool(
                    id: rows.text(0) ?? "", name: rows.text(1) ?? "", arguments: rows.text(2), readPath: rows.text(5),
                    success: rows.bool(3) ?? true, durationMs: rows.double(4)))
        }
        if moments.last != moments.count - 1 {  // some started together
            session.tools = zip(moments, session.tools).sorted { ($0.0, $0.1.id) < ($1.0, $1.1.id) }.map(\.1)
        }
    }
}
