import Foundation
import Yams

/// Reads credentials from the configuration. A credential comes from the environment (`${VAR}`) or from a file
/// (`{file: PATH}`, such as a Docker or systemd secret); one written into the configuration file itself is refused,
/// because configuration files get committed, copied and printed, unless `allow_inline_secrets: true` says so.
struct SecretReader {
    let expander: EnvironmentExpander
    /// The configuration file's folder, for relative paths.
    let base: String
    let allowInline: Bool

    /// The credential at `node`; `reference` is the `${VAR}` suggested when it is written inline.
    func read(_ node: YAMLValue, suggesting reference: String) throws(ConfigError) -> Secret {
        let key = node.keyPath.split(separator: ".").last.map(String.init) ?? "value"
        if case .mapping = node.node {
            return try readFile(node.mapping(allowed: ["file"]).required("file"))
        }
        guard case .scalar(let scalar) = node.node, !node.isNull else {
            throw node.error("expected the credential, as \(key): \(reference) or \(key): {file: PATH}")
        }
        let value = try node.nonEmptyString()
        guard allowInline || expander.takesFromEnvironment(scalar.string) else {
            throw node.error(
                "refusing a credential written in the configuration file; take it from the environment "
                    + "(\(key): \(reference)) or from a file (\(key): {file: /run/secrets/NAME}), or set "
                    + "allow_inline_secrets: true")
        }
        return Secret(value)
    }

    /// The content of a secret file, without its trailing newline. Errors name the file, never its content.
    private func readFile(_ node: YAMLValue) throws(ConfigError) -> Secret {
        var path = expander.expandTilde(try node.nonEmptyString())
        if !path.hasPrefix("/") { path = URL(fileURLWithPath: base).appendingPathComponent(path).standardized.path }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw node.error("cannot read the secret file \(path); check that it exists and agenttail may read it")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw node.error("the secret file \(path) is not UTF-8 text")
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw node.error("the secret file \(path) is empty") }
        guard !value.contains(where: \.isNewline) else {
            throw node.error("the secret file \(path) holds more than one line; it should hold the credential alone")
        }
        return Secret(value)
    }
}
