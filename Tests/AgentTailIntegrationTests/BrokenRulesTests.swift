import Foundation
import Testing

import AgentTailTestSupport

@testable import AgentTail

/// A rules file broken in each way a user can break one: `run` refuses to start, reading nothing and writing
/// nothing, and says where the problem is (file:line:column) and what it is; `check` reports the same.
struct BrokenRulesTests {
    /// One way to break the built-in Mini-Agent rules: the text replaced, the text the error must point at (its
    /// last occurrence in the broken file, or nil when the YAML parser decides), and what the message must say.
    struct Breakage: Sendable, CustomTestStringConvertible {
        var name: String
        var replace: String
        var with: String
        var pointsAt: String?
        var message: String

        var testDescription: String { name }
    }

    static let breakages = [
        Breakage(
            name: "YAML syntax", replace: "  mode: multiline", with: "  mode: [multiline", pointsAt: nil,
            message: "error: invalid YAML: "),
        Breakage(
            name: "unknown key", replace: "    emit: tool_result", with: "    emitt: tool_result", pointsAt: "emitt:",
            message: "error: records[2].emitt: unknown key 'emitt'; did you mean 'emit'?"),
        Breakage(
            name: "invalid regex", replace: "'^Timestamp: (?<timestamp>.+)$'", with: "'^Timestamp: (?<timestamp>.+$'",
            pointsAt: "'^Timestamp", message: "error: framing.head_fields[0]: invalid regex '^Timestamp: (?<timestamp>.+$': "),
        Breakage(
            name: "unknown column in a rule", replace: "      success: '$.success'", with: "      succes: '$.success'",
            pointsAt: "succes:", message: "error: records[2].fields.succes: unknown key 'succes'; did you mean 'success'?"),
        Breakage(
            name: "unknown column in a test", replace: "        tool_call_id: call_1", with: "        tool_call: call_1",
            pointsAt: "call_1",
            message: "error: tests[0].rows[3].tool_call: tool_executions has no column 'tool_call'; did you mean 'tool_call_id'?"),
        Breakage(
            name: "JSON path the tests never find", replace: "tool_name: '$.tool_name'", with: "tool_name: '$.tool_nme'",
            pointsAt: "'$.tool_nme'",
            message: "error: records[2].fields.tool_name: '$.tool_nme' finds nothing in the 1 record rule 'tool_result' "
                + "matches in this file's tests; the object there has arguments, error, result, success, tool_name "
                + "(did you mean 'tool_name'?)"),
        Breakage(
            name: "failing rule test", replace: "        tool_errors: 1", with: "        tool_errors: 2",
            pointsAt: "name: a failing tool",
            message: "error: tests: rule test 'a failing tool, then the final answer' fails: "
                + "agent_sessions[0].tool_errors: expected 2, got 1"),
    ]

    @Test(arguments: breakages)
    func runRefusesToStartAndSaysWhere(_ breakage: Breakage) async throws {
        let workspace = try Workspace()
        let builtin = try #require(RulePackLoader.builtinPath("mini-agent"))
        let original = try String(contentsOfFile: builtin, encoding: .utf8)
        #expect(original.contains(breakage.replace))
        let broken = original.replacingOccurrences(of: breakage.replace, with: breakage.with)
        let rules = "\(workspace.root)/rules.yaml"
        try broken.write(toFile: rules, atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(of: "rules: builtin:mini-agent", with: "rules: rules.yaml")
        try config.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        try workspace.write("agent_run_20261127_100000.log", MiniAgentLog.simpleRun(task: "list the files").text)

        var location = "\(rules):"
        if let mark = breakage.pointsAt {
            let lines = broken.components(separatedBy: "\n")
            let line = try #require(lines.lastIndex { $0.contains(mark) })
            let column = lines[line].distance(from: lines[line].startIndex, to: lines[line].range(of: mark)!.lowerBound)
            location += "\(line + 1):\(column + 1): "
        }

        let run = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(run.status == 2, "stderr: \(run.stderr)")
        let first = run.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix(location), "\(first)")
        #expect(first.contains(breakage.message), "\(first)")
        #expect(!FileManager.default.fileExists(atPath: workspace.state), "run read logs with broken rules")
        #expect(!FileManager.default.fileExists(atPath: workspace.store), "run wrote events with broken rules")

        let check = try await AgentTailProcess.run(["check", "--config", workspace.config])
        #expect(check.status != 0)
        #expect(check.stderr.contains(breakage.message), "\(check.stderr)")
    }
}
