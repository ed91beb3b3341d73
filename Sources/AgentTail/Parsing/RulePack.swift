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

/// Where a value is read from in a record.
package indirect enum ValueSource: Sendable, CustomStringConvertible {
    /// A named group of a head or start pattern.
    case capture(String)
    /// A JSON path into the record's body (`$…`), or into the element of the rule's `each` (`@…`).
    case json(JSONPath)
    /// A fixed value.
    case constant(String)
    /// The text a regex's one named group captures in what another source holds; absent when it does not match.
    case extract(ValueSource, LinePattern)
    /// The first of these sources that has a value (a field written as a list).
    case firstOf([ValueSource])
    /// The sum of the whole numbers these sources hold; absent when none has a value (`{sum: [...]}`).
    case sum([ValueSource])

    package var description: String {
        switch self {
        case .capture(let name): return "capture '\(name)'"
        case .json(let path): return "'\(path)'"
        case .constant(let value): return "value '\(value)'"
        case .firstOf(let sources): return "the first of " + sources.map(\.description).joined(separator: ", ")
        case .sum(let sources): return "the sum of " + sources.map(\.description).joined(separator: ", ")
        case .extract(let source, let pattern): return "'\(pattern)' in \(source)"
        }
    }

    /// Every JSON path this source reads.
    package var paths: [JSONPath] {
        switch self {
        case .json(let path): return [path]
        case .capture, .constant: return []
        case .firstOf(let sources), .sum(let sources): return sources.flatMap(\.paths)
        case .extract(let source, _): return source.paths
        }
    }
}

/// A condition on a record: a capture or JSON value equals one of some texts, or matches a regex.
package struct RecordCondition: Sendable {
    package var source: ValueSource
    package var equals: [String]
    /// When set, the value must match this regex (anywhere, unless it is anchored) instead.
    package var matches: LinePattern?

    /// Whether a value read from a record meets the condition; an absent value never does.
    package func holds(for value: String?) -> Bool {
        guard let value else { return false }
        if let matches { return matches.match(value) != nil }
        return equals.contains(value)
    }
}

/// What a record becomes.
package enum EmitKind: String, Sendable, CaseIterable {
    case llmRequest = "llm_request"
    case llmResponse = "llm_response"
    case toolResult = "tool_result"
    case error
    case llmError = "llm_error"
    case interruption
    case ignore

    /// The fields a rule may set for this kind, with the type each is read as.
    package var fields: [String: FieldType] {
        switch self {
        case .llmRequest:
            return ["input": .json, "task": .text, "model": .text, "tools": .json]
        case .llmResponse:
            return [
                "output": .text, "thinking": .text, "finish_reason": .text, "model": .text, "prompt_tokens": .int,
                "completion_tokens": .int, "cache_read_tokens": .int, "cache_creation_tokens": .int,
                "tool_calls": .toolCalls, "message_id": .text, "sidechain": .bool,
            ]
        case .toolResult:
            return [
                "tool_name": .text, "tool_call_id": .text, "arguments": .json, "success": .bool, "failed": .bool,
                "result": .text, "error": .text,
            ]
        case .error:
            return ["message": .text, "tool_name": .text]
        case .llmError:
            return ["message": .text]
        case .interruption, .ignore:
            return [:]
        }
    }

    /// Fields about the whole run that every rule but `ignore` may set besides its own (the first value a session
    /// gets is kept).
    package static let sessionFields: [String: FieldType] = [
        "workspace": .text, "git_branch": .text, "agent_version": .text,
    ]
}

/// How an extracted value is interpreted.
package enum FieldType: Sendable {
    /// A string; a JSON value that is not a string is kept as its JSON text.
    case text
    /// JSON text, kept as written.
    case json
    case bool
    case int
    /// A list of `{id, name, arguments}` read from each element matched by a path.
    case toolCalls
}

/// How one field of an emitted event is read.
package enum FieldSpec: Sendable {
    case value(ValueSource)
    /// For `tool_calls`: every element matched by `each`, with sub-fields read relative to it.
    case each(JSONPath, id: JSONPath?, name: JSONPath, arguments: JSONPath?)
}

/// One mapping rule: records meeting `conditions` emit `kind` with `fields`.
package struct RecordRule: Sendable {
    package var name: String
    package var conditions: [RecordCondition]
    /// When set, the rule emits one event per value this path selects (`@` paths read that value), and matches
    /// only records where it selects at least one.
    package var each: JSONPath?
    package var kind: EmitKind
    package var fields: [String: FieldSpec]
    /// Where each JSON path of the fields is written, for errors found by running the pack's tests.
    package var pathLocations: [PathLocation] = []
}

/// A JSON path a rule reads and where the rules file writes it.
package struct PathLocation: Sendable {
    package var path: JSONPath
    package var file: String
    package var line: Int
    package var column: Int
    package var keyPath: String

    package func error(_ message: String) -> ConfigError {
        .invalid(file: file, line: line, column: column, keyPath: keyPath, message: message)
    }
}
