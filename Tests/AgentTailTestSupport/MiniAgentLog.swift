import Foundation

/// Writes log text exactly as Mini-Agent does, for tests that need runs the fixtures do not cover.
package struct MiniAgentLog {
    package private(set) var entries: [String] = []
    package let started: String
    private var counter = 0
    private var clock: Date

    /// - Parameter start: local wall time of the run, `yyyy-MM-dd HH:mm:ss`.
    package init(start: String = "2026-11-26 10:00:00") {
        started = start
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        clock = formatter.date(from: start) ?? Date(timeIntervalSince1970: 0)
    }

    /// The header written when the file is created.
    package var header: String {
        let rule = String(repeating: "=", count: 80)
        return "\(rule)\nAgent Run Log - \(started)\n\(rule)\n\n"
    }

    /// The whole file so far.
    package var text: String { header + entries.joined() }

    private mutating func stamp(advance millis: Int) -> String {
        clock = clock.addingTimeInterval(Double(millis) / 1000)
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: clock)
    }

    private mutating func entry(_ type: String, label: String, body: Any, advance: Int) -> String {
        counter += 1
        let dashes = String(repeating: "-", count: 80)
        let data = try! JSONSerialization.data(withJSONObject: body, options: [.prettyPrinted, .withoutEscapingSlashes])
        let json = String(decoding: data, as: UTF8.self)
        let text = "\n\(dashes)\n[\(counter)] \(type)\nTimestamp: \(stamp(advance: advance))\n\(dashes)\n\(label)\n\n\(json)\n"
        entries.append(text)
        return text
    }

    /// Appends a REQUEST with the given messages; returns the entry's text.
    @discardableResult
    package mutating func request(messages: [[String: Any]], advance: Int = 1) -> String {
        entry(
            "REQUEST", label: "LLM Request:",
            body: ["messages": messages, "tools": ["bash", "read_file", "write_file"]], advance: advance)
    }

    /// Appends a RESPONSE; tool calls are (id, name, arguments).
    @discardableResult
    package mutating func response(
        content: String, thinking: String? = nil, toolCalls: [(String, String, [String: Any])] = [], advance: Int = 40
    ) -> String {
        var body: [String: Any] = ["content": content, "finish_reason": toolCalls.isEmpty ? "end_turn" : "tool_use"]
        if let thinking { body["thinking"] = thinking }
        if !toolCalls.isEmpty {
            body["tool_calls"] = toolCalls.map { call in
                ["id": call.0, "type": "function", "function": ["name": call.1, "arguments": call.2]] as [String: Any]
            }
        }
        return entry("RESPONSE", label: "LLM Response:", body: body, advance: advance)
    }

    /// Appends a TOOL_RESULT.
    @discardableResult
    package mutating func toolResult(
        name: String, arguments: [String: Any], success: Bool, output: String, advance: Int = 5
    ) -> String {
        var body: [String: Any] = ["tool_name": name, "arguments": arguments, "success": success]
        body[success ? "result" : "error"] = output
        return entry("TOOL_RESULT", label: "Tool Execution:", body: body, advance: advance)
    }

    /// A typical run: task, one bash call, final answer.
    package static func simpleRun(task: String, start: String = "2026-11-26 10:00:00", answer: String = "Done.") -> MiniAgentLog {
        var log = MiniAgentLog(start: start)
        let system: [String: Any] = ["role": "system", "content": "You are a careful coding assistant."]
        let user: [String: Any] = ["role": "user", "content": task]
        log.request(messages: [system, user])
        log.response(content: "Looking.", toolCalls: [("toolu_1\(start.filter(\.isNumber))", "bash", ["command": "ls"])])
        log.toolResult(name: "bash", arguments: ["command": "ls"], success: true, output: "a.txt\n")
        log.request(messages: [system, user, ["role": "assistant", "content": "Looking."]])
        log.response(content: answer)
        return log
    }
}
