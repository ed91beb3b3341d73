import Foundation

/// Writes a Claude Code transcript (`~/.claude/projects/*/SESSION.jsonl`) line by line, as Claude Code does, for
/// tests that need runs the fixtures do not cover.
package struct ClaudeCodeLog {
    package private(set) var lines: [String] = []
    private var clock: Date
    private var counter = 0
    private var parent: String?
    private let sessionID = UUID().uuidString.lowercased()

    /// - Parameter start: the time of the first line.
    package init(start: Date = Date(timeIntervalSince1970: 1_795_000_000)) {
        clock = start
    }

    /// The whole transcript.
    package var text: String { lines.map { $0 + "\n" }.joined() }

    /// The user asks something.
    package mutating func user(_ text: String, advance: Double = 1) {
        append(["type": "user", "message": ["role": "user", "content": text]], advance: advance)
    }

    /// The model asks for one tool; returns the tool call's id.
    @discardableResult
    package mutating func toolUse(_ name: String, _ input: [String: Any], advance: Double = 3) -> String {
        counter += 1
        let id = "toolu_\(counter)"
        append(
            assistant(content: [["type": "tool_use", "id": id, "name": name, "input": input]], stop: "tool_use"),
            advance: advance)
        return id
    }

    /// The tool's result comes back.
    package mutating func toolResult(_ id: String, _ output: String, isError: Bool = false, advance: Double = 1) {
        var result: [String: Any] = ["type": "tool_result", "tool_use_id": id, "content": output]
        if isError { result["is_error"] = true }
        append(["type": "user", "message": ["role": "user", "content": [result]]], advance: advance)
    }

    /// The model answers in text and ends its turn.
    package mutating func answer(_ text: String, advance: Double = 3) {
        append(assistant(content: [["type": "text", "text": text]], stop: "end_turn"), advance: advance)
    }

    /// The API refused a request: Claude Code writes a synthetic assistant message.
    package mutating func apiError(_ text: String, advance: Double = 5) {
        counter += 1
        var line: [String: Any] = [
            "type": "assistant", "isApiErrorMessage": true,
            "message": [
                "id": UUID().uuidString.lowercased(), "model": "<synthetic>", "role": "assistant", "type": "message",
                "stop_reason": "stop_sequence", "content": [["type": "text", "text": text]],
                "usage": ["input_tokens": 0, "output_tokens": 0],
            ] as [String: Any],
        ]
        line["uuid"] = UUID().uuidString.lowercased()
        append(line, advance: advance)
    }

    private mutating func assistant(content: [[String: Any]], stop: String) -> [String: Any] {
        counter += 1
        return [
            "type": "assistant", "requestId": "req_\(counter)",
            "message": [
                "id": "msg_\(counter)", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                "content": content, "stop_reason": stop,
                "usage": ["input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 100],
            ] as [String: Any],
        ]
    }

    private mutating func append(_ fields: [String: Any], advance: Double) {
        clock = clock.addingTimeInterval(advance)
        var line = fields
        let uuid = (fields["uuid"] as? String) ?? UUID().uuidString.lowercased()
        line["uuid"] = uuid
        line["parentUuid"] = parent ?? NSNull()
        line["sessionId"] = sessionID
        line["cwd"] = "/home/dev/project"
        line["version"] = "2.0.14"
        line["gitBranch"] = "main"
        line["isSidechain"] = false
        line["userType"] = "external"
        line["timestamp"] = Self.timestamp(clock)
        parent = uuid
        let data = try! JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes])
        lines.append(String(decoding: data, as: UTF8.self))
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
