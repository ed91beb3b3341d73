import AgentTailCore
import Foundation

/// Turns framed records into observations with a rule pack, reading only the JSON paths the rules ask for.
package struct RecordParser: Sendable {
    package let rules: RulePack

    package init(rules: RulePack) {
        self.rules = rules
    }

    /// Parses one record; never throws: what cannot be understood comes back as `.failure` with the reason.
    /// - Parameter memory: the values earlier context records remembered (`context.NAME`).
    package func parse(_ record: FramedRecord, memory: [String: String] = [:]) -> ParsedRecord {
        let length = record.bytes.count
        if let problem = record.problem {
            return .failure(
                offset: record.offset, length: length, timestamp: headTimestamp(of: record), message: problem.description)
        }
        var scanner: JSONScanner?
        var root: JSONSlice?
        if rules.framing.body == .json {
            guard let body = record.body else {
                return .failure(offset: record.offset, length: length, timestamp: nil, message: "the record has no JSON body")
            }
            var jsonScanner = JSONScanner(record.bytes)
            do {
                root = try jsonScanner.validateValue(in: body)
            } catch {
                return .failure(
                    offset: record.offset, length: length, timestamp: headTimestamp(of: record),
                    message: "invalid JSON body: \(error)")
            }
            scanner = jsonScanner
        }
        do {
            guard let time = try timestamp(of: record, scanner: scanner, root: root, memory: memory) else {
                if let (rule, _) = try matchingRule(record, scanner: scanner, root: root, memory: memory), rule.kind == .ignore {
                    // Bookkeeping lines without a time (summaries, snapshots) that the rules skip anyway.
                    return .ignored(offset: record.offset, length: length, rule: rule.name)
                }
                return .failure(
                    offset: record.offset, length: length, timestamp: nil,
                    message: "the record has no timestamp (\(rules.timestamp.source))")
            }
            guard let (rule, elements) = try matchingRule(record, scanner: scanner, root: root, memory: memory) else {
                let type = record.captures["type"].map { " (type \($0))" } ?? ""
                return .failure(
                    offset: record.offset, length: length, timestamp: time,
                    message: "no record rule matches this record\(type)")
            }
            var info = RecordInfo(offset: record.offset, length: length, timestamp: time, rule: rule.name)
            info.session = try sessionFacts(of: rule, record: record, scanner: scanner, root: root, memory: memory)
            var observations: [Observation] = []
            for element in elements.map({ $0.map(Optional.some) }) ?? [nil] {
                let reader = FieldReader(record: record, scanner: scanner, root: root, element: element, spec: rule.event, memory: memory)
                observations.append(try reader.observation())
            }
            for spec in rule.also {
                let reader = FieldReader(record: record, scanner: scanner, root: root, element: nil, spec: spec, memory: memory)
                observations.append(try reader.observation())
            }
            return .observation(info, observations)
        } catch let problem as FieldProblem {
            return .failure(offset: record.offset, length: length, timestamp: nil, message: problem.message)
        } catch {
            return .failure(offset: record.offset, length: length, timestamp: nil, message: "\(error)")
        }
    }

    /// What the rule's events say about the whole run; the first value of each fact wins.
    private func sessionFacts(
        of rule: RecordRule, record: FramedRecord, scanner: JSONScanner?, root: JSONSlice?, memory: [String: String]
    ) throws -> SessionFacts? {
        var facts = SessionFacts()
        for spec in rule.events {
            let reader = FieldReader(record: record, scanner: scanner, root: root, element: nil, spec: spec, memory: memory)
            if let found = try reader.sessionFacts() { facts.keepFirst(of: found) }
        }
        return facts.isEmpty ? nil : facts
    }

    /// The timestamp when it comes from the head, for records whose body cannot be read.
    private func headTimestamp(of record: FramedRecord) -> Date? {
        guard case .capture = rules.timestamp.source else { return nil }
        return (try? timestamp(of: record, scanner: nil, root: nil, memory: [:])) ?? nil
    }

    private func timestamp(
        of record: FramedRecord, scanner: JSONScanner?, root: JSONSlice?, memory: [String: String]
    ) throws -> Date? {
        let reader = FieldReader(record: record, scanner: scanner, root: root, element: nil, spec: nil, memory: memory)
        guard let text = try reader.text(rules.timestamp.source) else { return nil }
        guard let date = rules.timestamp.format.parse(text) else {
            throw FieldProblem(message: "timestamp '\(text)' does not match the format '\(rules.timestamp.format)'")
        }
        return date
    }

    /// The first rule whose conditions hold, with the elements its `each` selects (nil for rules without one).
    package func matchingRule(
        _ record: FramedRecord, scanner: JSONScanner?, root: JSONSlice?, memory: [String: String] = [:]
    ) throws -> (RecordRule, elements: [JSONSlice]?)? {
        let reader = FieldReader(record: record, scanner: scanner, root: root, element: nil, spec: nil, memory: memory)
        for rule in rules.records where try reader.meets(rule.conditions) == nil {
            guard let each = rule.each else { return (rule, nil) }
            guard let scanner, let root else { continue }
            let elements = try each.all(in: scanner, root: root).filter { $0.kind != .null }
            if !elements.isEmpty { return (rule, elements) }
        }
        return nil
    }

    /// Why each rule before the one that read `record` passed it by (all rules when none read it): the first of
    /// its conditions that did not hold, with what the record holds there, or an `each` that selected nothing.
    package func misses(_ record: FramedRecord, memory: [String: String] = [:]) -> [(rule: String, reason: String)] {
        guard record.problem == nil else { return [] }
        var scanner: JSONScanner?
        var root: JSONSlice?
        if rules.framing.body == .json {
            guard let body = record.body else { return [] }
            var jsonScanner = JSONScanner(record.bytes)
            guard let value = try? jsonScanner.validateValue(in: body) else { return [] }
            scanner = jsonScanner
            root = value
        }
        let reader = FieldReader(record: record, scanner: scanner, root: root, element: nil, spec: nil, memory: memory)
        var misses: [(String, String)] = []
        for rule in rules.records {
            do {
                if let (condition, value) = try reader.meets(rule.conditions) {
                    misses.append((rule.name, "\(condition.source) is \(Self.describe(value)), not \(condition.wanted)"))
                    continue
                }
                guard let each = rule.each else { return misses }
                if let scanner, let root, try each.all(in: scanner, root: root).contains(where: { $0.kind != .null }) {
                    return misses
                }
                misses.append((rule.name, "'each' \(each) selects nothing"))
            } catch {
                misses.append((rule.name, "\(error)"))
            }
        }
        return misses
    }

    private static func describe(_ value: ConditionValue) -> String {
        switch value {
        case .absent: return "absent"
        case .null: return "null"
        case .value(let text):
            let oneLine = text.replacingOccurrences(of: "\n", with: "\\n")
            return "'" + (oneLine.count > 60 ? String(oneLine.prefix(60)) + "…" : oneLine) + "'"
        }
    }
}

/// A field whose value cannot be read as its type.
struct FieldProblem: Error {
    let message: String
}

/// Reads an event's fields from one record.
struct FieldReader {
    let record: FramedRecord
    let scanner: JSONScanner?
    let root: JSONSlice?
    /// The value of the rule's `each` being read, which `@` paths start from.
    let element: JSONSlice?
    let spec: EventSpec?
    /// The values earlier context records remembered.
    let memory: [String: String]

    func observation() throws -> Observation {
        guard let spec else { return .ignored }
        switch spec.kind {
        case .llmRequest:
            return .llmRequest(
                .init(input: try json("input"), task: try text("task"), model: try text("model"), tools: try json("tools")))
        case .llmResponse:
            var response = Observation.LLMResponse(
                output: try text("output"), thinking: try text("thinking"), finishReason: try text("finish_reason"),
                model: try text("model"), promptTokens: try int("prompt_tokens"),
                completionTokens: try int("completion_tokens"), cacheReadTokens: try int("cache_read_tokens"),
                cacheCreationTokens: try int("cache_creation_tokens"), reasoningTokens: try int("reasoning_tokens"),
                messageID: try text("message_id"), sidechain: try bool("sidechain"))
            response.toolCalls = try toolCalls()
            return .llmResponse(response, call: spec.call)
        case .toolResult:
            var success = try bool("success")
            if success == nil, let failed = try bool("failed") { success = !failed }
            var duration = try number("duration_ms")
            if duration == nil, let seconds = try number("duration_seconds") { duration = seconds * 1000 }
            if let value = duration, value < 0 {
                throw FieldProblem(message: "the tool's duration is negative (\(value) ms)")
            }
            return .toolResult(
                .init(
                    toolName: try text("tool_name"), toolCallID: try text("tool_call_id"), arguments: try json("arguments"),
                    success: success, result: try text("result"), error: try text("error"), durationMs: duration))
        case .error:
            return .agentError(message: try text("message") ?? "(no message)", toolName: try text("tool_name"))
        case .llmError:
            return .llmError(message: try text("message") ?? "the model's API failed (no message)")
        case .interruption:
            return .interruption
        case .context:
            var remembered: [Observation.Remembered] = []
            for (name, source) in spec.remember { remembered.append(.init(name: name, value: try text(source))) }
            return .context(model: try text("model"), remembered: remembered)
        case .ignore:
            return .ignored
        }
    }

    /// The run's facts the event reads; nil when it reads none. Empty texts count as absent (Claude Code writes an
    /// empty branch outside git).
    func sessionFacts() throws -> SessionFacts? {
        guard let spec, spec.kind != .ignore else { return nil }
        func fact(_ field: String) throws -> String? {
            guard let source = source(field), let value = try text(source), !value.isEmpty else { return nil }
            return value
        }
        let facts = SessionFacts(
            workspace: try fact("workspace"), gitBranch: try fact("git_branch"), agentVersion: try fact("agent_version"),
            agentSessionID: try fact("agent_session_id"))
        return facts.isEmpty ? nil : facts
    }

    /// The first of `conditions` that does not hold, with what the record holds there; nil when all hold.
    func meets(_ conditions: [RecordCondition]) throws -> (RecordCondition, ConditionValue)? {
        for condition in conditions {
            let value = try conditionValue(condition.source)
            if !condition.holds(for: value) { return (condition, value) }
        }
        return nil
    }

    /// What a condition's source holds: nothing, a JSON null, or a value's text.
    func conditionValue(_ source: ValueSource) throws -> ConditionValue {
        let found: Found?
        if case .json(let path) = source {
            // Read once: a null is told apart from nothing here, where `value` would take both for nothing.
            guard let slice = try slice(path) else { return .absent }
            if slice.kind == .null { return .null }
            found = .slice(slice)
        } else {
            found = try value(source)
        }
        guard let found else { return .absent }
        return try text(found).map(ConditionValue.value) ?? .null
    }

    private func source(_ field: String) -> ValueSource? {
        guard case .value(let source)? = spec?.fields[field] else { return nil }
        return source
    }

    func text(_ field: String) throws -> String? {
        guard let source = source(field) else { return nil }
        return try text(source)
    }

    func json(_ field: String) throws -> String? {
        guard let source = source(field) else { return nil }
        return try json(source)
    }

    private func json(_ source: ValueSource) throws -> String? {
        switch try value(source) {
        case .slice(let slice)?: return scanner?.compactText(slice)
        case .text(let text)?: return text
        case .decoded(let json, _)?: return json
        case nil: return nil
        }
    }

    func bool(_ field: String) throws -> Bool? {
        guard let source = source(field), let found = try value(source) else { return nil }
        if case .slice(let slice) = found, slice.kind == .bool, let scanner { return try scanner.bool(slice) }
        guard let value = try text(found) else { return nil }
        switch value.lowercased() {
        case "true", "yes", "1", "ok", "success": return true
        case "false", "no", "0", "error", "failure": return false
        default: throw FieldProblem(message: "field '\(field)' is '\(value)', expected true or false")
        }
    }

    func int(_ field: String) throws -> Int? {
        guard let source = source(field), let value = try text(source) else { return nil }
        guard let number = Self.wholeNumber(value) else {
            throw FieldProblem(message: "field '\(field)' is '\(value)', expected a whole number")
        }
        return number
    }

    func number(_ field: String) throws -> Double? {
        guard let source = source(field), let value = try text(source) else { return nil }
        guard let number = Double(value), number.isFinite else {
            throw FieldProblem(message: "field '\(field)' is '\(value)', expected a number")
        }
        return number
    }

    private static func wholeNumber(_ text: String) -> Int? {
        Int(text) ?? Double(text).flatMap { $0.isFinite && abs($0) < 9e18 ? Int($0) : nil }
    }

    func toolCalls() throws -> [ToolCall] {
        guard case .each(let each, let idSource, let nameSource, let argumentsSource)? = spec?.fields["tool_calls"] else {
            return []
        }
        /// A call's fields read from the call, whether written with '$' or '@'.
        func call(_ scanner: JSONScanner, _ element: JSONSlice) throws -> ToolCall {
            let call = FieldReader(record: record, scanner: scanner, root: element, element: element, spec: nil, memory: memory)
            guard let name = try call.text(nameSource) else {
                throw FieldProblem(message: "a tool call has no name at \(nameSource)")
            }
            return ToolCall(
                id: try idSource.flatMap { try call.text($0) }, name: name,
                arguments: try argumentsSource.flatMap { try call.json($0) })
        }
        switch each {
        case .path(let path):
            guard let scanner, let start = path.isRelative ? element : root else { return [] }
            return try path.all(in: scanner, root: start).filter { $0.kind != .null }.map { try call(scanner, $0) }
        case .decoded(let source, let path):
            guard let text = try text(source) else { return [] }
            return try Self.withDecoded(text) { scanner, root in
                try path.all(in: scanner, root: root).filter { $0.kind != .null }.map { try call(scanner, $0) }
            } ?? []
        }
    }

    /// Runs `body` over `text` read as JSON; nil when it is not JSON.
    private static func withDecoded<Result>(
        _ text: String, _ body: (JSONScanner, JSONSlice) throws -> Result
    ) throws -> Result? {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBytes { raw -> Result? in
            var scanner = JSONScanner(UnsafeRawBufferPointer(raw))
            guard let root = try? scanner.validateValue(in: 0..<raw.count) else { return nil }
            return try body(scanner, root)
        }
    }

    /// A value found in the record: a JSON value in place, text from a capture, a constant or a sum, or a value read
    /// from JSON text the record holds.
    enum Found {
        case slice(JSONSlice)
        case text(String)
        /// A value of decoded JSON: its compact JSON text, and its text when it is a string.
        case decoded(json: String, string: String?)
    }

    /// What `source` finds; a JSON `null` counts as nothing.
    func value(_ source: ValueSource) throws -> Found? {
        switch source {
        case .capture(let name):
            return record.captures[name].map(Found.text)
        case .constant(let value):
            return .text(value)
        case .remembered(let name):
            return memory[name].map(Found.text)
        case .json(let path):
            guard let slice = try slice(path), slice.kind != .null else { return nil }
            return .slice(slice)
        case .firstOf(let sources):
            for source in sources {
                if let found = try value(source) { return found }
            }
            return nil
        case .sum(let sources):
            var total: Int?
            for source in sources {
                guard let text = try text(source) else { continue }
                guard let number = Self.wholeNumber(text) else {
                    throw FieldProblem(message: "\(source) is '\(text)', not a whole number to add")
                }
                total = (total ?? 0) + number
            }
            return total.map { .text(String($0)) }
        case .extract(let source, let pattern):
            guard let text = try text(source), let captured = pattern.match(text)?.values.first else { return nil }
            return .text(captured)
        case .decode(let source, let path):
            guard let text = try text(source) else { return nil }
            return Self.decode(text, path)
        case .joined(let source, let separator):
            let all = try texts(source)
            return all.isEmpty ? nil : .text(all.joined(separator: separator))
        case .equals(let source, let literals):
            let held = try conditionValue(source)
            if held == .absent || held == .null { return nil }
            return .text(literals.contains { $0.equals(held) } ? "true" : "false")
        }
    }

    /// The value at `path` in `text` read as JSON; nil when the text is not JSON or the path finds nothing (or null).
    private static func decode(_ text: String, _ path: JSONPath) -> Found? {
        let found = try? withDecoded(text) { scanner, root -> Found? in
            guard let slice = try path.first(in: scanner, root: root), slice.kind != .null else { return nil }
            let string = slice.kind == .string ? try? scanner.string(slice) : nil
            return .decoded(json: scanner.compactText(slice), string: string)
        }
        return found ?? nil
    }

    /// The texts of every value `source` (a path, or a path into decoded JSON) selects.
    private func texts(_ source: ValueSource) throws -> [String] {
        func texts(_ scanner: JSONScanner, _ slices: [JSONSlice]) throws -> [String] {
            try slices.filter { $0.kind != .null }.compactMap { try textValue($0, scanner) }
        }
        switch source {
        case .json(let path):
            guard let scanner, let start = path.isRelative ? element : root else { return [] }
            return try texts(scanner, try path.all(in: scanner, root: start))
        case .decode(let inner, let path):
            guard let text = try text(inner) else { return [] }
            return try Self.withDecoded(text) { scanner, root in try texts(scanner, try path.all(in: scanner, root: root)) }
                ?? []
        default:
            return try text(source).map { [$0] } ?? []
        }
    }

    func text(_ source: ValueSource) throws -> String? {
        guard let found = try value(source) else { return nil }
        return try text(found)
    }

    private func text(_ found: Found) throws -> String? {
        switch found {
        case .text(let text): return text
        case .decoded(let json, let string): return string ?? json
        case .slice(let slice):
            guard let scanner else { return nil }
            return try textValue(slice, scanner)
        }
    }

    /// The value `path` selects: from the `each` element for `@` paths, from the body's root for `$` paths.
    func slice(_ path: JSONPath) throws -> JSONSlice? {
        guard let scanner, let start = path.isRelative ? element : root else { return nil }
        return try path.first(in: scanner, root: start)
    }

    private func textValue(_ slice: JSONSlice, _ scanner: JSONScanner) throws -> String? {
        switch slice.kind {
        case .null: return nil
        case .string: return try scanner.string(slice)
        default: return scanner.compactText(slice)
        }
    }
}

/// What the JSON paths of the rule that matched one record found in it, for the check that every path a rule
/// reads finds something in the pack's own tests.
package struct PathFindings {
    package var rule: String
    /// Per entry of the rule's `pathLocations`: whether the path selected a value (`null` included).
    package var found: [Bool]
    /// Per entry: the member names of the object the path's last step looked in, when it found nothing there.
    package var nearby: [[String]]
}

extension RecordParser {
    /// Which of its paths the matching rule finds in `record`; nil for records no rule reads.
    package func pathFindings(_ record: FramedRecord) -> PathFindings? {
        guard record.problem == nil, rules.framing.body == .json, let body = record.body else { return nil }
        var scanner = JSONScanner(record.bytes)
        guard let root = try? scanner.validateValue(in: body),
            let (rule, elements) = (try? matchingRule(record, scanner: scanner, root: root)) ?? nil
        else { return nil }
        var findings = PathFindings(rule: rule.name, found: [], nearby: [])
        for location in rule.pathLocations {
            let starts = location.path.isRelative ? elements ?? [] : [root]
            let found = starts.contains { start in ((try? location.path.first(in: scanner, root: start)) ?? nil) != nil }
            var nearby: [String] = []
            if !found, let (parent, _) = location.path.parent {
                for start in starts {
                    guard let object = (try? parent.first(in: scanner, root: start)) ?? nil, object.kind == .object,
                        let members = try? scanner.members(of: object)
                    else { continue }
                    nearby += members.map(\.key)
                }
            }
            findings.found.append(found)
            findings.nearby.append(nearby)
        }
        return findings
    }
}
