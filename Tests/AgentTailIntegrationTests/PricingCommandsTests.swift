import AgentTailTestSupport
import Foundation
import Testing

@testable import AgentTail

/// What `run --once` and `check` say about tokens and cost, and the model a source takes from its agent's own
/// configuration.
struct PricingCommandsTests {
    static let claudeFixtures = Fixtures.folder.appendingPathComponent("claude-code")

    /// A workspace whose only source reads copies of the Claude Code fixtures, with `pricing` in its config.
    func claudeWorkspace(pricing: String = "") throws -> Workspace {
        let workspace = try Workspace()
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.claudeFixtures.path)
        where name.hasSuffix(".jsonl") {
            try FileManager.default.copyItem(
                atPath: Self.claudeFixtures.appendingPathComponent(name).path, toPath: "\(workspace.logs)/\(name)")
        }
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(of: "agent_run_*.log", with: "*.jsonl")
            .replacingOccurrences(of: "rules: builtin:mini-agent", with: "rules: builtin:claude-code")
        try (config + "\n" + pricing).write(toFile: workspace.config, atomically: true, encoding: .utf8)
        return workspace
    }

    @Test func runOnceSummarizesTokensAndCostPerModelAndNamesModelsWithoutAPrice() async throws {
        let workspace = try claudeWorkspace()
        let run = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // Fixtures 01 and 03: 19482.15 + 18043.2 + 7631.7 millionths of a dollar over four calls.
        #expect(
            run.stdout.contains(
                "    claude-sonnet-4-5-20250929: 4 calls, prompt 64,343 (58,871 cache read, 5,453 cache write), "
                    + "output 466, $0.04515705\n"))
        #expect(run.stdout.contains("    claude-sonnet-4-20250514: 2 calls, prompt 28,869 (25,962 cache read, 2,899 cache write), output 344, no price\n"))
        #expect(run.stdout.contains("  no price known for model 'claude-sonnet-4-20250514' (2 calls)"))

        let check = try await AgentTailProcess.run(["check", "--config", workspace.config])
        #expect(check.status == 0, "stderr: \(check.stderr)")
        #expect(check.stdout.contains("note: no price known for model 'claude-sonnet-4-20250514' (2 calls in \(workspace.store))"))
    }

    @Test func pricesInTheConfigurationPriceTheirModel() async throws {
        let workspace = try claudeWorkspace(
            pricing: "pricing:\n  claude-sonnet-4-20250514: {input: 3, output: 15, cache_read: 0.3, cache_write: 3.75}\n")
        let run = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // 14877.3 + 8966.55 millionths.
        #expect(run.stdout.contains("claude-sonnet-4-20250514: 2 calls, prompt 28,869 (25,962 cache read, 2,899 cache write), output 344, $0.02384385\n"))
        #expect(!run.stdout.contains("no price"))
        let check = try await AgentTailProcess.run(["check", "--config", workspace.config])
        #expect(!check.stdout.contains("no price known"))
    }

    /// Mini-Agent's log names no model: the source reads it from the agent's configuration when a session starts,
    /// so a run started after the configuration changed gets the new model and an older run keeps its own.
    @Test func theModelComesFromTheAgentsConfigurationWhenASessionStarts() async throws {
        let workspace = try Workspace()
        let agentConfig = "\(workspace.root)/mini-agent-config.yaml"
        try "api_key: \"sk-not-read\"\nmodel: \"MiniMax-M2\"\nprovider: anthropic\n".write(
            toFile: agentConfig, atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(
                of: "    rules: builtin:mini-agent\n",
                with: "    rules: builtin:mini-agent\n    model: {file: [\"{workspace}/none.yaml\", \(agentConfig)], key: model}\n")
        try config.write(toFile: workspace.config, atomically: true, encoding: .utf8)

        let check = try await AgentTailProcess.run(["check", "--config", workspace.config])
        #expect(check.stdout.contains("ok: source 'mini-agent': model MiniMax-M2 (from 'model' in {workspace}/none.yaml or \(agentConfig))"))
        #expect(!check.stdout.contains("no price known"))

        try workspace.write("agent_run_20261126_100000.log", MiniAgentLog.simpleRun(task: "First").text)
        var run = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        try "model: MiniMax-M2.1\n".write(toFile: agentConfig, atomically: true, encoding: .utf8)
        try workspace.write(
            "agent_run_20261126_110000.log", MiniAgentLog.simpleRun(task: "Second", start: "2026-11-26 11:00:00").text)
        run = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(run.status == 0, "stderr: \(run.stderr)")

        // Each run makes two calls.
        #expect(
            try workspace.column("model", of: .llmCalls, orderedBy: "started_at")
                == ["MiniMax-M2", "MiniMax-M2", "MiniMax-M2.1", "MiniMax-M2.1"])
        // No token counts in the log: none are guessed, and nothing is priced.
        #expect(try workspace.count(.llmCalls, where: "prompt_tokens IS NULL AND cost_usd IS NULL") == 4)
        #expect(!run.stdout.contains("no price"))
    }
}
