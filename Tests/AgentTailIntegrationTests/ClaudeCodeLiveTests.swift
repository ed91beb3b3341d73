import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A Claude Code transcript written line by line while `agenttail run` follows it, with a SIGKILL on the way.
@Suite(.serialized)
struct ClaudeCodeLiveTests {
    static let claudeSource = """
          - name: claude-code
            paths: ["LOGS/*.jsonl"]
            rules: builtin:claude-code
            session_timeout: 1h
        """

    @Test func transcriptFollowedLiveThroughAKillMatchesOnePassOverTheFinishedFile() async throws {
        let fixture = URL(fileURLWithPath: Fixtures.path("claude-code/03_sidechain.jsonl"))
        let lines = try String(contentsOf: fixture, encoding: .utf8).split(separator: "\n").map { $0 + "\n" }
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-cc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: logs) }
        let source = Self.claudeSource.replacingOccurrences(of: "LOGS", with: logs)
        let live = try Workspace(extraSource: source, logs: logs)
        let name = "e25b9c07-3d18-4f6a-8e42-b9d0c61a7f53.jsonl"

        // A snapshot, the prompt, and the first of the two lines of the main chain's first message; then the kill.
        var daemon = try AgentTailProcess(["run", "--config", live.config, "--log-level", "warning"])
        for line in lines.prefix(3) { try live.append(name, line) }
        try await eventually("the first call") { try live.count(.llmCalls) == 1 }
        daemon.kill(SIGKILL)
        _ = await daemon.finish()

        daemon = try AgentTailProcess(["run", "--config", live.config, "--log-level", "warning"])
        for line in lines.dropFirst(3) { try live.append(name, line) }
        try await eventually("the completed session") {
            try live.count(.agentSessions, where: "status = 'completed' AND llm_calls = 4") == 1
        }
        daemon.kill(SIGTERM)
        let result = await daemon.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")

        // The same folder read once, whole, by a fresh agenttail gives the same rows.
        let expected = try await live.onePassDump()
        #expect(expected.filter { $0.hasPrefix("llm_calls|") }.count == 4)
        #expect(expected.filter { $0.hasPrefix("tool_executions|") }.count == 2)
        #expect(try live.storeDump() == expected)
    }
}
