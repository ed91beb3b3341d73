import AgentTailCore
import Foundation

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
