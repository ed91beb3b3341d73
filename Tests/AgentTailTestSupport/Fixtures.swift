import AgentTail
import Foundation

/// The logs written by the real agents that the tests read (`Tests/AgentTailTests/Fixtures`), and their rules.
package enum Fixtures {
    package static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AgentTailTests/Fixtures")

    /// The path of a fixture, such as `mini-agent/01_single_tool.log`.
    package static func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    package static var miniAgentRules: RulePack {
        get throws { try RulePackLoader.load(.builtin("mini-agent")) }
    }

    package static var claudeCodeRules: RulePack {
        get throws { try RulePackLoader.load(.builtin("claude-code")) }
    }
}

/// A fresh temporary folder, removed when the value is released by the test.
package final class TemporaryFolder {
    package let path: String

    package init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    package func file(_ name: String) -> String { "\(path)/\(name)" }

    @discardableResult
    package func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension Array where Element == NormalizedRow {
    /// The rows of one table, in order.
    package func rows(_ table: NormalizedTable) -> [NormalizedRow] { filter { $0.table == table } }
}

extension NormalizedRow {
    /// A member of the row's `metadata` object, as text (`1` for true).
    package func metadataText(_ key: String) -> String? {
        guard let data = text("metadata")?.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let value = object[key]
        else { return nil }
        return "\(value)"
    }

    package func metadataInt(_ key: String) -> Int { Int(metadataText(key) ?? "") ?? -1 }
}
