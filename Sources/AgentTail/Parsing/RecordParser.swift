import Foundation

/// Turns framed records into observations with a rule pack, reading only the JSON paths the rules ask for.
package struct RecordParser: Sendable {
    package let rules: RulePack

    package init(rules: RulePack) {
        self.rules = rules
    }

    /// Parses one record; never throws: what cannot be understood comes back as `.failure` with the reason.
    package func parse(_ record: FramedRecord) -> ParsedRecord {
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
            guard let time = try timestamp(of: record, scanner: scanner, root: root) else {
                return .failure(
                    offset: record.offset, length: length, timestamp: nil,
                    message: "the record has no timestamp (\(rules.timestamp.source))")
            }
            guard let rule = try matchingRule(record, scanner: scanner, root: root) else {
                let type = record.captures["type"].map { " (type \($0))" } ?? ""
                return .failure(
                    offset: record.offset, length: length, timestamp: time,
                    message: "no record rule matches this record\(type)")
            }
            let info = RecordInfo(offset: record.offset, length: length, timestamp: time, rule: rule.name)
            let reader = FieldReader(record: record, scanner: scanner, root: root, rule: rule)
            return .observation(info, try reader.observation())
        } catch let problem as FieldProblem {
            return .failure(offset: record.offset, length: length, timestamp: nil, message: problem.message)
        } catch {
            return .failure(offset: record.offset, length: length, timestamp: nil, message: "\(error)")
        }
    }

    /// The timestamp when it comes from the head, for records whose body cannot be read.
    private func headTimestamp(of record: FramedRecord) -> Date? {
        guard case .capture = rules.timestamp.source else { return nil }
        return (try? timestamp(of: record, scanner: nil, root: nil)) ?? nil
    }

    private func timestamp(of record: FramedRecord, scanner: JSONScanner?, root: JSONSlice?) throws -> Date? {
        let reader = FieldReader(record: record, scanner: scanner, root: root, rule: nil)
        guard let text = try reader.text(rules.timestamp.source) else { return nil }
        guard let date = rules.timestamp.format.parse(text) else {
            throw FieldProblem(message: "timestamp '\(text)' does not match the format '\(rules.timestamp.format)'")
        }
        return date
    }

    private func matchingRule(_ record: FramedRecord, scanner: JSONScanner?, root: JSONSlice?) throws -> RecordRule? {
        let reader = FieldReader(record: record, scanner: scanner, root: root, rule: nil)
        for rule in rules.records {
            var matches = true
            for condition in rule.conditions {
                guard let value = try reader.text(condition.source), condition.equals.contains(value) else {
                    matches = false
                    break
                }
            }
            if matches { return rule }
        }
        return nil
    }
}

/// A field whose value cannot be read as its type.
struct FieldProblem: Error {
    let message: String
}

/// Reads a rule's fields from one record.
private struct FieldReader {
    let record: FramedRecord
    let scanner: JSONScanner?
    let root: JSONSlice?
    let rule: RecordRule?

    func observation() throws -> Observation {
        guard let rule else { return .ignored }
        switch rule.kind {
        case .llmRequest:
            return .llmRequest(
                .init(input: try json("input"), task: try text("task"), model: try text("model"), tools: try json("tools")))
        case .llmResponse:
            var response = Observation.LLMResponse(
                output: try text("output"), thinking: try text("thinking"), finishReason: try text("finish_reason"),
                model: try text("model"), promptTokens: try int("prompt_tokens"),
                completionTokens: try int("completion_tokens"))
            response.toolCalls = try toolCalls()
            return .llmResponse(response)
        case .toolResult:
            return .toolResult(
                .init(
                    toolName: try text("tool_name"), toolCallID: try text("tool_call_id"), arguments: try json("arguments"),
                    success: try bool("success"), result: try text("result"), error: try text("error")))
        case .error:
            return .agentError(message: try text("message") ?? "(no message)", toolName: try text("tool_name"))
        case .ignore:
            return .ignored
        }
    }

    private func source(_ field: String) -> ValueSource? {
        guard case .value(let source)? = rule?.fields[field] else { return nil }
        return source
    }

    func text(_ field: String) throws -> String? {
        guard let source = source(field) else { return nil }
        return try text(source)
    }

    func json(_ field: String) throws -> String? {
        guard let source = source(field) else { return nil }
        switch source {
        case .json(let path):
            guard let slice = try slice(path), slice.kind != .null, let scanner else { return nil }
            return scanner.compactText(slice)
        case .capture, .constant:
            return try text(source)
        }
    }

    func bool(_ field: String) throws -> Bool? {
        guard let source = source(field) else { return nil }
        if case .json(let path) = source, let slice = try slice(path), let scanner {
            switch slice.kind {
            case .bool: return try scanner.bool(slice)
            case .null: return nil
            default: break
            }
        }
        guard let value = try text(source) else { return nil }
        switch value.lowercased() {
        case "true", "yes", "1", "ok", "success": return true
        case "false", "no", "0", "error", "failure": return false
        default: throw FieldProblem(message: "field '\(field)' is '\(value)', expected true or false")
        }
    }

    func int(_ field: String) throws -> Int? {
        guard let source = source(field), let value = try text(source) else { return nil }
        guard let number = Int(value) ?? Double(value).flatMap({ $0.isFinite ? Int($0) : nil }) else {
            throw FieldProblem(message: "field '\(field)' is '\(value)', expected a whole number")
        }
        return number
    }

    func toolCalls() throws -> [ToolCall] {
        guard case .each(let each, let idPath, let namePath, let argumentsPath)? = rule?.fields["tool_calls"],
            let scanner, let root
        else { return [] }
        var calls: [ToolCall] = []
        for element in try each.all(in: scanner, root: root) where element.kind != .null {
            guard let nameSlice = try namePath.first(in: scanner, root: element), nameSlice.kind == .string else {
                throw FieldProblem(message: "a tool call has no name at '\(namePath)'")
            }
            let id = try idPath.flatMap { path in try path.first(in: scanner, root: element) }
                .flatMap { slice in slice.kind == .null ? nil : try textValue(slice, scanner) }
            let arguments = try argumentsPath.flatMap { path in try path.first(in: scanner, root: element) }
                .flatMap { slice in slice.kind == .null ? nil : scanner.compactText(slice) }
            calls.append(ToolCall(id: id, name: try scanner.string(nameSlice), arguments: arguments))
        }
        return calls
    }

    func text(_ source: ValueSource) throws -> String? {
        switch source {
        case .capture(let name):
            return record.captures[name]
        case .constant(let value):
            return value
        case .json(let path):
            guard let scanner, let slice = try slice(path) else { return nil }
            return try textValue(slice, scanner)
        }
    }

    private func slice(_ path: JSONPath) throws -> JSONSlice? {
        guard let scanner, let root else { return nil }
        return try path.first(in: scanner, root: root)
    }

    private func textValue(_ slice: JSONSlice, _ scanner: JSONScanner) throws -> String? {
        switch slice.kind {
        case .null: return nil
        case .string: return try scanner.string(slice)
        default: return scanner.compactText(slice)
        }
    }
}
