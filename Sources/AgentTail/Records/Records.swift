import Foundation

/// What the embedded store answers about past runs, for `agenttail mcp` (and anything else that asks about one
/// session, a list of them, an error pattern or a tool). Encoded with `Report.jsonEncoder`: snake-case keys, RFC 3339
/// times. Long texts are cut by `TextCut`, which says how much it left out.
package enum Records {
    /// One page of sessions, newest first.
    package struct SessionPage: Sendable, Codable, Equatable {
        /// Sessions that match the filter, on every page.
        package var total: Int
        package var sessions: [SessionSummary]
        /// Pass it back as `cursor` for the next page; nil on the last one.
        package var nextCursor: String?
    }

    package struct SessionSummary: Sendable, Codable, Equatable {
        package var id: String
        package var agent: String?
        package var status: String
        package var startedAt: Date?
        package var endedAt: Date?
        package var durationMs: Int?
        package var workspace: String?
        package var gitBranch: String?
        package var host: String?
        package var llmCalls: Int
        package var toolCalls: Int
        package var toolErrors: Int
        package var errors: Int
        package var costUsd: Double?
        /// The kinds of problem the session shows (`loop`, `failing_streak`, ...), when it has ended.
        package var problems: [String]
        package var task: String?
    }

    /// One session with its steps (a page of them), errors and problems.
    package struct Session: Sendable, Codable, Equatable {
        package var session: SessionFacts
        /// LLM calls in order, each with the tool runs it asked for; tool runs of no call are steps of their own.
        package var steps: [Step]
        /// Steps in the whole session, on every page.
        package var stepsTotal: Int
        /// Pass it back as `cursor` for the next steps; nil on the last page.
        package var nextCursor: String?
        package var errors: [ErrorEntry]
        /// Errors in the whole session (the list holds at most 50, the latest).
        package var errorsTotal: Int
        package var problems: [Report.Problem]
    }

    package struct SessionFacts: Sendable, Codable, Equatable {
        package var id: String
        package var agent: String?
        package var agentVersion: String?
        package var host: String?
        package var sourcePath: String?
        package var workspace: String?
        package var gitBranch: String?
        package var status: String
        package var startedAt: Date?
        package var endedAt: Date?
        package var durationMs: Int?
        package var llmCalls: Int
        package var toolCalls: Int
        package var toolErrors: Int
        package var promptTokens: Int?
        package var completionTokens: Int?
        package var cacheReadTokens: Int?
        package var cacheCreationTokens: Int?
        package var costUsd: Double?
        package var peakRssBytes: Int?
        package var cpuMs: Int?
        package var task: String?
        package var finalOutput: String?
    }

    /// An LLM call and the tool runs it asked for, or (with `kind` "tool") a tool run of no call.
    package struct Step: Sendable, Codable, Equatable {
        /// `llm_call` or `tool`.
        package var kind: String
        package var call: Call?
        package var tools: [ToolRun]
    }

    package struct Call: Sendable, Codable, Equatable {
        package var id: String
        package var seq: Int?
        package var startedAt: Date?
        package var endedAt: Date?
        package var latencyMs: Int?
        package var model: String?
        package var status: String?
        package var finishReason: String?
        package var promptTokens: Int?
        package var completionTokens: Int?
        package var cacheReadTokens: Int?
        package var cacheCreationTokens: Int?
        package var costUsd: Double?
        package var toolCallCount: Int?
        /// The messages sent, as JSON; when cut, the newest part is kept.
        package var input: String?
        package var output: String?
        package var thinking: String?
    }

    package struct ToolRun: Sendable, Codable, Equatable {
        package var id: String
        package var toolCallId: String?
        package var name: String?
        package var category: String?
        package var success: Bool?
        package var startedAt: Date?
        package var endedAt: Date?
        package var durationMs: Int?
        package var arguments: String?
        package var result: String?
        package var error: String?
        package var peakRssBytes: Int?
        package var cpuMs: Int?
    }

    package struct ErrorEntry: Sendable, Codable, Equatable {
        package var id: String
        package var sessionId: String?
        package var source: String?
        package var toolName: String?
        package var message: String?
        package var fingerprint: String?
        package var occurredAt: Date?
        /// The LLM call or tool run the error belongs to.
        package var relatedId: String?
    }

    /// Error patterns that match a search, most frequent first.
    package struct ErrorSearch: Sendable, Codable, Equatable {
        package var period: Report.Period?
        /// Patterns that match, on every page.
        package var total: Int
        package var groups: [ErrorGroup]
        package var nextCursor: String?
    }

    package struct ErrorGroup: Sendable, Codable, Equatable {
        package var source: String
        package var fingerprint: String
        package var count: Int
        package var sessions: Int
        package var tools: [String]
        package var firstSeen: Date?
        package var lastSeen: Date?
        /// The latest occurrences, newest first.
        package var examples: [ErrorEntry]
    }

    /// One tool over a period.
    package struct ToolStats: Sendable, Codable, Equatable {
        package var tool: String
        package var period: Report.Period
        package var categories: [String]
        package var calls: Int
        package var failures: Int
        /// Nil when the tool did not run in the period.
        package var failureRate: Double?
        package var sessions: Int
        package var p50Ms: Double?
        package var p95Ms: Double?
        package var maxMs: Int?
        /// Over the runs measured live (docs/resources.md); nil when none was.
        package var measuredRuns: Int
        package var p95PeakRssBytes: Double?
        package var maxPeakRssBytes: Int?
        package var p50CpuMs: Double?
        /// The latest failed runs, newest first, each with its session.
        package var recentFailures: [ToolFailure]
        /// When the tool did not run in the period: the tools that did, most used first.
        package var otherTools: [String]?
    }

    package struct ToolFailure: Sendable, Codable, Equatable {
        package var sessionId: String?
        package var run: ToolRun
    }
}
