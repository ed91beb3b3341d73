import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP reloads the rules of a running `agenttail run`: broken rules are refused and the old ones stay; good rules
/// apply from the next record on; nothing read is lost or doubled.
@Suite(.serialized)
struct RulesReloadTests {
    @Test func brokenRulesAreRefusedAndGoodRulesApplyWithoutARestart() async throws {
        let workspace = try Workspace()
        let builtin = try #require(RulePackLoader.builtinPath("mini-agent"))
        let original = try String(contentsOfFile: builtin, encoding: .utf8)
        let rules = "\(workspace.root)/rules.yaml"
        try original.write(toFile: rules, atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(of: "rules: builtin:mini-agent", with: "rules: \(rules)")
        try config.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let stderr = "\(workspace.root)/agenttail.stderr"
        let daemon = try AgentTailProcess(
            ["run", "--config", workspace.config, "--log-level", "notice"], stderrPath: stderr)
        func logged(_ text: String) -> Bool { (try? String(contentsOfFile: stderr, encoding: .utf8))?.contains(text) ?? false }
        func categories() throws -> [String] {
            try workspace.column("category", of: .toolExecutions, orderedBy: "started_at")
        }
        /// Writes run `number` (one bash call) and waits until it is stored as completed.
        func run(_ number: Int) async throws {
            let log = MiniAgentLog.simpleRun(
                task: "run \(number) " + String(repeating: "r", count: 600), start: "2026-11-26 10:0\(number):00")
            try workspace.write("agent_run_\(number).log", log.text)
            try await eventually("run \(number)") {
                try workspace.count(.agentSessions, where: "status = 'completed'") == number
            }
        }

        // A run under the original rules: bash is a shell tool.
        try await run(1)

        // Rules that do not compile: refused, and the process keeps following with the old ones.
        try original.replacingOccurrences(of: "'^-{80}$'", with: "'^-{80'").write(toFile: rules, atomically: true, encoding: .utf8)
        daemon.kill(SIGHUP)
        try await eventually("the refusal") { logged("rules not reloaded; the previous rules stay in force") }
        try await run(2)

        // Good rules that file bash under `web`: applied to what is read after the reload.
        try original.replacingOccurrences(of: "  shell: [bash, bash_output, bash_kill]\n", with: "  shell: [bash_output, bash_kill]\n  web: [bash]\n")
            .write(toFile: rules, atomically: true, encoding: .utf8)
        daemon.kill(SIGHUP)
        try await eventually("the reload") { logged("rules reloaded") }
        try await run(3)
        #expect(try categories() == ["shell", "shell", "web"])

        daemon.kill(SIGTERM)
        let result = await daemon.finish()
        #expect(result.status == 0)
        #expect(try workspace.count(.llmCalls) == 6)
        #expect(try workspace.count(.toolExecutions) == 3)
        #expect(try workspace.count(.agentErrors) == 0)
    }
}
