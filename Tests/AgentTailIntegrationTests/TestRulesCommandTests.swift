import Foundation
import Testing

@testable import AgentTail

/// `agenttail test-rules` and `agenttail check` on rule files with tests: exit codes and what they print.
struct TestRulesCommandTests {
    /// A copy of the built-in Mini-Agent rules in a workspace, edited by `change`.
    func rules(in workspace: Workspace, _ change: (String) -> String = { $0 }) throws -> String {
        let builtin = try #require(RulePackLoader.builtinPath("mini-agent"))
        let path = "\(workspace.root)/rules.yaml"
        try change(try String(contentsOfFile: builtin, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func builtInRulesPass() async throws {
        let result = try await AgentTailProcess.run(["test-rules", "builtin:mini-agent"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.hasPrefix("PASS  a failing tool, then the final answer"))
        #expect(result.stdout.hasSuffix("1 passed, 0 failed\n"))
    }

    @Test func aFailingTestPrintsItsDifferencesAndExits1() async throws {
        let workspace = try Workspace()
        let path = try rules(in: workspace) { $0.replacingOccurrences(of: "        latency_ms: 500\n", with: "        latency_ms: 450\n") }
        let result = try await AgentTailProcess.run(["test-rules", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL  a failing tool, then the final answer  (\(path):89)"))
        #expect(result.stdout.contains("      llm_calls[0].latency_ms: expected 450, got 500\n"))
        #expect(result.stdout.hasSuffix("0 passed, 1 failed\n"))

        // `check` runs the tests of the rules a configuration uses, and fails on them.
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(of: "rules: builtin:mini-agent", with: "rules: \(path)")
        try config.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let check = try await AgentTailProcess.run(["check", "--config", workspace.config])
        #expect(check.status == 1)
        #expect(
            check.stderr.contains(
                "\(path):89:5: error: tests: rule test 'a failing tool, then the final answer' fails: "
                    + "llm_calls[0].latency_ms: expected 450, got 500"))
    }

    @Test func rulesThatDoNotLoadExit2WithTheirLocation() async throws {
        let workspace = try Workspace()
        let path = try rules(in: workspace) { $0.replacingOccurrences(of: "      - table: llm_calls\n        seq: 1\n", with: "      - table: llm_call\n        seq: 1\n") }
        let result = try await AgentTailProcess.run(["test-rules", path])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("\(path):"))
        #expect(result.stderr.contains("error: tests[0].rows[1].table: unknown table 'llm_call'; expected one of"))
    }
}
