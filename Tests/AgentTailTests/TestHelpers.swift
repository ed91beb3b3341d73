import Foundation
import Testing

@testable import AgentTail

/// Paths and helpers shared by the unit tests.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    static var miniAgentRules: RulePack {
        get throws { try RulePackLoader.load(.builtin("mini-agent")) }
    }
}

/// A fresh temporary folder, removed when the value is released by the test.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension Array where Element == NormalizedRow {
    func rows(_ table: NormalizedTable) -> [NormalizedRow] { filter { $0.table == table } }
}

/// Parses text as one finished log file with the Mini-Agent rules.
func parseMiniAgent(_ text: String, chunkSizes: [Int]? = nil) throws -> [NormalizedRow] {
    let folder = try TemporaryFolder()
    let path = try folder.write("agent_run_test.log", text)
    return try FileParser.rows(path: path, rules: try Fixtures.miniAgentRules, host: "test-host")
}
