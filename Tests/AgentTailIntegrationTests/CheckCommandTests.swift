import Foundation
import Testing

@testable import AgentTail

/// `agenttail check` on broken configurations: one clear message each, with its location, and a non-zero exit.
struct CheckCommandTests {
    func check(config: String, rules: String? = nil, environment: [String: String] = [:]) async throws -> (
        status: Int32, stderr: String, path: String
    ) {
        let workspace = try Workspace()
        if let rules { try rules.write(toFile: "\(workspace.root)/rules.yaml", atomically: true, encoding: .utf8) }
        let text = config.replacingOccurrences(of: "ROOT", with: workspace.root)
        try text.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let result = try await AgentTailProcess.run(["check", "--config", workspace.config], environment: environment)
        return (result.status, result.stderr, workspace.config)
    }

    @Test func validConfigPasses() async throws {
        let workspace = try Workspace()
        let result = try await AgentTailProcess.run(["check", "--config", workspace.config])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("rules builtin:mini-agent"))
    }

    @Test func typoedKey() async throws {
        let result = try await check(config: "sources:\n  - name: a\n    paths: [ROOT/logs/*.log]\n    start_at: beginning\n    rulez: builtin:mini-agent\n")
        #expect(result.status == 2)
        #expect(result.stderr == "\(result.path):5:5: error: sources[0].rulez: unknown key 'rulez'; did you mean 'rules'?\n")
    }

    @Test func badType() async throws {
        let result = try await check(config: "sources:\n  - name: a\n    paths: [ROOT/logs/*.log]\n    start_at: [beginning]\n")
        #expect(result.status == 2)
        #expect(result.stderr == "\(result.path):4:15: error: sources[0].start_at: expected a text value, got a list\n")
    }

    @Test func missingEnvironmentVariable() async throws {
        let result = try await check(config: "sources:\n  - name: a\n    paths: [ROOT/logs/*.log]\nstate:\n  path: ${AGENTTAIL_TEST_UNSET_DIR}/state.sqlite\n")
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "\(result.path):5:9: error: state.path: environment variable AGENTTAIL_TEST_UNSET_DIR is not set; export it or write ${AGENTTAIL_TEST_UNSET_DIR:-default}\n"
        )
    }

    @Test func invalidRegexInRules() async throws {
        let rules = """
            name: custom
            framing:
              start: ['^\\[(?<type>[A-Z]+\\]$']
            timestamp: { json: '$.ts', format: iso8601 }
            records:
              - emit: ignore
            """
        let result = try await check(
            config: "sources:\n  - name: a\n    paths: [ROOT/logs/*.log]\n    rules: rules.yaml\n", rules: rules)
        #expect(result.status == 1)
        let rulesPath = URL(fileURLWithPath: result.path).deletingLastPathComponent().appendingPathComponent("rules.yaml").path
        #expect(result.stderr.hasPrefix("\(rulesPath):3:11: error: framing.start[0]: invalid regex '^\\[(?<type>[A-Z]+\\]$': "))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
