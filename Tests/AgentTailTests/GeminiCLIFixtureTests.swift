import AgentTailCore
import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// The built-in Gemini CLI rules against telemetry outfiles in Gemini CLI's two shapes, checked against
/// `expected.json`, which states each file's facts per Gemini CLI session. agenttail makes one session per file, so a
/// file's sessions are read as one, in order.
struct GeminiCLIFixtureTests {
    struct Expected: Decodable {
        struct Call: Decodable {
            let model: String
            let status: String
            let request_at: String
            let duration_ms: Int
            let input_tokens: Int?
            let cached_tokens: Int?
            let output_tokens: Int?
            let thoughts_tokens: Int?
            let tool_tokens: Int?
            let response_at: String
            let function_calls_requested: [String]
            /// The answer's text; null for a response that only asks for tools.
            let response_text_plain: String?
        }

        struct Tool: Decodable {
            let name: String
            let arguments: [String: String]
            let success: Bool
            let duration_ms: Int
            let event_at: String
            let error: String?
        }

        struct APIError: Decodable {
            let at: String
            let message: String
        }

        struct Session: Decodable {
            let session_id: String
            let first_user_prompt: String
            let llm_calls: [Call]
            let tool_calls: [Tool]
            let errors: [APIError]
            let final_answer_text: String?
        }

        struct Fixture: Decodable {
            let sessions: [Session]
        }

        let fixtures: [String: Fixture]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.path("gemini-cli/expected.json")))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    static let files = expected.fixtures.keys.sorted()

    static var rules: RulePack {
        get throws { try RulePackLoader.load(.builtin("gemini-cli")) }
    }

    @Test(arguments: files)
    func parsesOutfileExactly(file: String) throws {
        let sessions = try #require(Self.expected.fixtures[file]).sessions
        let expectedCalls = sessions.flatMap(\.llm_calls)
        let expectedTools = sessions.flatMap(\.tool_calls)
        let rows = try FileParser.rows(path: Fixtures.path("gemini-cli/\(file)"), rules: try Self.rules, host: "test-host")

        #expect(rows.rows(.agentSessions).count == 1)
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("agent") == "gemini-cli")
        #expect(session.text("status") == "completed")
        #expect(session.text("task") == sessions[0].first_user_prompt)
        #expect(session.metadataText("agent_session_id") == sessions[0].session_id)
        #expect(session.text("final_output") == sessions.last?.final_answer_text)
        #expect(session.text("llm_calls") == String(expectedCalls.count))
        #expect(session.text("tool_calls") == String(expectedTools.count))
        #expect(session.text("tool_errors") == String(expectedTools.filter { !$0.success }.count))
        #expect(session.metadataInt("parse_errors") == 0)

        // One call per API attempt, in order: answered ones with their text, the tools they ask for and Gemini's
        // tokens (the prompt with tool-use tokens, the completion with thinking), failed ones with status error and
        // neither text nor tokens.
        let calls = rows.rows(.llmCalls)
        #expect(calls.map { $0.text("seq") } == (1...expectedCalls.count).map(String.init))
        #expect(calls.map { $0.text("model") } == expectedCalls.map(\.model))
        #expect(calls.map { $0.text("status") } == expectedCalls.map(\.status))
        #expect(calls.map { $0.text("started_at") } == expectedCalls.map(\.request_at))
        #expect(calls.map { $0.text("output") } == expectedCalls.map(\.response_text_plain))
        #expect(calls.map { $0.text("tool_call_count") } == expectedCalls.map { String($0.function_calls_requested.count) })
        #expect(calls.map { Self.requestedCalls($0).map(\.name) } == expectedCalls.map(\.function_calls_requested))
        for (call, expected) in zip(calls, expectedCalls) {
            let seq = call.text("seq") ?? ""
            guard expected.status == "ok" else {
                #expect(call.text("prompt_tokens") == nil, "call \(seq)")
                #expect(call.text("latency_ms") == nil, "call \(seq)")
                continue
            }
            let input = try #require(expected.input_tokens), tool = try #require(expected.tool_tokens)
            let output = try #require(expected.output_tokens), thoughts = try #require(expected.thoughts_tokens)
            #expect(call.text("ended_at") == expected.response_at, "call \(seq)")
            #expect(call.text("latency_ms") == String(expected.duration_ms), "call \(seq)")
            #expect(call.text("prompt_tokens") == String(input + tool), "call \(seq)")
            #expect(call.text("cache_read_tokens") == expected.cached_tokens.map(String.init), "call \(seq)")
            #expect(call.text("completion_tokens") == String(output + thoughts), "call \(seq)")
            #expect(call.metadataText("reasoning_tokens") == String(thoughts), "call \(seq)")
            #expect(call.text("cost_usd") != nil, "call \(seq)")
        }
        let answered = expectedCalls.filter { $0.status == "ok" }
        #expect(session.text("prompt_tokens") == String(answered.reduce(0) { $0 + $1.input_tokens! + $1.tool_tokens! }))
        #expect(session.text("cache_read_tokens") == String(answered.reduce(0) { $0 + $1.cached_tokens! }))
        #expect(
            session.text("completion_tokens") == String(answered.reduce(0) { $0 + $1.output_tokens! + $1.thoughts_tokens! }))

        // Every tool run, with Gemini CLI's own duration, ending at its record, paired in order with the call that
        // asked for it; its arguments, and the call's, are the object Gemini CLI wrote as JSON text.
        let tools = rows.rows(.toolExecutions)
        #expect(tools.map { $0.text("tool_name") } == expectedTools.map(\.name))
        #expect(tools.map { $0.text("success") } == expectedTools.map { String($0.success) })
        #expect(tools.map { $0.text("duration_ms") } == expectedTools.map { String($0.duration_ms) })
        #expect(tools.map { $0.text("ended_at") } == expectedTools.map(\.event_at))
        #expect(tools.map { $0.text("error") } == expectedTools.map(\.error))
        for (row, tool) in zip(tools, expectedTools) {
            let text = try #require(row.text("arguments"))
            #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] == tool.arguments)
            let owner = try #require(
                expectedCalls.lastIndex {
                    $0.status == "ok" && $0.response_at <= tool.event_at && $0.function_calls_requested.contains(tool.name)
                })
            #expect(row.text("llm_call_id") == calls[owner].text("id"), "\(tool.name) at \(tool.event_at)")
            #expect(row.metadataText("pairing") == "order", "\(tool.name) at \(tool.event_at)")
            let requested = Self.requestedCalls(calls[owner]).first { $0.name == tool.name }
            #expect(requested?.arguments == tool.arguments, "\(tool.name) at \(tool.event_at)")
            #expect(row.text("category") != "other")
        }

        // API errors are llm errors of the attempt they failed; failed tools are tool errors; nothing else.
        let errors = rows.rows(.agentErrors)
        #expect(errors.allSatisfy { ["llm", "tool"].contains($0.text("source")) }, "\(errors.map { $0.text("message") ?? "" })")
        let apiErrors = errors.filter { $0.text("source") == "llm" }
        let expectedErrors = sessions.flatMap(\.errors)
        #expect(apiErrors.map { $0.text("message") } == expectedErrors.map(\.message))
        #expect(apiErrors.map { $0.text("occurred_at") } == expectedErrors.map(\.at))
        let failedCalls = calls.filter { $0.text("status") == "error" }
        #expect(apiErrors.map { $0.text("related_id") } == failedCalls.map { $0.text("id") })
        #expect(errors.filter { $0.text("source") == "tool" }.count == expectedTools.filter { !$0.success }.count)
    }

    /// Two Gemini CLI runs appended to one outfile make one agenttail session: the first run's id and prompt, the
    /// calls and tool runs of both.
    @Test func twoRunsInOneFileAreOneSession() throws {
        let file = "gemini-telemetry-two-sessions.log"
        let sessions = try #require(Self.expected.fixtures[file]).sessions
        #expect(sessions.count == 2)
        let rows = try FileParser.rows(path: Fixtures.path("gemini-cli/\(file)"), rules: try Self.rules, host: "test-host")
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(rows.rows(.agentSessions).count == 1)
        #expect(session.metadataText("agent_session_id") == sessions[0].session_id)
        #expect(session.text("llm_calls") == String(sessions[0].llm_calls.count + sessions[1].llm_calls.count))
    }

    /// A restart after any record, with the session state stored and read back as the state store does, gives the
    /// same rows as one pass. A record is handed out as soon as its object closes, so the checkpoint after a record's
    /// closing "}" is that cut.
    @Test(arguments: files)
    func restartAtEveryLineGivesTheSameRows(file: String) throws {
        try RestartReplay.expectSameRowsAtEveryLine(path: Fixtures.path("gemini-cli/\(file)"), rules: try Self.rules)
    }

    /// The tools a call asked for, from its metadata: each one's name and arguments.
    static func requestedCalls(_ call: NormalizedRow) -> [(name: String, arguments: [String: String]?)] {
        guard let metadata = call.text("metadata"),
            let object = (try? JSONSerialization.jsonObject(with: Data(metadata.utf8))) as? [String: Any],
            let requested = object["tool_calls"] as? [[String: Any]]
        else { return [] }
        return requested.map { ($0["name"] as? String ?? "", $0["arguments"] as? [String: String]) }
    }
}
