import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The real `agenttail` binary following files through inotify.
@Suite(.serialized)
struct LiveTailTests {
    @Test func followsGrowingAndNewFilesLiveAndStopsCleanlyOnSIGTERM() async throws {
        let workspace = try Workspace()
        let daemon = try AgentTailProcess(["run", "--config", workspace.config, "--log-level", "warning"])
        let log = MiniAgentLog.simpleRun(task: "live " + String(repeating: "l", count: 600))
        let name = "agent_run_20261126_100000.log"

        // The header and first entry, then the response in three write() calls.
        try workspace.append(name, log.header + log.entries[0])
        try await eventually("the session row") { try workspace.count(.agentSessions) == 1 }
        let response = log.entries[1]
        let thirds = [response.count / 3, 2 * response.count / 3].map { response.index(response.startIndex, offsetBy: $0) }
        try workspace.append(name, response[..<thirds[0]])
        try workspace.append(name, response[thirds[0]..<thirds[1]])
        #expect(try workspace.count(.llmCalls) == 0)
        try workspace.append(name, response[thirds[1]...])
        try await eventually("the first LLM call") { try workspace.count(.llmCalls) == 1 }
        for entry in log.entries.dropFirst(2) { try workspace.append(name, entry) }
        try await eventually("the completed session") {
            try workspace.count(.agentSessions, where: "status = 'completed'") == 1
        }

        // A new file in the folder is picked up.
        let second = MiniAgentLog.simpleRun(task: "second " + String(repeating: "n", count: 600), start: "2026-11-26 10:05:00")
        try workspace.write("agent_run_20261126_100500.log", second.text)
        try await eventually("the second session") {
            try workspace.count(.agentSessions, where: "status = 'completed'") == 2
        }
        #expect(try workspace.count(.llmCalls) == 4)
        #expect(try workspace.count(.toolExecutions) == 2)

        let clock = ContinuousClock()
        let start = clock.now
        daemon.kill(SIGTERM)
        let result = await daemon.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(clock.now - start < .seconds(5))

        // Each entry once: a clean single pass over the final files gives the same store.
        let again = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(try workspace.count(.llmCalls) == 4)
    }

    @Test func runOnceTwiceLeavesTheStoreUnchanged() async throws {
        let workspace = try Workspace()
        for (index, file) in ["01_single_tool", "02_multi_tool_one_response", "03_failing_tool_missing_file"].enumerated() {
            let text = try String(contentsOfFile: Fixtures.path("mini-agent/\(file).log"), encoding: .utf8)
            try workspace.write("agent_run_\(index).log", text)
        }
        let first = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stdout.contains("3 agent_sessions, 7 llm_calls, 7 tool_executions, 1 agent_errors"))
        let dump = try workspace.storeDump()
        #expect(dump.count == 18)
        let second = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(try workspace.storeDump() == dump)

        let status = try await AgentTailProcess.run(["status", "--config", workspace.config, "--json"])
        #expect(status.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let files = try #require(json?["files"] as? [[String: Any]])
        #expect(files.count == 3)
        #expect(files.allSatisfy { ($0["lag"] as? Int) == 0 })
        let sinks = try #require(json?["sinks"] as? [[String: Any]])
        #expect(sinks.first?["outbox_depth"] as? Int == 0)
    }

    @Test func parsePrintsJSONLinesWithoutTouchingState() async throws {
        let fixture = Fixtures.path("mini-agent/03_failing_tool_missing_file.log")
        let result = try await AgentTailProcess.run(["parse", fixture])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(rows.allSatisfy { $0 != nil })
        #expect(rows.compactMap { $0?["table"] as? String } == [
            "agent_sessions", "llm_calls", "tool_executions", "agent_errors", "llm_calls", "tool_executions", "llm_calls",
        ])
        let missing = try await AgentTailProcess.run(["parse", "/nonexistent/agent_run.log"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read /nonexistent/agent_run.log"))
    }

    @Test func stateFileShrinksBackOnceTheOutboxIsDelivered() async throws {
        let workspace = try Workspace()
        var log = MiniAgentLog()
        let big = String(repeating: "payload ", count: 500_000)
        log.request(messages: [["role": "user", "content": big]])
        log.response(content: "ok")
        try workspace.write("agent_run_big.log", log.text)
        let result = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try workspace.count(.llmCalls) == 1)
        let stateSize = try FileManager.default.attributesOfItem(atPath: workspace.state)[.size] as? Int ?? .max
        #expect(stateSize < 1 << 20, "state file holds \(stateSize) bytes after delivery")
    }

    @Test func statusWhileRunStartsNeverBreaksIt() async throws {
        let workspace = try Workspace()
        try workspace.write("agent_run_1.log", MiniAgentLog.simpleRun(task: "race " + String(repeating: "r", count: 600)).text)
        let daemon = try AgentTailProcess(["run", "--config", workspace.config, "--log-level", "error"])
        // status only reads: it must neither create nor migrate the state file that run is creating.
        for _ in 0..<20 {
            _ = try await AgentTailProcess.run(["status", "--config", workspace.config])
        }
        try await eventually("the session row") { try workspace.count(.agentSessions) == 1 }
        #expect(daemon.process.isRunning)
        daemon.kill(SIGTERM)
        let result = await daemon.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")
    }
}
