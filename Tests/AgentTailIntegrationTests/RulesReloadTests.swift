import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A running `agenttail run` whose source reads a copy of the Mini-Agent rules, with its stderr in a file.
private final class RunWithRules {
    let workspace: Workspace
    let original: String
    let rules: String
    let stderr: String
    let daemon: AgentTailProcess

    /// The original rules with bash filed under `web` instead of `shell`.
    var bashIsWeb: String {
        original.replacingOccurrences(
            of: "  shell: [bash, bash_output, bash_kill]\n", with: "  shell: [bash_output, bash_kill]\n  web: [bash]\n")
    }

    init(configPrefix: String = "") throws {
        workspace = try Workspace()
        original = try String(contentsOfFile: try #require(RulePackLoader.builtinPath("mini-agent")), encoding: .utf8)
        rules = "\(workspace.root)/rules.yaml"
        try original.write(toFile: rules, atomically: true, encoding: .utf8)
        let config = configPrefix
            + (try String(contentsOfFile: workspace.config, encoding: .utf8))
            .replacingOccurrences(of: "rules: builtin:mini-agent", with: "rules: \(rules)")
        try config.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        stderr = "\(workspace.root)/agenttail.stderr"
        daemon = try AgentTailProcess(["run", "--config", workspace.config, "--log-level", "notice"], stderrPath: stderr)
    }

    func logged(_ text: String) -> Bool {
        (try? String(contentsOfFile: stderr, encoding: .utf8))?.contains(text) ?? false
    }

    func saveRules(_ text: String) throws {
        try text.write(toFile: rules, atomically: true, encoding: .utf8)
    }

    /// The category of every tool execution, in the order they ran.
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

    func stop() async -> Int32 {
        daemon.kill(SIGTERM)
        return await daemon.finish().status
    }
}

/// SIGHUP (or a saved rules file, with `watch_rules: true`) reloads the rules of a running `agenttail run`: broken
/// rules are refused and the old ones stay; good rules apply from the next record on; nothing read is lost or doubled.
@Suite(.serialized)
struct RulesReloadTests {
    @Test func brokenRulesAreRefusedAndGoodRulesApplyWithoutARestart() async throws {
        let running = try RunWithRules()
        // A run under the original rules: bash is a shell tool.
        try await running.run(1)

        // Rules that do not compile: refused, and the process keeps following with the old ones.
        try running.saveRules(running.original.replacingOccurrences(of: "'^-{80}$'", with: "'^-{80'"))
        running.daemon.kill(SIGHUP)
        try await eventually("the refusal") { running.logged("rules not reloaded; the previous rules stay in force") }
        try await running.run(2)

        // Good rules that file bash under `web`: applied to what is read after the reload.
        try running.saveRules(running.bashIsWeb)
        running.daemon.kill(SIGHUP)
        try await eventually("the reload") { running.logged("rules reloaded") }
        try await running.run(3)
        #expect(try running.categories() == ["shell", "shell", "web"])

        #expect(await running.stop() == 0)
        #expect(try running.workspace.count(.llmCalls) == 6)
        #expect(try running.workspace.count(.toolExecutions) == 3)
        #expect(try running.workspace.count(.agentErrors) == 0)
    }

    /// With `watch_rules: true`, saving the rules file is enough: a broken save is refused, a good one applies.
    @Test func savedRulesAreReloadedWhenWatched() async throws {
        let running = try RunWithRules(configPrefix: "watch_rules: true\n")
        try await eventually("the watch") { running.logged("watching the rules files for changes") }

        try running.saveRules(running.original.replacingOccurrences(of: "mode: multiline", with: "mode: sideways"))
        try await eventually("the refusal") { running.logged("rules not reloaded; the previous rules stay in force") }
        try running.saveRules(running.bashIsWeb)
        try await eventually("the reload") { running.logged("rules reloaded") }
        try await running.run(1)
        #expect(try running.categories() == ["web"])
        #expect(await running.stop() == 0)
    }
}
