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

extension NormalizedRow {
    /// A member of the row's `metadata` object, as text (`1` for true).
    func metadataText(_ key: String) -> String? {
        guard let data = text("metadata")?.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let value = object[key]
        else { return nil }
        return "\(value)"
    }

    func metadataInt(_ key: String) -> Int { Int(metadataText(key) ?? "") ?? -1 }
}

/// Parses text as one finished log file with the Mini-Agent rules.
func parseMiniAgent(_ text: String, chunkSizes: [Int]? = nil) throws -> [NormalizedRow] {
    let folder = try TemporaryFolder()
    let path = try folder.write("agent_run_test.log", text)
    return try FileParser.rows(path: path, rules: try Fixtures.miniAgentRules, host: "test-host")
}
