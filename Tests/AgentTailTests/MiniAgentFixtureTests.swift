import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// The built-in Mini-Agent rules against logs written by the real agent, checked against `expected.json`.
struct MiniAgentFixtureTests {
    struct Expected: Decodable {
        struct Call: Decodable {
            let name: String
            let id: String
            let success: Bool
        }

        let file: String
        let task: String
        let outcome: String
        let entries: [String]
        let tool_calls: [Call]
        let final_answer: String?
    }

    static let expected: [Expected] = {
        let data = try! Data(contentsOf: Fixtures.folder.appendingPathComponent("mini-agent/expected.json"))
        return try! JSONDecoder().decode([Expected].self, from: data)
    }()

    @Test(arguments: expected.map(\.file))
    func parsesRealAgentLogExactly(file: String) throws {
        let expected = try #require(Self.expected.first { $0.file == file })
        let rows = try FileParser.rows(
            path: Fixtures.path("mini-agent/\(file)"), rules: try Fixtures.miniAgentRules, host: "test-host")

        let sessions = rows.rows(.agentSessions)
        #expect(sessions.count == 1)
        let session = try #require(sessions.first)
        #expect(session.text("task") == expected.task)
        #expect(session.text("final_output") == expected.final_answer)
        let status = expected.outcome == "completed" ? "completed" : "failed"
        #expect(session.text("status") == status)

        let tools = rows.rows(.toolExecutions)
        #expect(tools.map { $0.text("tool_name") } == expected.tool_calls.map(\.name))
        #expect(tools.map { $0.text("tool_call_id") } == expected.tool_calls.map(\.id))
        #expect(tools.map { $0.text("success") } == expected.tool_calls.map { String($0.success) })

        let requests = expected.entries.filter { $0 == "REQUEST" }.count
        let calls = rows.rows(.llmCalls)
        #expect(calls.count == requests)
        #expect(calls.map { $0.text("seq") } == (1...requests).map(String.init))
        #expect(session.text("llm_calls") == String(requests))
        #expect(session.text("tool_calls") == String(expected.tool_calls.count))
        #expect(session.text("tool_errors") == String(expected.tool_calls.filter { !$0.success }.count))

        // No parser errors; only tool failures and unanswered LLM calls are errors.
        let errors = rows.rows(.agentErrors)
        #expect(errors.allSatisfy { $0.text("source") != "parser" })
        #expect(errors.filter { $0.text("source") == "tool" }.count == expected.tool_calls.filter { !$0.success }.count)

        // Durations come from timestamps: every call and tool has a non-negative one.
        for call in calls where call.text("status") == "ok" {
            #expect(Int(call.text("latency_ms") ?? "") ?? -1 >= 0)
        }
        for tool in tools {
            #expect(Int(tool.text("duration_ms") ?? "") ?? -1 >= 0)
        }
    }

    @Test func llmFailureEndsWithUnansweredCall() throws {
        let rows = try FileParser.rows(
            path: Fixtures.path("mini-agent/10_llm_http_500_exhausted.log"), rules: try Fixtures.miniAgentRules,
            host: "test-host")
        let calls = rows.rows(.llmCalls)
        #expect(calls.map { $0.text("status") } == ["ok", "no_response"])
        #expect(calls.last?.text("ended_at") == nil)
        let llmErrors = rows.rows(.agentErrors).filter { $0.text("source") == "llm" }
        #expect(llmErrors.count == 1)
        #expect(llmErrors.first?.text("related_id") == calls.last?.text("id"))
    }

    @Test func durationsFollowTimestamps() throws {
        let rows = try FileParser.rows(
            path: Fixtures.path("mini-agent/01_single_tool.log"), rules: try Fixtures.miniAgentRules, host: "test-host")
        // [1] REQUEST 19:25:57.573, [2] RESPONSE .623, [3] TOOL_RESULT .631, [4] REQUEST .632, [5] RESPONSE .646
        #expect(rows.rows(.llmCalls).map { $0.text("latency_ms") } == ["50", "14"])
        #expect(rows.rows(.toolExecutions).first?.text("duration_ms") == "8")
        #expect(rows.rows(.agentSessions).first?.text("duration_ms") == "73")
    }

    @Test func idsAreDeterministic() throws {
        let path = Fixtures.path("mini-agent/02_multi_tool_one_response.log")
        let first = try FileParser.rows(path: path, rules: try Fixtures.miniAgentRules, host: "test-host")
        let second = try FileParser.rows(path: path, rules: try Fixtures.miniAgentRules, host: "test-host")
        #expect(first.map(\.id) == second.map(\.id))
        #expect(Set(first.map(\.id)).count == first.count)
        let otherHost = try FileParser.rows(path: path, rules: try Fixtures.miniAgentRules, host: "other-host")
        #expect(Set(otherHost.map(\.id)).isDisjoint(with: first.map(\.id)))
    }
}
