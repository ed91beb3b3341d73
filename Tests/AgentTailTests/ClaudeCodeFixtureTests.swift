import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// The built-in Claude Code rules against transcripts in Claude Code's format, checked against `expected.json`,
/// which states each transcript's facts as the format defines them.
struct ClaudeCodeFixtureTests {
    struct Expected: Decodable {
        struct Message: Decodable {
            let id: String
            let model: String
            let sidechain: Bool
            let input_tokens: Int
            let output_tokens: Int
            let cache_read_input_tokens: Int?
            let cache_creation_input_tokens: Int?
            let text: String?
            let tool_use_ids: [String]
            /// `interrupted` when the user stopped it; absent for a call answered in full.
            let status: String?
        }

        struct Result: Decodable {
            let tool_use_id: String
            let tool_name: String
            let is_error: Bool
        }

        let file: String
        let task: String
        let final_answer: String?
        /// The session's outcome; absent for `completed`.
        let status: String?
        let workspace: String?
        let git_branch: String?
        let version: String?
        let messages: [Message]
        let tool_results: [Result]
        let api_errors: [String]
    }

    static let expected: [Expected] = {
        let data = try! Data(contentsOf: Fixtures.folder.appendingPathComponent("claude-code/expected.json"))
        return try! JSONDecoder().decode([Expected].self, from: data)
    }()

    static var rules: RulePack {
        get throws { try RulePackLoader.load(.builtin("claude-code")) }
    }

    @Test(arguments: expected.map(\.file))
    func parsesTranscriptExactly(file: String) throws {
        let expected = try #require(Self.expected.first { $0.file == file })
        let rows = try FileParser.rows(path: Fixtures.path("claude-code/\(file)"), rules: try Self.rules, host: "test-host")

        let session = try #require(rows.rows(.agentSessions).first)
        #expect(rows.rows(.agentSessions).count == 1)
        #expect(session.text("agent") == "claude-code")
        #expect(session.text("task") == expected.task)
        #expect(session.text("final_output") == expected.final_answer)
        #expect(session.text("status") == expected.status ?? "completed")
        if let workspace = expected.workspace { #expect(session.text("workspace") == workspace) }
        if let branch = expected.git_branch { #expect(session.text("git_branch") == branch) }
        if let version = expected.version { #expect(session.text("agent_version") == version) }
        #expect(session.text("llm_calls") == String(expected.messages.count))
        #expect(session.text("tool_calls") == String(expected.tool_results.count))
        #expect(session.text("tool_errors") == String(expected.tool_results.filter(\.is_error).count))

        // One call per model message, however many lines it was written over, in order, with the last line's usage.
        let calls = rows.rows(.llmCalls)
        #expect(calls.map { $0.text("seq") } == (1...expected.messages.count).map(String.init))
        #expect(calls.map { $0.text("model") } == expected.messages.map(\.model))
        #expect(calls.map { $0.text("prompt_tokens") } == expected.messages.map { String($0.input_tokens) })
        #expect(calls.map { $0.text("completion_tokens") } == expected.messages.map { String($0.output_tokens) })
        #expect(calls.map { $0.text("output") } == expected.messages.map(\.text))
        #expect(calls.map { $0.text("tool_call_count") } == expected.messages.map { String($0.tool_use_ids.count) })
        #expect(calls.map { $0.text("status") } == expected.messages.map { $0.status ?? "ok" })
        #expect(calls.allSatisfy { Int($0.text("latency_ms") ?? "") ?? -1 >= 0 })
        for (call, message) in zip(calls, expected.messages) where message.cache_read_input_tokens != nil {
            #expect(call.text("cache_read_tokens") == message.cache_read_input_tokens.map(String.init))
            #expect(call.text("cache_creation_tokens") == message.cache_creation_input_tokens.map(String.init))
        }
        #expect(calls.map { $0.metadataText("sidechain") == "1" } == expected.messages.map(\.sidechain))

        // Every result paired with its call by id: the tool's name comes from the call, the call row is the one
        // that asked for it.
        let tools = rows.rows(.toolExecutions)
        #expect(tools.map { $0.text("tool_call_id") } == expected.tool_results.map(\.tool_use_id))
        #expect(tools.map { $0.text("tool_name") } == expected.tool_results.map(\.tool_name))
        #expect(tools.map { $0.text("success") } == expected.tool_results.map { String(!$0.is_error) })
        for tool in tools {
            let owner = try #require(expected.messages.firstIndex { $0.tool_use_ids.contains(tool.text("tool_call_id") ?? "") })
            #expect(tool.text("llm_call_id") == calls[owner].text("id"))
            #expect(Int(tool.text("duration_ms") ?? "") ?? -1 >= 0)
        }

        let errors = rows.rows(.agentErrors)
        #expect(errors.allSatisfy { $0.text("source") != "parser" }, "\(errors.map { $0.text("message") ?? "" })")
        // An API error is no LLM call: it is an `llm` error of the call it belongs to.
        let apiErrors = errors.filter {
            $0.text("source") == "llm" && !($0.text("message") ?? "").hasPrefix("LLM request got no response")
        }
        #expect(apiErrors.map { $0.text("message") } == expected.api_errors)
        #expect(apiErrors.allSatisfy { error in calls.contains { $0.text("id") == error.text("related_id") } })
        #expect(calls.allSatisfy { $0.text("model") != "<synthetic>" })
        #expect(errors.filter { $0.text("source") == "tool" }.count == expected.tool_results.filter(\.is_error).count)
    }

    /// A sub-agent's final answer does not end the session: cut just after it, before the Task call's result, the
    /// session is still waiting on the main agent, and is abandoned when the input ends there.
    @Test func subAgentAnswerDoesNotEndTheSession() throws {
        let path = Fixtures.path("claude-code/03_sidechain.jsonl")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let lastSidechain = try #require(lines.lastIndex { $0.contains(#""isSidechain":true"#) })
        let text = lines[...lastSidechain].joined(separator: "\n") + "\n"
        let rows = FileParser.rows(bytes: Array(text.utf8), path: path, rules: try Self.rules, host: "test-host")
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("status") == "abandoned")
        #expect(session.text("final_output") == nil)
    }

    /// A restart between any two lines, with the session state stored and read back as the state store does,
    /// gives the same rows as one pass: a message split over lines, and calls waiting for results, survive it.
    @Test(arguments: expected.map(\.file))
    func restartAtEveryLineGivesTheSameRows(file: String) throws {
        try RestartReplay.expectSameRowsAtEveryLine(path: Fixtures.path("claude-code/\(file)"), rules: try Self.rules)
    }
}
