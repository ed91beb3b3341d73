import AgentTailCore
import Foundation

/// A compiled set of parse rules for one agent's log format: how records are framed, what is extracted from them and
/// how they map to normalized events.
package struct RulePack: Sendable {
    /// Where the pack came from (`builtin:mini-agent` or a file path), for messages.
    package var origin: String
    package var name: String
    /// The agent name written to `agent_sessions.agent`.
    package var agent: String
    package var framing: Framing
    package var timestamp: TimestampRule
    package var session: SessionRule
    package var pairing: ToolPairing
    package var records: [RecordRule]
    package var toolCategories: [ToolCategory]
    /// The pack's own tests (`tests:`), run by `agenttail test-rules` and `agenttail check`.
    package var tests: [RuleTest] = []
    /// What the source using the pack adds to its events: its configured model and the prices of models.
    package var enrichment = CallEnrichment()

    /// The category of a tool, by the first pattern that matches its name; `other` when none does.
    package func category(ofTool name: String) -> String {
        for category in toolCategories where category.patterns.contains(where: { Glob.matches($0, name) }) {
            return category.name
        }
        return "other"
    }
}

/// How a file's bytes are cut into records.
package struct Framing: Sendable {
    package enum Mode: String, Sendable {
        /// A record opens with the `start` lines and runs until its body is complete or the next record opens.
        case multiline
        /// Every non-blank line is one record.
        case lines
    }

    package enum Body: String, Sendable {
        /// The body holds one JSON object or array (after an optional label line); it completes the record.
        case json
        /// The body is plain text; the record ends where the next one starts.
        case text
    }

    package var mode: Mode
    /// Consecutive lines that open a record (multiline mode).
    package var start: [LinePattern]
    /// The line that closes a record's head; nil when the head is just the start lines.
    package var headEnd: LinePattern?
    /// Head lines whose named groups become fields.
    package var headFields: [LinePattern]
    package var body: Body
    /// The start lines are the body's first lines (pretty-printed JSON whose opening `{` starts a record), not a head.
    package var startInBody = false
    /// Records larger than this are reported and skipped instead of held in memory.
    package var maxRecordBytes: Int
}

/// Where a record's time comes from.
package struct TimestampRule: Sendable {
    package var source: ValueSource
    package var format: TimestampFormat
}

/// What ends a session.
package struct SessionRule: Sendable {
    package enum Completion: String, Sendable {
        /// A response without tool calls is the final answer and completes the run.
        case finalResponse = "final_response"
        /// Only silence concludes a session.
        case never
    }

    package var completeOn: Completion
}

/// How tool results find the call that requested them.
package enum ToolPairing: String, Sendable {
    /// Results name the call id they answer.
    case byID = "by_id"
    /// Results follow the response's tool calls in order; the tool name is checked.
    case byOrder = "by_order"
}

/// A tool category and the tool-name globs that belong to it.
package struct ToolCategory: Sendable {
    package var name: String
    package var patterns: [String]
}
