import Foundation
import Yams

/// A YAML node together with the file and key path it came from, so that every check can say where it failed.
package struct YAMLValue {
    package let node: Node
    package let file: String
    /// Dotted key path from the document root, such as `sources[0].paths`.
    package let keyPath: String
    /// Rewrites scalar text before it is interpreted (environment expansion in config files).
    package let expand: @Sendable (String, YAMLValue) throws(ConfigError) -> String
    /// Where problems that need not stop the reading are kept (unknown keys), when the reader collects them.
    package var diagnostics: ConfigDiagnostics?

    /// Parses `text` and returns its root node, or nil for an empty document.
    package static func parse(
        _ text: String, file: String,
        expand: @escaping @Sendable (String, YAMLValue) throws(ConfigError) -> String = { text, _ in text }
    ) throws(ConfigError) -> YAMLValue? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError.fromYams(error, file: file)
        }
        return root.map { YAMLValue(node: $0, file: file, keyPath: "", expand: expand) }
    }

    /// Reads and parses a YAML file.
    package static func load(
        path: String,
        expand: @escaping @Sendable (String, YAMLValue) throws(ConfigError) -> String = { text, _ in text }
    ) throws(ConfigError) -> YAMLValue? {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError.unreadable(file: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError.unreadable(file: path, reason: "not valid UTF-8")
        }
        return try parse(text, file: path, expand: expand)
    }

    /// An error located at this node.
    package func error(_ message: String) -> ConfigError {
        let mark = node.mark
        return .invalid(
            file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, keyPath: keyPath, message: message)
    }

    private func child(_ node: Node, path: String) -> YAMLValue {
        YAMLValue(node: node, file: file, keyPath: path, expand: expand, diagnostics: diagnostics)
    }

    private var kindName: String {
        switch node {
        case .scalar: return node.null != nil ? "null" : "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// This node as a mapping whose keys must all be in `allowed`.
    package func mapping(allowed: [String]) throws(ConfigError) -> YAMLMapping {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping with keys \(allowed.joined(separator: ", ")), got \(kindName)")
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw child(keyNode, path: keyPath).error("keys must be plain words")
            }
            let key = scalar.string
            let path = keyPath.isEmpty ? key : "\(keyPath).\(key)"
            guard allowed.contains(key) else {
                var message = "unknown key '\(key)'"
                if let suggestion = Suggestion.closest(to: key, in: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; expected one of \(allowed.joined(separator: ", "))"
                }
                let problem = child(keyNode, path: path).error(message)
                guard let diagnostics else { throw problem }
                diagnostics.add(problem)
                if let suggestion = Suggestion.closest(to: key, in: allowed) {
                    diagnostics.misspelt.insert(keyPath.isEmpty ? suggestion : "\(keyPath).\(suggestion)")
                }
                continue
            }
            entries.append((key, keyNode, valueNode))
        }
        return YAMLMapping(owner: self, entries: entries.map { ($0.key, child($0.value, path: keyPath.isEmpty ? $0.key : "\(keyPath).\($0.key)")) })
    }

    /// This node as a list; a scalar counts as a list of one when `allowScalar` is set.
    package func sequence(allowScalar: Bool = false) throws(ConfigError) -> [YAMLValue] {
        switch node {
        case .sequence(let items):
            return items.enumerated().map { child($0.element, path: "\(keyPath)[\($0.offset)]") }
        case .scalar where allowScalar:
            return [self]
        default:
            throw error("expected a list, got \(kindName)")
        }
    }

    /// True when the node is an explicit YAML null (`~`, `null` or nothing).
    package var isNull: Bool {
        if case .scalar = node { return node.null != nil }
        return false
    }

    /// The node's text after expansion; mappings, lists and null are errors.
    package func string() throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node, !isNull else {
            throw error("expected a text value, got \(kindName)")
        }
        return try expand(scalar.string, self)
    }

    /// The node as a non-empty string.
    package func nonEmptyString() throws(ConfigError) -> String {
        let text = try string()
        guard !text.isEmpty else { throw error("must not be empty") }
        return text
    }

    package func bool() throws(ConfigError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("expected true or false, got '\(other)'")
        }
    }

    package func int(min: Int = .min, max: Int = .max) throws(ConfigError) -> Int {
        let text = try string()
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw error("expected a whole number, got '\(text)'")
        }
        guard value >= min, value <= max else {
            let bounds =
                max == .max ? "at least \(min)" : min == .min ? "at most \(max)" : "between \(min) and \(max)"
            throw error("must be \(bounds), got \(value)")
        }
        return value
    }

    /// A duration such as `250ms`, `30s`, `10m` or `1h`.
    package func duration() throws(ConfigError) -> Duration {
        let text = try string().trimmingCharacters(in: .whitespaces)
        guard let duration = Duration(text: text) else {
            throw error("expected a duration such as 500ms, 30s, 10m or 1h, got '\(text)'")
        }
        return duration
    }

    /// A byte size such as `512`, `64KiB`, `8MiB` or `1GiB`.
    package func byteSize() throws(ConfigError) -> Int {
        let text = try string().trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1), ("", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            if let value = Int(number), value >= 0 { return value * scale }
            if let value = Double(number), value >= 0, value.isFinite, value * Double(scale) < Double(Int.max) {
                return Int(value * Double(scale))
            }
        }
        throw error("expected a size such as 4096, 64KiB, 3.5MiB or 1GiB, got '\(text)'")
    }

    /// One of a fixed set of words.
    package func oneOf(_ choices: [String]) throws(ConfigError) -> String {
        let text = try string()
        guard choices.contains(text) else {
            var message = "expected one of \(choices.joined(separator: ", ")), got '\(text)'"
            if let suggestion = Suggestion.closest(to: text, in: choices) { message += "; did you mean '\(suggestion)'?" }
            throw error(message)
        }
        return text
    }
}

/// The entries of a YAML mapping whose keys were checked.
package struct YAMLMapping {
    package let owner: YAMLValue
    package let entries: [(key: String, value: YAMLValue)]

    package subscript(key: String) -> YAMLValue? {
        entries.first { $0.key == key }?.value
    }

    /// The value at `key`, which must be present and not null.
    package func required(_ key: String) throws(ConfigError) -> YAMLValue {
        guard let value = self[key], !value.isNull else {
            let path = owner.keyPath.isEmpty ? key : "\(owner.keyPath).\(key)"
            // A misspelling of it was reported already: saying that it is missing too would be noise.
            if owner.diagnostics?.misspelt.contains(path) == true { throw ConfigError.several([]) }
            throw owner.error("missing required key '\(key)'")
        }
        return value
    }

    /// The value at `key` unless it is absent or null.
    package func optional(_ key: String) -> YAMLValue? {
        guard let value = self[key], !value.isNull else { return nil }
        return value
    }
}

/// Picks the closest known word to a misspelt one, for "did you mean" hints.
package enum Suggestion {
    package static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word, $0)) }.min { $0.1 < $1.1 }
        guard let (best, score) = scored, score <= max(2, word.count / 3) else { return nil }
        return best
    }

    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension Duration {
    /// A duration written as `250ms`, `30s`, `10m`, `1h`, `7d` or `2w`; nil for anything else.
    package init?(text: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if let value = Double(number), value >= 0, value.isFinite {
                self = .milliseconds(Int64((value * scale * 1000).rounded()))
                return
            }
        }
        return nil
    }

    /// The duration in seconds.
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// The duration as `init(text:)` reads it: `5m`, `90s`, `250ms`.
    package var text: String {
        let millis = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        for (suffix, scale) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000)] where millis % scale == 0 {
            return "\(millis / scale)\(suffix)"
        }
        return "\(millis)ms"
    }
}
