import AgentTailCore
import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// The built-in Codex rules against rollouts in Codex CLI's two forms, checked against `expected.json`, which states
/// each rollout's facts as the format defines them.
struct CodexFixtureTests {
    struct Expected: Decodable {
        struct Request: Decodable {
            let model: String
            let input_tokens: Int?
            let cached_input_tokens: Int?
            let output_tokens: Int?
            let reasoning_output_tokens: Int?
            let text_output: String?
            let call_ids: [String]
            let completed: Bool
        }

        struct ToolCall: Decodable {
            let call_id: String
            let name: String
            let success: Bool
            let duration_seconds: Double?
        }

        struct WebSearch: Decodable {
            let status: String
        }

        let file: String
        let session_id: String
        let cwd: String
        let cli_version: String
        let git_branch: String?
        let task: String
        let final_status: String
        let requests: [Request]
        let tool_calls: [ToolCall]
        let web_search_calls: [WebSearch]?
    }

    struct Document: Decodable {
        let fixtures: [Expected]
    }

    static let expected: [Expected] = {
        let data = try! Data(contentsOf: Fixtures.folder.appendingPathComponent("codex/expected.json"))
        return try! JSONDecoder().decode(Document.self, from: data).fixtures
    }()

    static var rules: RulePack {
        get throws { try RulePackLoader.load(.builtin("codex")) }
    }

    @Test(arguments: expected.map(\.file))
    func parsesRolloutExactly(file: String) throws {
        let expected = try #require(Self.expected.first { $0.file == file })
        let rows = try FileParser.rows(path: Fixtures.path("codex/\(file)"), rules: try Self.rules, host: "test-host")

        #expect(rows.rows(.agentSessions).count == 1)
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("agent") == "codex")
        #expect(session.text("status") == expected.final_status)
        #expect(session.text("task") == expected.task)
        #expect(session.text("workspace") == expected.cwd)
        #expect(session.text("agent_version") == expected.cli_version)
        #expect(session.text("git_branch") == expected.git_branch)
        #expect(session.metadataText("agent_session_id") == expected.session_id)

        // One call per model request, with its model and the usage Codex counted for it.
        let calls = rows.rows(.llmCalls)
        #expect(calls.count == expected.requests.count)
        #expect(session.text("llm_calls") == String(expected.requests.count))
        for (call, request) in zip(calls, expected.requests) {
            #expect(call.text("model") == request.model)
            #expect(call.text("prompt_tokens") == request.input_tokens.map(String.init))
            #expect(call.text("cache_read_tokens") == request.cached_input_tokens.map(String.init))
            #expect(call.text("completion_tokens") == request.output_tokens.map(String.init))
            #expect(call.metadataText("reasoning_tokens") == request.reasoning_output_tokens.map(String.init))
            #expect(call.text("output") == request.text_output)
            #expect(call.text("status") == (request.completed ? "ok" : "interrupted"))
            let requested = try Self.toolCallIDs(call)
            #expect(requested.filter { $0 != nil } == request.call_ids.map(Optional.some), "call \(call.text("seq") ?? "")")
        }
        let sum = { (key: KeyPath<Expected.Request, Int?>) in expected.requests.compactMap { $0[keyPath: key] }.reduce(0, +) }
        #expect(session.text("prompt_tokens") == String(sum(\.input_tokens)))
        #expect(session.text("cache_read_tokens") == String(sum(\.cached_input_tokens)))
        #expect(session.text("completion_tokens") == String(sum(\.output_tokens)))

        // Tools paired by call id, failed when their exit code is not 0, lasting what Codex measured; a web search
        // is a tool run of its own.
        let tools = rows.rows(.toolExecutions)
        let searches = expected.web_search_calls ?? []
        #expect(tools.count == expected.tool_calls.count + searches.count)
        #expect(tools.filter { $0.text("tool_name") == "web_search" }.map { $0.text("success") } == searches.map { String($0.status == "completed") })
        for tool in expected.tool_calls {
            let row = try #require(tools.first { $0.text("tool_call_id") == tool.call_id }, "\(tool.call_id)")
            #expect(row.text("tool_name") == tool.name)
            #expect(row.text("success") == String(tool.success))
            #expect(row.metadataText("pairing") == "id")
            if let seconds = tool.duration_seconds {
                #expect(row.text("duration_ms") == String(Int((seconds * 1000).rounded())))
            }
        }
        #expect(session.text("tool_errors") == String(expected.tool_calls.filter { !$0.success }.count))
        let errors = rows.rows(.agentErrors)
        #expect(errors.allSatisfy { $0.text("source") == "tool" }, "\(errors.map { $0.text("message") ?? "" })")
    }

    @Test(arguments: expected.map(\.file))
    func restartAtEveryLineGivesTheSameRows(file: String) throws {
        try RestartReplay.expectSameRowsAtEveryLine(path: Fixtures.path("codex/\(file)"), rules: try Self.rules)
    }

    /// The ids of the tool calls a call's row lists in its metadata (nil for a call without one).
    static func toolCallIDs(_ call: NormalizedRow) throws -> [String?] {
        let metadata = try JSONSerialization.jsonObject(with: Data((call.text("metadata") ?? "{}").utf8)) as? [String: Any]
        let calls = metadata?["tool_calls"] as? [[String: Any]] ?? []
        return calls.map { $0["id"] as? String }
    }
}
