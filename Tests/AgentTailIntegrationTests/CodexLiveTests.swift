import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Codex rollouts of both forms written line by line while `agenttail run` follows them, with a SIGKILL in the middle
/// of a model request, give what one pass over the finished files gives.
@Suite(.serialized)
struct CodexLiveTests {
    static let codexSource = """
          - name: codex
            paths: ["LOGS/*.jsonl"]
            rules: builtin:codex
            session_timeout: 1h
        """

    @Test func rolloutsFollowedLiveThroughAKillMatchOnePassOverTheFinishedFiles() async throws {
        let files = ["01_current_shell_and_patch.jsonl", "02_older_form.jsonl"]
        let rollouts = try files.map { file in
            try String(contentsOf: URL(fileURLWithPath: Fixtures.path("codex/\(file)")), encoding: .utf8)
                .split(separator: "\n").map { $0 + "\n" }
        }
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-codex-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: logs) }
        let source = Self.codexSource.replacingOccurrences(of: "LOGS", with: logs)
        let live = try Workspace(extraSource: source, logs: logs)

        // Each rollout up to the reasoning of its first request, whose usage line is still to come; then the kill.
        var daemon = try AgentTailProcess(["run", "--config", live.config, "--log-level", "warning"])
        let cuts = rollouts.map { lines in lines.firstIndex { $0.contains(#""type":"agent_reasoning""#) }! + 1 }
        for (index, file) in files.enumerated() {
            for line in rollouts[index].prefix(cuts[index]) { try live.append(file, line) }
        }
        try await eventually("the first call of each rollout") { try live.count(.llmCalls) == 2 }
        daemon.kill(SIGKILL)
        _ = await daemon.finish()

        daemon = try AgentTailProcess(["run", "--config", live.config, "--log-level", "warning"])
        for (index, file) in files.enumerated() {
            for line in rollouts[index].dropFirst(cuts[index]) { try live.append(file, line) }
        }
        try await eventually("both sessions completed") {
            try live.count(.agentSessions, where: "status = 'completed'") == 2 && live.count(.llmCalls) == 8
        }
        daemon.kill(SIGTERM)
        let result = await daemon.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")

        // The same folder read once, whole, by a fresh agenttail gives the same rows.
        let expected = try await live.onePassDump()
        #expect(expected.filter { $0.hasPrefix("llm_calls|") }.count == 8)
        #expect(expected.filter { $0.hasPrefix("tool_executions|") }.count == 7)
        #expect(try live.storeDump() == expected)
    }
}
