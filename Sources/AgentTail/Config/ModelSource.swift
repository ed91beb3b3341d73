import Foundation
import Yams

/// Where a source's model name comes from when its log does not write one (Mini-Agent's log has no model).
package enum ModelSource: Sendable, Equatable, CustomStringConvertible {
    /// Always this model.
    case fixed(String)
    /// The value at `key` (a dotted path such as `model` or `llm.model`) in the first of `paths` that exists and
    /// has it. `{workspace}` in a path is the session's workspace, so that a workspace's own configuration wins.
    case file(paths: [String], key: String)

    /// The model for a session that works in `workspace`; read when the session starts, so that a changed
    /// configuration applies to new runs. Nil when no file has the key: a model is never guessed.
    package func resolve(workspace: String?) -> String? {
        switch self {
        case .fixed(let model):
            return model
        case .file(let paths, let key):
            for path in paths {
                if path.contains("{workspace}") && workspace == nil { continue }
                let resolved = path.replacingOccurrences(of: "{workspace}", with: workspace ?? "")
                guard let data = FileManager.default.contents(atPath: resolved),
                    let document = try? Yams.load(yaml: String(decoding: data, as: UTF8.self))
                else { continue }
                var value: Any? = document
                for step in key.split(separator: ".") { value = (value as? [String: Any])?[String(step)] }
                if let model = value as? String, !model.isEmpty { return model }
            }
            return nil
        }
    }

    package var description: String {
        switch self {
        case .fixed(let model): return model
        case .file(let paths, let key): return "'\(key)' in " + paths.joined(separator: " or ")
        }
    }
}
