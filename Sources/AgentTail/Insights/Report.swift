import AgentTailCore
import Foundation

/// What `agenttail report` answers for one period: the stable machine contract of `--format json`, documented in
/// docs/report.md. Field names are written in snake case; a later version only adds fields.
package struct Report: Sendable, Codable, Equatable {
    /// The version of this contract.
    package var schemaVersion = 1
    /// Where the figures come from: `local` or `supabase`.
    package var source: String
    package var period: Period
    package var sessions: Sessions
    package var llmCalls: LLMCalls
    /// Tokens and cost per model, costliest first.
    package var models: [ModelUsage]
    /// Per tool and category, most used first.
    package var tools: [ToolUsage]
    /// The most frequent error patterns, most frequent first.
    package var errors: [ErrorPattern]
    /// The longest sessions of the period, longest first.
    package var slowestSessions: [SessionSummary]
    /// The costliest sessions of the period, costliest first.
    package var costliestSessions: [SessionSummary]
    /// The period split by the `--by` dimension, when one was asked for.
    package var groups: Groups?
    /// What changed against the baseline.
    package var anomalies: [Anomaly] = []
    /// What went wrong inside single sessions.
    package var problems: [Problem] = []
    /// What the reader should know about the figures (models without a price, too little data).
    package var notes: [String] = []
    /// Day by day, from the start of the baseline to the end of the period, for charts.
    package var days: [Day] = []

    /// One UTC day of the timeline.
    package struct Day: Sendable, Codable, Equatable {
        /// `YYYY-MM-DD`.
        package var day: String
        /// False for the baseline's days before the period.
        package var inPeriod: Bool
        package var sessions = 0
        package var completed = 0
        package var failed = 0
        /// LLM cost per model; models without a priced call are left out.
        package var costByModel: [String: Double] = [:]
        /// Occurrences per error pattern of `errors`, keyed `SOURCE FINGERPRINT`.
        package var errorsByPattern: [String: Int] = [:]
    }

    /// The half-open interval `[from, to)` the report covers, in UTC.
    package struct Period: Sendable, Codable, Equatable {
        package var from: Date
        package var to: Date
    }

    package struct Sessions: Sendable, Codable, Equatable {
        package var total = 0
        package var completed = 0
        package var failed = 0
        package var abandoned = 0
        package var interrupted = 0
        package var running = 0
        /// Completed among the sessions that ended; nil when none ended.
        package var successRate: Double?
        package var p50DurationMs: Double?
        package var p95DurationMs: Double?
        package var costUsd: Double?
    }

    package struct LLMCalls: Sendable, Codable, Equatable {
        package var total = 0
        /// Calls whose status is not `ok`.
        package var failed = 0
        package var p50Ms: Double?
        package var p95Ms: Double?
        package var promptTokens = 0
        package var completionTokens = 0
        package var cacheReadTokens = 0
        package var cacheCreationTokens = 0
        /// The cost of the calls whose model has a price; nil when no call has one.
        package var costUsd: Double?
        /// Calls that reported tokens for a model without a price: their cost is not in `cost_usd`.
        package var unpricedCalls = 0
    }

    package struct ModelUsage: Sendable, Codable, Equatable {
        package var model: String
        package var calls: Int
        package var promptTokens: Int
        package var completionTokens: Int
        package var cacheReadTokens: Int
        package var cacheCreationTokens: Int
        /// Nil when no call of the model could be priced.
        package var costUsd: Double?
    }

    package struct ToolUsage: Sendable, Codable, Equatable {
        package var name: String
        package var category: String?
        package var calls: Int
        package var failures: Int
        package var failureRate: Double
        package var p50Ms: Double?
        package var p95Ms: Double?
        /// Over the runs measured live (docs/resources.md); nil when none was.
        package var p95PeakRssBytes: Double? = nil
        package var p50CpuMs: Double? = nil
    }

    package struct ErrorPattern: Sendable, Codable, Equatable {
        package var source: String
        package var fingerprint: String
        package var count: Int
        package var sessions: Int
        /// The latest message of the pattern.
        package var example: String
        package var firstSeen: Date?
        package var lastSeen: Date?
    }

    package struct SessionSummary: Sendable, Codable, Equatable {
        package var id: String
        package var agent: String?
        package var status: String
        package var startedAt: Date?
        package var durationMs: Int?
        package var costUsd: Double?
        package var llmCalls: Int
        package var toolCalls: Int
        package var task: String?
    }

    package struct Groups: Sendable, Codable, Equatable {
        /// The dimension: day, agent, model, workspace, branch or host.
        package var by: String
        package var rows: [Group]
    }

    /// One value of the `--by` dimension. For `model`, session figures count the sessions that called the model,
    /// and tool figures are absent (a tool run belongs to no model).
    package struct Group: Sendable, Codable, Equatable {
        /// The value; nil for rows that have none (a session without a workspace, say).
        package var key: String?
        package var sessions: Int
        package var completed: Int
        package var failed: Int
        package var llmCalls: Int
        package var promptTokens: Int
        package var completionTokens: Int
        package var costUsd: Double?
        package var toolCalls: Int?
        package var toolFailures: Int?
    }

    package struct Anomaly: Sendable, Codable, Equatable {
        /// What changed: `agent`, `tool:NAME` or `model:NAME`.
        package var subject: String
        /// Which figure: `failure_rate`, `p50_duration_ms`, `cost_per_session_usd`, ...
        package var metric: String
        package var value: Double
        package var baseline: Double
        /// One line a person reads: what, how much, against what, on how many cases.
        package var explanation: String
        /// `period` (the report's period against the baseline before it) or `week_over_week` (the last seven days
        /// against the seven before: a slow drift).
        package var comparison: String
    }

    package struct Problem: Sendable, Codable, Equatable {
        /// `loop`, `repeated_read`, `failing_streak`, `no_final_answer`, `llm_retries_exhausted`, `outlier_session`.
        package var kind: String
        package var sessionId: String
        package var explanation: String
        /// The ids of the rows that show it (LLM calls or tool runs), in order.
        package var evidence: [String]
    }
}

extension Report {
    /// The encoder of the JSON contract: snake-case keys, RFC 3339 dates, sorted keys for stable output.
    package static var jsonEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.rfc3339)
        }
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Reads the RFC 3339 times of the contract (and of the stores).
    package static let timestamps = try! TimestampFormat(format: "iso8601", timeZone: "UTC")

    /// The decoder that reads what `jsonEncoder` wrote.
    package static var jsonDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Report.timestamps.parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 time: \(text)"))
            }
            return date
        }
        return decoder
    }
}
