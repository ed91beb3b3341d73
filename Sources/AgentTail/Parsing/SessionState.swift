import Foundation

/// How a session stands.
package enum SessionStatus: String, Sendable, Codable {
    case running, completed, failed, abandoned
    /// The user stopped the agent and nothing came after.
    case interrupted
}

/// Everything the correlator remembers about one file's session between records; persisted with the checkpoint.
package struct SessionState: Sendable, Codable, Equatable {
    /// An LLM request still waiting for its response.
    package struct PendingRequest: Sendable, Codable, Equatable {
        package var callID: UUID
        /// 1-based position of the call in the session.
        package var seq: Int
        package var offset: Int64
        package var startedAt: Date
        package var input: String?
        package var model: String?
        /// Set once silence concluded the call as unanswered; a late response then updates the same row.
        package var reportedUnanswered = false
        /// Set when the agent reported that the model's API failed for this request.
        package var failed: Bool?
    }

    /// A tool call requested by the last response that has not had its result yet.
    package struct PendingToolCall: Sendable, Codable, Equatable {
        package var call: ToolCall
        package var llmCallID: UUID
        /// Time of the record that asked for the call; results paired by id are timed from it.
        package var requestedAt: Date?
    }

    /// An answered call whose message may go on in the next records (formats that write a message's content
    /// blocks one record each, telling them by `message_id`).
    package struct OpenResponse: Sendable, Codable, Equatable {
        /// Nil for the call being built from a response without a message id (it is never continued).
        package var messageID: String?
        package var request: PendingRequest
        /// Everything the message's records said so far.
        package var response: Observation.LLMResponse
        /// Offset of the message's first record.
        package var responseOffset: Int64
        /// Time of the message's last record.
        package var endedAt: Date
        /// What the call's last row counted into the session's usage.
        package var counted: Usage?
        /// Set when the user stopped the answer while it was being written.
        package var interrupted: Bool?
        /// Set while the parts of a response that follow (`call: continue` or `end`) join this call.
        package var joinable: Bool?
    }

    /// The model a source's configuration names, looked up once when the session starts.
    package struct ModelLookup: Sendable, Codable, Equatable {
        package var model: String?
    }

    package var status = SessionStatus.running
    package var sourcePath: String
    package var startedAt: Date?
    package var endedAt: Date?
    /// Time of the last record, the start of the next tool execution.
    package var lastRecordAt: Date?
    package var task: String?
    package var finalOutput: String?
    package var llmCalls = 0
    /// Sequence number given to the last LLM call started.
    package var lastSeq = 0
    package var toolCalls = 0
    package var toolErrors = 0
    package var parseErrors = 0
    package var pendingRequest: PendingRequest?
    package var pendingToolCalls: [PendingToolCall] = []
    package var lastLLMCallID: UUID?
    /// The last few responses that carried a message id, newest last; nil for formats without message ids.
    package var openResponses: [OpenResponse]?
    /// True once any record was seen: only then does the session have a row.
    package var hasRecords = false
    /// File offset of the last record (or stray text) the session took in; nil before the first.
    package var lastRecordOffset: Int64?
    /// True when reading stopped inside a run of stray lines that was already reported, so that the rest of the run
    /// is not reported again after a restart. Absent (nil) otherwise.
    package var strayTextReported: Bool?
    /// Where the work happened, as the first records that say it tell.
    package var facts: SessionFacts?
    /// The model the last context record named, for the calls that do not say theirs.
    package var contextModel: String?
    /// The values context records remembered for the rules' conditions (`context.NAME`); nil when none.
    package var remembered: [String: String]?
    /// The configured model (for logs that do not write one); nil until looked up.
    package var modelLookup: ModelLookup?
    /// The sum of the calls' tokens and cost.
    package var usage: Usage?
    /// Models whose calls had tokens but no known price, sorted.
    package var unpricedModels: [String]?
    /// Set while the last thing the session said was that the model's API failed.
    package var endedOnError: Bool?
    /// Set while the last event was (part of) an answer of the main conversation, which an interruption cuts.
    package var answering: Bool?
    /// What the session's tool runs used, where they were measured live; nil when none was.
    package var resources: SessionResources?

    /// The sum of what a session's measured tool runs used.
    package struct SessionResources: Sendable, Codable, Equatable {
        /// The highest resident memory of the agent's tree seen while a tool ran.
        package var peakRSSBytes: Int64
        /// The CPU time the agent's tree used while its tools ran.
        package var cpuMs: Int
    }

    package init(sourcePath: String) {
        self.sourcePath = sourcePath
    }
}
