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
    /// The value at a path in the JSON text another source holds (`{json: '$.arguments', decode: '$.command'}`);
    /// absent when that text is not JSON or the path finds nothing in it.
    case decode(ValueSource, JSONPath)
    /// A value an earlier context record remembered (`context.NAME`).
    case remembered(String)
    /// Every value a path selects (`.json`, or `.decode` into JSON text), as texts joined with a separator
    /// (`{json: '$.parts[*].text', join: "\n"}`); absent when it selects none.
    case joined(ValueSource, separator: String)
    /// `true` when another source holds one of these literals, `false` when it holds something else; absent when
    /// it holds nothing (`{json: '$.exit_code', equals: 0}`).
    case equals(ValueSource, [RecordCondition.Literal])

    package var description: String {
        switch self {
        case .capture(let name): return "capture '\(name)'"
        case .json(let path): return "'\(path)'"
        case .constant(let value): return "value '\(value)'"
        case .firstOf(let sources): return "the first of " + sources.map(\.description).joined(separator: ", ")
        case .sum(let sources): return "the sum of " + sources.map(\.description).joined(separator: ", ")
        case .extract(let source, let pattern): return "'\(pattern)' in \(source)"
        case .decode(let source, let path): return "'\(path)' in the JSON of \(source)"
        case .remembered(let name): return "'context.\(name)'"
        case .joined(let source, _): return "every value of \(source), joined"
        case .equals(let source, let literals):
            return "whether \(source) is " + literals.map(\.description).joined(separator: " or ")
        }
    }

    /// Every JSON path this source reads.
    package var paths: [JSONPath] {
        switch self {
        case .json(let path): return [path]
        case .capture, .constant, .remembered: return []
        case .firstOf(let sources), .sum(let sources): return sources.flatMap(\.paths)
        case .extract(let source, _), .decode(let source, _), .equals(let source, _), .joined(let source, _):
            return source.paths
        }
    }
}

/// What a condition reads in a record: nothing there, a JSON `null`, or a value with its text (a JSON value that is not
/// a string as its JSON text).
package enum ConditionValue: Sendable, Equatable {
    case absent
    case null
    case value(String)

    /// The value as a number, when it reads as one.
    var number: Double? {
        guard case .value(let text) = self, let number = Double(text), number.isFinite else { return nil }
        return number
    }
}

/// A condition on a record: a test of what one capture or JSON path holds.
package struct RecordCondition: Sendable {
    /// A literal a value is compared with: a text (numbers compare as numbers), or `null`.
    package enum Literal: Sendable, Equatable, CustomStringConvertible {
        case null
        case text(String)

        /// Whether `value` equals this literal: `null` for a JSON null or nothing at all; a text for the same text
        /// (a JSON value that is not a string by its JSON text), or the same number.
        func equals(_ value: ConditionValue) -> Bool {
            switch (self, value) {
            case (.null, .null), (.null, .absent): return true
            // Quoted, `'null'` is the JSON text of a null, as other values that are not strings compare by theirs.
            case (.text("null"), .null): return true
            case (.text(let text), .value(let found)):
                if text == found { return true }
                guard let number = Double(text), let other = value.number else { return false }
                return number == other
            default: return false
            }
        }

        package var description: String {
            switch self {
            case .null: return "null"
            case .text(let text): return "'\(text)'"
            }
        }
    }

    package enum Comparison: String, Sendable, CaseIterable {
        case gt, gte, lt, lte

        func holds(_ value: Double, _ bound: Double) -> Bool {
            switch self {
            case .gt: return value > bound
            case .gte: return value >= bound
            case .lt: return value < bound
            case .lte: return value <= bound
            }
        }
    }

    package enum Test: Sendable, CustomStringConvertible {
        /// The value equals one of these.
        case oneOf([Literal])
        /// The value equals none of these (nothing at all is not a text, but is `null`).
        case noneOf([Literal])
        /// The value matches this regex (anywhere, unless it is anchored).
        case matches(LinePattern)
        /// The path selects something (`null` included), or selects nothing.
        case exists(Bool)
        /// The value is a number in this relation to the bound.
        case compare(Comparison, Double)

        package var description: String {
            switch self {
            case .oneOf(let literals):
                return literals.count == 1 ? "\(literals[0])" : "one of " + literals.map(\.description).joined(separator: ", ")
            case .noneOf(let literals): return "anything but " + literals.map(\.description).joined(separator: " or ")
            case .matches(let pattern): return "a match of '\(pattern)'"
            case .exists(let wanted): return wanted ? "present" : "absent"
            case .compare(let comparison, let bound):
                let symbol = ["gt": ">", "gte": "≥", "lt": "<", "lte": "≤"][comparison.rawValue]!
                return "a number \(symbol) \(bound.formatted)"
            }
        }

        func holds(for value: ConditionValue) -> Bool {
            switch self {
            case .oneOf(let literals): return literals.contains { $0.equals(value) }
            case .noneOf(let literals): return !literals.contains { $0.equals(value) }
            case .matches(let pattern):
                guard case .value(let text) = value else { return false }
                return pattern.match(text) != nil
            case .exists(let wanted): return (value != .absent) == wanted
            case .compare(let comparison, let bound):
                guard let number = value.number else { return false }
                return comparison.holds(number, bound)
            }
        }
    }

    package var source: ValueSource
    /// All must hold.
    package var tests: [Test]

    /// What the condition asks for, for explanations.
    package var wanted: String { tests.map(\.description).joined(separator: " and ") }

    /// Whether what the record holds meets the condition.
    package func holds(for value: ConditionValue) -> Bool {
        tests.allSatisfy { $0.holds(for: value) }
    }
}

extension Double {
    /// The number as written in a rules file: whole numbers without a fraction.
    fileprivate var formatted: String {
        rounded() == self && abs(self) < 1e15 ? String(Int(self)) : String(self)
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
    /// What follows in the file: the model of the calls after it (until another context says otherwise), and facts
    /// about the whole run.
    case context
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
                "reasoning_tokens": .int, "tool_calls": .toolCalls, "message_id": .text, "sidechain": .bool,
            ]
        case .toolResult:
            return [
                "tool_name": .text, "tool_call_id": .text, "arguments": .json, "success": .bool, "failed": .bool,
                "result": .text, "error": .text, "duration_ms": .number, "duration_seconds": .number,
            ]
        case .error:
            return ["message": .text, "tool_name": .text]
        case .llmError:
            return ["message": .text]
        case .context:
            return ["model": .text]
        case .interruption, .ignore:
            return [:]
        }
    }

    /// Fields about the whole run that every rule but `ignore` may set besides its own (the first value a session
    /// gets is kept).
    package static let sessionFields: [String: FieldType] = [
        "workspace": .text, "git_branch": .text, "agent_version": .text, "agent_session_id": .text,
    ]
}

/// How a response takes part in the LLM call it belongs to, for formats that write one model request over several
/// records without an id that ties them together.
package enum CallPart: String, Sendable, CaseIterable {
    /// The response is a call of its own (unless its `message_id` continues a recent one).
    case own
    /// The response adds to the call still open, or opens one.
    case `continue`
    /// The response adds to the call still open, or opens one, and closes it: the next response starts a new call.
    case end
}

/// How an extracted value is interpreted.
package enum FieldType: Sendable {
    /// A string; a JSON value that is not a string is kept as its JSON text.
    case text
    /// JSON text, kept as written.
    case json
    case bool
    case int
    /// A number, fractions allowed.
    case number
    /// A list of `{id, name, arguments}` read from each element matched by a path.
    case toolCalls
}

/// How one field of an emitted event is read.
package enum FieldSpec: Sendable {
    case value(ValueSource)
    /// For `tool_calls`: every element matched by `each`, with sub-fields read from it (`$` and `@` both start at
    /// the element).
    case each(Elements, id: ValueSource?, name: ValueSource, arguments: ValueSource?)

    /// Where the elements of `tool_calls` are: in the record, or in JSON text a source holds.
    package enum Elements: Sendable {
        case path(JSONPath)
        /// Every value the path selects in the JSON text the source holds (`{json: '$.text', decode: '$.calls[*]'}`).
        case decoded(ValueSource, JSONPath)
    }
}

/// One event a rule makes of a record.
package struct EventSpec: Sendable {
    package var kind: EmitKind
    package var fields: [String: FieldSpec]
    /// For responses: how the response joins the call it belongs to.
    package var call: CallPart = .own
    /// For contexts: values kept for the conditions of the records that follow (`context.NAME`), until another
    /// context record says them again.
    package var remember: [(name: String, source: ValueSource)] = []
}

/// One mapping rule: records meeting `conditions` emit `kind` with `fields`, then the events of `also`.
package struct RecordRule: Sendable {
    package var name: String
    package var conditions: [RecordCondition]
    /// When set, the rule emits one event per value this path selects (`@` paths read that value), and matches
    /// only records where it selects at least one.
    package var each: JSONPath?
    /// The rule's event: one, or one per element of `each`.
    package var event: EventSpec
    /// Further events made of the same record, in order, after the rule's own.
    package var also: [EventSpec] = []
    /// Where each JSON path of the fields is written, for errors found by running the pack's tests.
    package var pathLocations: [PathLocation] = []
    /// Where the rule is written, for warnings about it.
    package var location: RuleLocation?

    package var kind: EmitKind { event.kind }
    package var fields: [String: FieldSpec] { event.fields }
    /// Every event the rule makes, its own first.
    package var events: [EventSpec] { [event] + also }
}

/// Where a rules file writes something: `file:line:column` and its key path.
package struct RuleLocation: Sendable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int
    package var keyPath: String

    package var description: String { "\(file):\(line):\(column)" }
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
