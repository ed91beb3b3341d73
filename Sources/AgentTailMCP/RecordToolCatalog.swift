import AgentTail
import MCP

/// The tools `agenttail mcp` offers, as `tools/list` describes them: names, what each answers, the JSON Schema of
/// its arguments and of its structured result.
enum RecordToolCatalog {
    static let listSessions = "list_sessions"
    static let getSession = "get_session"
    static let report = "report"
    static let searchErrors = "search_errors"
    static let toolStats = "tool_stats"

    static let all: [Tool] = [
        Tool(
            name: listSessions, title: "List agent sessions",
            description: """
                Lists the agent's recorded sessions (runs), newest first, with status, duration, LLM calls, tool \
                runs, errors, cost, problems found (loop, failing_streak, ...) and the start of the task. Filter by \
                period, status, agent, workspace, branch, host or text in the task. Returns at most `limit` \
                sessions; pass `next_cursor` back as `cursor` for more. Use get_session for one session's steps.
                """,
            inputSchema: JSONSchema.object(
                periodArguments(default: "all time").merging([
                    "status": JSONSchema.string(
                        "Only sessions with this outcome.", choices: RecordReader.SessionFilter.statuses),
                    "agent": JSONSchema.string("Only this agent (mini-agent, claude-code, ...)."),
                    "workspace": JSONSchema.string("Only sessions whose workspace path contains this."),
                    "branch": JSONSchema.string("Only sessions on this git branch."),
                    "host": JSONSchema.string("Only sessions of this host."),
                    "text": JSONSchema.string("Only sessions whose task contains this (any case)."),
                    "limit": JSONSchema.integer("Sessions per page.", range: RecordTools.sessionLimits, default: 20),
                    "cursor": cursorArgument,
                    "text_limit": textLimitArgument,
                ]) { $1 }),
            annotations: readOnly,
            outputSchema: JSONSchema.record([
                "total": JSONSchema.type("integer"),
                "sessions": JSONSchema.array(of: sessionSummary),
                "next_cursor": JSONSchema.type("string", "null"),
            ])),
        Tool(
            name: getSession, title: "Show one session",
            description: """
                Shows one session: its facts (task, outcome, duration, tokens, cost, memory), its steps in order \
                (each LLM call with model, latency, tokens, cost, output and the tool runs it asked for, with \
                arguments, result or error, duration and memory), its errors and the problems found in it. Long \
                texts are cut with a marker saying how much was left out (a call's input keeps its newest part). \
                Returns at most `limit` steps; pass `next_cursor` back as `cursor` for more. `id` is a session id \
                from list_sessions (its first 8 characters are enough).
                """,
            inputSchema: JSONSchema.object(
                [
                    "id": JSONSchema.string("The session's id, or the beginning of it (at least 4 characters)."),
                    "limit": JSONSchema.integer("Steps per page.", range: RecordTools.stepLimits, default: 20),
                    "cursor": cursorArgument,
                    "text_limit": textLimitArgument,
                ], required: ["id"]),
            annotations: readOnly,
            outputSchema: JSONSchema.record([
                "session": JSONSchema.record([
                    "id": JSONSchema.type("string"), "status": JSONSchema.type("string"),
                    "llm_calls": JSONSchema.type("integer"), "tool_calls": JSONSchema.type("integer"),
                ]),
                "steps": JSONSchema.array(
                    of: JSONSchema.record([
                        "kind": JSONSchema.string("llm_call or tool", choices: ["llm_call", "tool"]),
                        "tools": JSONSchema.array(of: toolRun),
                    ])),
                "steps_total": JSONSchema.type("integer"),
                "next_cursor": JSONSchema.type("string", "null"),
                "errors": JSONSchema.array(of: errorEntry),
                "errors_total": JSONSchema.type("integer"),
                "problems": JSONSchema.array(of: problem),
            ])),
        Tool(
            name: report, title: "Report on a period",
            description: """
                The report of a period, as `agenttail report --format json` gives it: sessions by outcome, LLM calls \
                (latency, tokens, cost by model), each tool's calls, failure rate, durations and memory, the most \
                frequent error patterns, the slowest and costliest sessions, anomalies against the week before, \
                problems inside sessions (loops, failing streaks, no final answer, ...), optionally split by a \
                dimension. The period is the last 24 hours unless given.
                """,
            inputSchema: JSONSchema.object(
                periodArguments(default: "the last 24 hours").merging([
                    "by": JSONSchema.string(
                        "Split the period by this dimension.", choices: ReportQuery.Dimension.allCases.map(\.rawValue)),
                    "errors": JSONSchema.integer(
                        "How many error patterns to list.", range: RecordTools.errorPatternLimits, default: 10),
                    "problems": JSONSchema.integer(
                        "How many problems to list (a note says how many were found).",
                        range: RecordTools.problemLimits, default: 50),
                ]) { $1 }),
            annotations: readOnly,
            outputSchema: JSONSchema.record([
                "schema_version": JSONSchema.type("integer"),
                "period": JSONSchema.record(["from": JSONSchema.type("string"), "to": JSONSchema.type("string")]),
                "sessions": JSONSchema.record(["total": JSONSchema.type("integer")]),
                "llm_calls": JSONSchema.record(["total": JSONSchema.type("integer")]),
                "models": JSONSchema.type("array"),
                "tools": JSONSchema.type("array"),
                "errors": JSONSchema.type("array"),
                "anomalies": JSONSchema.type("array"),
                "problems": JSONSchema.array(of: problem),
                "notes": JSONSchema.array(of: JSONSchema.type("string")),
            ])),
        Tool(
            name: searchErrors, title: "Search errors",
            description: """
                Finds recorded errors by text in their message or by pattern fingerprint (as listed by report or by \
                an earlier search), grouped by pattern, most frequent first: each group with its count, sessions, \
                tools, first and last time, and its latest occurrences (message, session, when). Filter by period, \
                source (llm, tool, agent, parser) or tool. Returns at most `limit` groups; pass `next_cursor` back \
                as `cursor` for more.
                """,
            inputSchema: JSONSchema.object(
                periodArguments(default: "all time").merging([
                    "text": JSONSchema.string("Only errors whose message contains this (any case)."),
                    "fingerprint": JSONSchema.string("Only the pattern with this fingerprint (or its beginning)."),
                    "source": JSONSchema.string("Only errors from this source.", choices: RecordTools.errorSources),
                    "tool": JSONSchema.string("Only errors of this tool."),
                    "limit": JSONSchema.integer("Patterns per page.", range: RecordTools.errorPatternLimits, default: 10),
                    "examples": JSONSchema.integer(
                        "Latest occurrences shown per pattern.", range: RecordTools.exampleLimits, default: 3),
                    "cursor": cursorArgument,
                    "text_limit": textLimitArgument,
                ]) { $1 }),
            annotations: readOnly,
            outputSchema: JSONSchema.record([
                "total": JSONSchema.type("integer"),
                "groups": JSONSchema.array(
                    of: JSONSchema.record([
                        "source": JSONSchema.type("string"), "fingerprint": JSONSchema.type("string"),
                        "count": JSONSchema.type("integer"), "sessions": JSONSchema.type("integer"),
                        "examples": JSONSchema.array(of: errorEntry),
                    ])),
                "next_cursor": JSONSchema.type("string", "null"),
            ])),
        Tool(
            name: toolStats, title: "One tool's figures",
            description: """
                One tool (bash, read_file, ...) over a period: calls, failures and failure rate, sessions, duration \
                percentiles, memory and CPU where measured, and its latest failed runs with their arguments, error \
                and session. The period is the last 7 days unless given. When the tool did not run, `other_tools` \
                lists those that did.
                """,
            inputSchema: JSONSchema.object(
                periodArguments(default: "the last 7 days").merging([
                    "tool": JSONSchema.string("The tool's name, as the agent calls it."),
                    "failures": JSONSchema.integer(
                        "How many of the latest failed runs to show.", range: RecordTools.failureLimits, default: 5),
                    "text_limit": textLimitArgument,
                ]) { $1 }, required: ["tool"]),
            annotations: readOnly,
            outputSchema: JSONSchema.record([
                "tool": JSONSchema.type("string"),
                "calls": JSONSchema.type("integer"),
                "failures": JSONSchema.type("integer"),
                "failure_rate": JSONSchema.type("number", "null"),
                "recent_failures": JSONSchema.array(
                    of: JSONSchema.record(["session_id": JSONSchema.type("string", "null"), "run": toolRun])),
            ])),
    ]

    /// Every tool reads the store and nothing else.
    private static let readOnly = Tool.Annotations(
        readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false)

    private static func periodArguments(default period: String) -> [String: Value] {
        [
            "since": JSONSchema.string("The period up to now: 90m, 24h, 7d, 2w. Default: \(period)."),
            "day": JSONSchema.string("One UTC day: YYYY-MM-DD."),
            "week": JSONSchema.string("One ISO week: YYYY-Www, or `last` (the last one that ended)."),
            "from": JSONSchema.string("The start of the period: a day (YYYY-MM-DD) or an RFC 3339 time."),
            "to": JSONSchema.string("The end of the period (excluded), with `from`; default now."),
        ]
    }

    private static let cursorArgument = JSONSchema.string("`next_cursor` of the previous page, to get the next one.")

    private static let textLimitArgument = JSONSchema.integer(
        "The longest a text (task, output, argument, error) is kept, in characters; longer ones are cut with a "
            + "marker.", range: RecordTools.textLimits, default: RecordTools.defaultTextLimit)

    private static let sessionSummary = JSONSchema.record([
        "id": JSONSchema.type("string"), "status": JSONSchema.type("string"),
        "started_at": JSONSchema.type("string", "null"), "llm_calls": JSONSchema.type("integer"),
        "tool_calls": JSONSchema.type("integer"), "errors": JSONSchema.type("integer"),
        "problems": JSONSchema.array(of: JSONSchema.type("string")),
    ])

    private static let toolRun = JSONSchema.record([
        "id": JSONSchema.type("string"), "name": JSONSchema.type("string", "null"),
        "success": JSONSchema.type("boolean", "null"), "duration_ms": JSONSchema.type("integer", "null"),
    ])

    private static let errorEntry = JSONSchema.record([
        "id": JSONSchema.type("string"), "session_id": JSONSchema.type("string", "null"),
        "message": JSONSchema.type("string", "null"), "occurred_at": JSONSchema.type("string", "null"),
    ])

    private static let problem = JSONSchema.record([
        "kind": JSONSchema.type("string"), "session_id": JSONSchema.type("string"),
        "explanation": JSONSchema.type("string"), "evidence": JSONSchema.array(of: JSONSchema.type("string")),
    ])
}
