import Yams

/// A problem in a configuration or rules file, located like a compiler diagnostic.
package enum ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The file is not well-formed YAML.
    case syntax(file: String, line: Int, column: Int, message: String)
    /// A value is well-formed YAML but not what agenttail accepts at that place.
    case invalid(file: String, line: Int, column: Int, keyPath: String, message: String)

    package var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): error: cannot read file: \(reason)"
        case let .syntax(file, line, column, message):
            return "\(file):\(line):\(column): error: invalid YAML: \(message)"
        case let .invalid(file, line, column, keyPath, message):
            let prefix = keyPath.isEmpty ? "" : "\(keyPath): "
            return "\(file):\(line):\(column): error: \(prefix)\(message)"
        }
    }

    /// The key path the error is about, empty for file-level errors.
    package var keyPath: String {
        if case let .invalid(_, _, _, keyPath, _) = self { return keyPath }
        return ""
    }

    /// Wraps an error thrown by Yams while parsing `file`.
    static func fromYams(_ error: any Error, file: String) -> ConfigError {
        guard let yamlError = error as? YamlError else {
            return .syntax(file: file, line: 1, column: 1, message: "\(error)")
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            let detail = context.map { "\($0.text), " } ?? ""
            return .syntax(file: file, line: mark.line, column: mark.column, message: detail + problem)
        case let .reader(problem, _, _, _):
            return .syntax(file: file, line: 1, column: 1, message: problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.sorted().joined(separator: ", ")
            return .syntax(
                file: file, line: context.mark.line, column: context.mark.column, message: "duplicated key(s) \(keys)")
        default:
            return .syntax(file: file, line: 1, column: 1, message: yamlError.description)
        }
    }
}
