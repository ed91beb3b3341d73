import AgentTail
import ArgumentParser
import Foundation
import Logging

struct TestRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-rules",
        abstract: "Run the tests a rules file carries and show what differs for each one that fails.",
        discussion: """
            A rules file may list tests under `tests:`, each with a log text (`input:`) or a sample log (`file:`, \
            relative to the rules file) and the rows it must produce (`rows:`, any subset of columns per row). Each \
            input is parsed as one whole, finished file, as `agenttail parse` does. A JSON path of a rule that finds \
            nothing in any record the rule matches in the tests is reported too, with its place in the file. Exits 0 \
            when every test passes and every path finds its field, 1 otherwise, 2 when the rules do not load.
            """)

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("Rules to test: builtin:NAME or a rules YAML file.", valueName: "rules"))
    var rules: String

    func run() throws {
        _ = common.bootstrapLogging(default: .notice)
        let pack = try loadRules(rules)
        let results = RuleTestRunner.run(pack)
        guard !results.isEmpty else {
            print("\(pack.origin): no tests (add them under `tests:`)")
            return
        }
        for result in results {
            print("\(result.passed ? "PASS" : "FAIL")  \(result.test.name)  (\(result.test.location))")
            for difference in result.differences { print("      \(difference)") }
        }
        let failed = results.filter { !$0.passed }.count
        print("\(results.count - failed) passed, \(failed) failed")
        for warning in RuleTestRunner.unreachedRules(pack) { printDiagnostic(warning) }
        let paths = RuleTestRunner.unmatchedPaths(pack)
        for problem in paths { printDiagnostic(problem.description) }
        if failed > 0 || !paths.isEmpty { throw ExitCode(1) }
    }
}
