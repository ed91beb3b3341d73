import AgentTailCore
import Foundation
import GRDB

extension RecordReader {
    /// How many errors one session's answer lists (the latest).
    static let sessionErrorLimit = 50

    /// Session `id` (or the one session whose id begins with it) with at most `limit` steps from `cursor`.
    package func session(_ id: String, limit: Int, cursor: PageCursor?, textCut: TextCut) async throws
        -> Records.Session
    {
        try await read { db in
            let id = try Self.resolve(id, db)
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT id, agent, agent_version, host, source_path, workspace, git_branch,
                               coalesce(status, 'running') AS status, started_at, ended_at, duration_ms, llm_calls,
                               tool_calls, tool_errors, prompt_tokens, completion_tokens, cache_read_tokens,
                               cache_creation_tokens, cost_usd, peak_rss_bytes, cpu_ms,
                               \(textCut.select("task")), \(textCut.select("final_output"))
                        FROM agent_sessions WHERE id = ?
                        """,
                    arguments: [id])
            else { throw Problem.noSession(id: id) }
            let facts = Records.SessionFacts(
                id: row["id"], agent: row["agent"], agentVersion: row["agent_version"], host: row["host"],
                sourcePath: row["source_path"], workspace: row["workspace"], gitBranch: row["git_branch"],
                status: row["status"], startedAt: Self.date(row["started_at"]), endedAt: Self.date(row["ended_at"]),
                durationMs: row["duration_ms"], llmCalls: row["llm_calls"] ?? 0, toolCalls: row["tool_calls"] ?? 0,
                toolErrors: row["tool_errors"] ?? 0, promptTokens: row["prompt_tokens"],
                completionTokens: row["completion_tokens"], cacheReadTokens: row["cache_read_tokens"],
                cacheCreationTokens: row["cache_creation_tokens"],
                costUsd: (row["cost_usd"] as Double?).map(ReportRounding.dollars), peakRssBytes: row["peak_rss_bytes"],
                cpuMs: row["cpu_ms"], task: textCut.text(row[21], length: row[22]),
                finalOutput: textCut.text(row[23], length: row[24]))
            let order = try Self.stepOrder(id, db)
            let offset = cursor?.offset ?? 0
            let page = Array(order.dropFirst(offset).prefix(limit))
            let steps = try Self.steps(page, session: id, textCut: textCut, db)
            let errorsTotal =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM agent_errors WHERE session_id = ?", arguments: [id]) ?? 0
            let errors = try Self.errors(
                where: "session_id = ?", [id], order: "occurred_at DESC, id DESC", limit: Self.sessionErrorLimit,
                textCut: textCut, db
            ).reversed()
            return Records.Session(
                session: facts, steps: steps, stepsTotal: order.count,
                nextCursor: offset + limit < order.count ? PageCursor.offset(offset + limit).token : nil,
                errors: Array(errors), errorsTotal: errorsTotal, problems: try Self.problems(id, db))
        }
    }

    /// The id of the session `given` names: its own id, or the one id it begins (at least 4 characters).
    private static func resolve(_ given: String, _ db: Database) throws -> String {
        let id = given.lowercased()
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM agent_sessions WHERE id = ?", arguments: [id]) == true {
            return id
        }
        guard id.count >= 4 else { throw Problem.noSession(id: given) }
        // Ids are lowercase hexadecimal and dashes: the range of an index holds those that begin with `id`.
        let candidates = try String.fetchAll(
            db, sql: "SELECT id FROM agent_sessions WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
            arguments: [id, id + "\u{7F}"])
        switch candidates.count {
        case 0: throw Problem.noSession(id: given)
        case 1: return candidates[0]
        default: throw Problem.ambiguousSession(prefix: given, candidates: Array(candidates.prefix(5)))
        }
    }

    /// A step of the order: an LLM call, or a tool run of no call.
    enum StepKey: Equatable {
        case call(String)
        case tool(String)
    }

    /// Every step of the session in order: the calls by sequence, each tool run of no call placed before the first
    /// call that started after it.
    static func stepOrder(_ session: String, _ db: Database) throws -> [StepKey] {
        let calls = try Row.fetchAll(
            db, sql: "SELECT id, started_at FROM llm_calls WHERE session_id = ? ORDER BY seq, started_at, id",
            arguments: [session])
        let loose = try Row.fetchAll(
            db,
            sql: """
                SELECT id, started_at FROM tool_executions AS t
                WHERE session_id = ?1 AND (llm_call_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM llm_calls AS c WHERE c.id = t.llm_call_id AND c.session_id = ?1))
                ORDER BY started_at, id
                """,
            arguments: [session])
        var order: [StepKey] = []
        order.reserveCapacity(calls.count + loose.count)
        var next = loose.startIndex
        for call in calls {
            let start: String? = call["started_at"]
            while next < loose.endIndex, let callStart = start, let toolStart = loose[next]["started_at"] as String?,
                toolStart < callStart
            {
                order.append(.tool(loose[next]["id"]))
                next += 1
            }
            order.append(.call(call["id"]))
        }
        order += loose[next...].map { .tool($0["id"]) }
        return order
    }

    /// The steps `keys`, each call with its tool runs in order of start.
    private static func steps(_ keys: [StepKey], session: String, textCut: TextCut, _ db: Database) throws
        -> [Records.Step]
    {
        let callIDs = keys.compactMap { if case .call(let id) = $0 { id } else { nil } }
        let toolIDs = keys.compactMap { if case .tool(let id) = $0 { id } else { nil } }
        var calls: [String: Records.Call] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT id, seq, started_at, ended_at, latency_ms, model, status, finish_reason, prompt_tokens,
                       completion_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, tool_call_count,
                       \(textCut.select("input", keep: .tail)), \(textCut.select("output")),
                       \(textCut.select("thinking"))
                FROM llm_calls WHERE id IN \(placeholders(callIDs.count))
                """,
            arguments: StatementArguments(callIDs))
        {
            let id: String = row["id"]
            calls[id] = Records.Call(
                id: id, seq: row["seq"], startedAt: date(row["started_at"]), endedAt: date(row["ended_at"]),
                latencyMs: row["latency_ms"], model: row["model"], status: row["status"],
                finishReason: row["finish_reason"], promptTokens: row["prompt_tokens"],
                completionTokens: row["completion_tokens"], cacheReadTokens: row["cache_read_tokens"],
                cacheCreationTokens: row["cache_creation_tokens"],
                costUsd: (row["cost_usd"] as Double?).map(ReportRounding.dollars),
                toolCallCount: row["tool_call_count"], input: textCut.text(row[14], length: row[15], keep: .tail),
                output: textCut.text(row[16], length: row[17]), thinking: textCut.text(row[18], length: row[19]))
        }
        var toolsOfCall: [String: [Records.ToolRun]] = [:]
        for (callID, run, _) in try toolRuns(
            where: "session_id = ? AND llm_call_id IN \(placeholders(callIDs.count))",
            StatementArguments([session] + callIDs), order: "started_at, id", limit: nil, textCut: textCut, db)
        {
            toolsOfCall[callID ?? "", default: []].append(run)
        }
        var loose: [String: Records.ToolRun] = [:]
        for (_, run, _) in try toolRuns(
            where: "id IN \(placeholders(toolIDs.count))", StatementArguments(toolIDs), order: "started_at, id",
            limit: nil, textCut: textCut, db)
        {
            loose[run.id] = run
        }
        return keys.compactMap { key in
            switch key {
            case .call(let id): calls[id].map { Records.Step(kind: "llm_call", call: $0, tools: toolsOfCall[id] ?? []) }
            case .tool(let id): loose[id].map { Records.Step(kind: "tool", call: nil, tools: [$0]) }
            }
        }
    }

    /// Tool runs that match `condition`, each with the id of the call it belongs to.
    static func toolRuns(
        where condition: String, _ arguments: StatementArguments, order: String, limit: Int?, textCut: TextCut,
        _ db: Database
    ) throws -> [(callID: String?, run: Records.ToolRun, sessionID: String?)] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, session_id, llm_call_id, tool_call_id, tool_name, category, success, started_at, ended_at,
                       duration_ms, peak_rss_bytes, cpu_ms, \(textCut.select("arguments")), \(textCut.select("result")),
                       \(textCut.select("error"))
                FROM tool_executions WHERE \(condition) ORDER BY \(order) \(limit.map { "LIMIT \($0)" } ?? "")
                """,
            arguments: arguments
        ).map { row in
            (
                row["llm_call_id"],
                Records.ToolRun(
                    id: row["id"], toolCallId: row["tool_call_id"], name: row["tool_name"], category: row["category"],
                    success: row["success"], startedAt: date(row["started_at"]), endedAt: date(row["ended_at"]),
                    durationMs: row["duration_ms"], arguments: textCut.text(row[12], length: row[13]),
                    result: textCut.text(row[14], length: row[15]), error: textCut.text(row[16], length: row[17]),
                    peakRssBytes: row["peak_rss_bytes"], cpuMs: row["cpu_ms"]),
                row["session_id"]
            )
        }
    }

    /// Errors that match `condition`, in `order`.
    static func errors(
        where condition: String, _ arguments: StatementArguments, order: String, limit: Int, textCut: TextCut,
        _ db: Database
    ) throws -> [Records.ErrorEntry] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, session_id, source, tool_name, fingerprint, occurred_at, related_id,
                       \(textCut.select("message"))
                FROM agent_errors WHERE \(condition) ORDER BY \(order) LIMIT \(limit)
                """,
            arguments: arguments
        ).map { row in
            Records.ErrorEntry(
                id: row["id"], sessionId: row["session_id"], source: row["source"], toolName: row["tool_name"],
                message: textCut.text(row[7], length: row[8]), fingerprint: row["fingerprint"],
                occurredAt: date(row["occurred_at"]), relatedId: row["related_id"])
        }
    }

    /// What the session shows by itself, found now from its rows (so a running session's loops show too).
    private static func problems(_ id: String, _ db: Database) throws -> [Report.Problem] {
        var rows = try ProblemSessionRows(db)
        guard var session = try rows.session(id)?.session else { return [] }
        let finder = ProblemFinder()
        try rows.addTools(to: &session)
        if finder.needsCalls(session) { try rows.addCalls(to: &session) }
        return finder.sessionProblems(in: session)
    }

    /// `(?, ?, ...)` for `count` values (`(NULL)` for none, which matches no row).
    static func placeholders(_ count: Int) -> String {
        count == 0 ? "(NULL)" : "(" + Array(repeating: "?", count: count).joined(separator: ", ") + ")"
    }
}
