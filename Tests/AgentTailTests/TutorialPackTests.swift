import Foundation
import Testing

@testable import AgentTail

/// The pack docs/rules.md writes step by step: it is in the repository as docs/tutorial/pebble.yaml, the document
/// shows it whole, and its tests pass.
struct TutorialPackTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs")

    @Test func tutorialPackPassesItsTests() throws {
        let pack = try RulePackLoader.load(path: Self.docs.appendingPathComponent("tutorial/pebble.yaml").path)
        #expect(pack.tests.count == 2)
        for result in RuleTestRunner.run(pack) {
            #expect(result.passed, "\(result.test.name): \(result.differences.joined(separator: "; "))")
        }
        #expect(RuleTestRunner.unmatchedPaths(pack).map(\.description) == [])
    }

    @Test func documentShowsThePackAsItIs() throws {
        let document = try String(contentsOf: Self.docs.appendingPathComponent("rules.md"), encoding: .utf8)
        let pack = try String(contentsOf: Self.docs.appendingPathComponent("tutorial/pebble.yaml"), encoding: .utf8)
        #expect(document.contains("```yaml\n" + pack + "```\n"), "docs/rules.md must show docs/tutorial/pebble.yaml whole")
    }
}
