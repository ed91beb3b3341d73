import Foundation

/// Where a parsed record sits in its file and when it was written.
package struct RecordInfo: Sendable, Equatable {
    /// File offset of the record's first byte.
    package var offset: Int64
    /// Length of the record in bytes.
    package var length: Int
    package var timestamp: Date
    /// Name of the record rule that matched.
    package var rule: String
    /// What the record says about the whole run, if anything.
    package var session: SessionFacts? = nil
}

/// Facts about a run that a record may carry beside its event: where the work happened and with what.
package struct SessionFacts: Sendable, Equatable, Codable {
    /// The folder the agent worked in.
    package var workspace: String?
    package var gitBranch: String?
    /// The agent's own version.
    package var agentVersion: String?
    /// The agent's own id for the run (Codex's session id), kept in the session's metadata.
    package var agentSessionID: String?

    package var isEmpty: Bool { workspace == nil && gitBranch == nil && agentVersion == nil && agentSessionID == nil }

    /// Takes from `other` each fact not known yet: the first value of a fact wins.
    package mutating func keepFirst(of other: SessionFacts) {
        workspace = workspace ?? other.workspace
        gitBranch = gitBranch ?? other.gitBranch
        agentVersion = agentVersion ?? other.agentVersion
        agentSessionID = agentSessionID ?? other.agentSessionID
    }
}

/// What one record says, in the correlator's vocabulary.
package enum Observation: Sendable, Equatable {
    case llmRequest(LLMRequest)
    /// A response, or part of one: `call` says how it joins the call it belongs to.
    case llmResponse(LLMResponse, call: CallPart = .own)
    case toolResult(ToolResult)
    case agentError(message: String, toolName: String?)
    /// The model's API failed (the agent gave up on the request): an error of the call waiting for its answer.
    case llmError(message: String)
    /// The user stopped the agent: the call being answered ends `interrupted`, and so does the turn.
    case interruption
    /// What holds for the records that follow: the model calls use when they do not say, and the values the
    /// rules remember for their conditions (nil: no longer known).
    case context(model: String?, remembered: [Remembered] = [])
    case ignored

    package struct Remembered: Sendable, Equatable {
        package var name: String
        package var value: String?
    }

    package struct LLMRequest: Sendable, Equatable {
        /// The messages sent, as JSON text.
        package var input: String?
        package var task: String?
        package var model: String?
        /// The tools offered, as JSON text.
        package var tools: String?
    }

    package struct LLMResponse: Sendable, Equatable, Codable {
        package var output: String?
        package var thinking: String?
        package var finishReason: String?
        package var model: String?
        /// The whole prompt: fresh tokens, cache reads and cache writes.
        package var promptTokens: Int?
        package var completionTokens: Int?
        /// The part of the prompt read from the provider's cache.
        package var cacheReadTokens: Int?
        /// The part of the prompt written to the provider's cache.
        package var cacheCreationTokens: Int?
        /// The part of the completion spent reasoning.
        package var reasoningTokens: Int?
        /// The message this response belongs to, for formats that write one message over several records: a
        /// response with the same id as a recent one continues it.
        package var messageID: String?
        /// True for a sub-agent's response: it never ends the session, and its call is marked as a sub-agent's.
        package var sidechain: Bool?
        package var toolCalls: [ToolCall] = []
    }

    package struct ToolResult: Sendable, Equatable {
        package var toolName: String?
        package var toolCallID: String?
        /// The arguments, as JSON text.
        package var arguments: String?
        package var success: Bool?
        package var result: String?
        package var error: String?
        /// How long the tool ran, as the agent measured it; wins over the records' times.
        package var durationMs: Double?
    }
}

/// A tool call requested by an LLM response.
package struct ToolCall: Sendable, Equatable, Codable {
    package var id: String?
    package var name: String
    /// The arguments, as JSON text.
    package var arguments: String?
}

/// The outcome of parsing one framed record.
package enum ParsedRecord: Sendable, Equatable {
    /// What the record says: one observation, or one per element of its rule's `each`.
    case observation(RecordInfo, [Observation])
    /// The record could not be understood; it becomes a parser error row.
    case failure(offset: Int64, length: Int, timestamp: Date?, message: String)
    /// A record without a time that an `ignore` rule matched: it leaves no trace.
    case ignored(offset: Int64, length: Int, rule: String)

    package var offset: Int64 {
        switch self {
        case .observation(let info, _): return info.offset
        case .failure(let offset, _, _, _): return offset
        case .ignored(let offset, _, _): return offset
        }
    }
}
