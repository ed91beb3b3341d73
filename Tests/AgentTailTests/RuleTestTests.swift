import Foundation
import Testing

@testable import AgentTail

struct RuleTestTests {
    /// Every built-in pack passes its own tests.
    @Test(arguments: RulePackLoader.builtinNames)
    func builtInPackPassesItsTests(name: String) throws {
        let pack = try RulePackLoader.load(.builtin(name))
        #expect(!pack.tests.isEmpty, "builtin:\(name) carries no tests")
        for result in RuleTestRunner.run(pack) {
            #expect(result.passed, "\(result.test.name): \(result.differences.joined(separator: "; "))")
        }
    }

    /// A wrong expectation fails with a line that names the table, row, column, expected and produced value; a
    /// missing row fails on the count.
    @Test func wrongExpectationsAreReportedPrecisely() throws {
        let builtin = try #require(RulePackLoader.builtinPath("mini-agent"))
        var text = try String(contentsOfFile: builtin, encoding: .utf8)
        text = text.replacingOccurrences(of: "        tool_errors: 1\n", with: "        tool_errors: 3\n")
        text = text.replacingOccurrences(of: "        duration_ms: 250\n", with: "        duration_ms: 250\n      - table: tool_executions\n        tool_name: bash\n")
        let pack = try RulePackLoader.compile(text: text, file: builtin)
        let result = try #require(RuleTestRunner.run(pack).first)
        #expect(!result.passed)
        #expect(result.differences.contains("agent_sessions[0].tool_errors: expected 3, got 1"))
        #expect(result.differences.contains("tool_executions: expected 2 rows, got 1"))
    }

    /// Two long texts that part late are shown around where they part, not as two identical beginnings.
    @Test func longTextsAreShownWhereTheyDiffer() {
        let head = String(repeating: "step ", count: 40)
        let line = RuleTest.Expected.difference(
            expected: .string(head + "wrote alpha.txt and then stopped"), got: .string(head + "wrote beta.txt and then stopped"))
        #expect(line == "expected …\"tep step step step step wrote alpha.txt and then stopped\", got …\"tep step step step "
            + "step wrote beta.txt and then stopped\" (232 and 231 characters; they differ from character 207 on)")
        #expect(RuleTest.Expected.difference(expected: .string("short"), got: .string("shorter"))
            == "expected \"short\", got \"shorter\"")
    }

    /// Tests that name an unknown table or column fail to load, at their location.
    @Test func unknownColumnsAreRuleErrors() throws {
        let builtin = try #require(RulePackLoader.builtinPath("mini-agent"))
        let text = try String(contentsOfFile: builtin, encoding: .utf8)
            .replacingOccurrences(of: "        tool_call_id: call_1\n", with: "        tool_call: call_1\n")
        #expect {
            _ = try RulePackLoader.compile(text: text, file: builtin)
        } throws: { error in
            "\(error)".contains("tests[0].rows[3].tool_call: tool_executions has no column 'tool_call'; did you mean 'tool_call_id'?")
        }
    }
}
