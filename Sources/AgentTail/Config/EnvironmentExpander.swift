import Foundation

/// Expands `${VAR}`, `${VAR:-default}` and a leading `~` in configuration values.
///
/// `$$` stands for a literal `$`. A variable that is unset (and has no default) is an error located at the value,
/// never an empty string, so that a missing secret cannot silently turn into an empty one.
package struct EnvironmentExpander: Sendable {
    package let environment: [String: String]

    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    package func expand(_ text: String, at value: YAMLValue) throws(ConfigError) -> String {
        guard text.contains("$") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            guard character == "$", next < text.endIndex else {
                output.append(character)
                index = next
                continue
            }
            if text[next] == "$" {
                output.append("$")
                index = text.index(after: next)
                continue
            }
            guard text[next] == "{", let close = text[next...].firstIndex(of: "}") else {
                output.append(character)
                index = next
                continue
            }
            let body = text[text.index(after: next)..<close]
            let name: Substring
            let fallback: Substring?
            if let separator = body.range(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw value.error("invalid variable reference '${\(body)}'; write ${NAME} or ${NAME:-default}")
            }
            if let resolved = environment[String(name)], !resolved.isEmpty {
                output += resolved
            } else if let fallback {
                output += fallback
            } else {
                throw value.error("environment variable \(name) is not set; export it or write ${\(name):-default}")
            }
            index = text.index(after: close)
        }
        return output
    }

    /// True when `text` takes something from a set environment variable: a `${NAME}` whose variable is set, as
    /// opposed to text written literally or a `${NAME:-default}` falling back to its default.
    package func takesFromEnvironment(_ text: String) -> Bool {
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex && rest[rest.index(before: open.lowerBound)] == "$" {
                rest = rest[open.upperBound...]
                continue
            }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { return false }
            let body = rest[open.upperBound..<close]
            let name = body.range(of: ":-").map { body[..<$0.lowerBound] } ?? body
            if let value = environment[String(name)], !value.isEmpty { return true }
            rest = rest[rest.index(after: close)...]
        }
        return false
    }

    /// Expands a leading `~` or `~/` to the home directory.
    package func expandTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
