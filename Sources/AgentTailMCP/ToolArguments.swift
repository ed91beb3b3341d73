import AgentTail
import Foundation
import MCP

/// Reads one tool call's arguments, checking each against what the tool accepts, so that a bad one is refused with a
/// JSON-RPC error (invalid params) that names the tool, the argument, what it must be and what was given.
struct ToolArguments {
    let tool: String
    private let values: [String: Value]
    private var read: Set<String> = []

    init(tool: String, _ values: [String: Value]?) {
        self.tool = tool
        self.values = values ?? [:]
    }

    /// A refusal of the call, as the protocol carries it.
    func problem(_ message: String) -> MCPError {
        .invalidParams("\(tool): \(message)")
    }

    /// A text argument; nil when absent (or null). An empty text counts as absent.
    mutating func string(_ name: String) throws(MCPError) -> String? {
        read.insert(name)
        switch values[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        case let other?: throw problem("'\(name)' must be a string; got \(Self.shown(other))")
        }
    }

    /// A text argument that must be one of `choices`.
    mutating func choice(_ name: String, _ choices: [String]) throws(MCPError) -> String? {
        guard let text = try string(name) else { return nil }
        guard choices.contains(text) else {
            var message = "'\(name)' must be one of \(choices.joined(separator: ", ")); got '\(text)'"
            if let near = Suggestion.closest(to: text, in: choices) { message += " (did you mean '\(near)'?)" }
            throw problem(message)
        }
        return text
    }

    /// A whole number in `range`, or `default` when absent.
    mutating func integer(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(MCPError) -> Int {
        read.insert(name)
        let number: Int
        switch values[name] {
        case nil, .null?: return value
        case .int(let given)?: number = given
        case .double(let given)? where given.rounded() == given && abs(given) < 1e15: number = Int(given)
        case let other?:
            throw problem("'\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound); got "
                + Self.shown(other))
        }
        guard range.contains(number) else {
            throw problem("'\(name)' must be from \(range.lowerBound) to \(range.upperBound); got \(number)")
        }
        return number
    }

    /// The `cursor` argument: a `next_cursor` this server returned.
    mutating func cursor() throws(MCPError) -> PageCursor? {
        guard let token = try string("cursor") else { return nil }
        guard let cursor = PageCursor(token: token) else {
            throw problem("'cursor' is not one this server returned; pass `next_cursor` of the previous page unchanged")
        }
        return cursor
    }

    /// The period of `since`, `day`, `week`, `from` and `to`; `otherwise` when none is given.
    mutating func period(now: Date, otherwise: ReportPeriod?) throws(MCPError) -> Report.Period? {
        let since = try string("since")
        let day = try string("day")
        let week = try string("week")
        let from = try string("from")
        let to = try string("to")
        let given = [since, day, week, from].compactMap { $0 }
        if given.count > 1 { throw problem("give one of 'since', 'day', 'week' and 'from', not several") }
        if to != nil, from == nil { throw problem("'to' needs 'from'") }
        let period: ReportPeriod?
        do {
            if let since {
                period = try .since(since)
            } else if let day {
                period = try .day(day)
            } else if let week {
                period = try .week(week)
            } else if let from {
                period = try .range(from: from, to: to, now: now, names: ("from", "to"))
            } else {
                period = otherwise
            }
        } catch {
            throw problem(error.description)
        }
        return period?.resolve(now: now)
    }

    /// Refuses arguments the tool does not take, after every one it takes was read.
    func finish() throws(MCPError) {
        let unknown = values.keys.filter { !read.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        var message =
            unknown.count == 1
            ? "there is no argument '\(first)'"
            : "there are no arguments \(unknown.map { "'\($0)'" }.joined(separator: ", "))"
        if unknown.count == 1, let near = Suggestion.closest(to: first, in: read.sorted()) {
            message += " (did you mean '\(near)'?)"
        }
        throw problem(message + "; this tool takes " + read.sorted().joined(separator: ", "))
    }

    /// A value as the caller wrote it, for a message.
    private static func shown(_ value: Value) -> String {
        switch value {
        case .string(let text): "'\(text)'"
        case .array: "a list"
        case .object: "an object"
        case .bool(let flag): "\(flag)"
        default: value.description
        }
    }
}
