import Yams

/// A problem in a configuration or rules file, located like a compiler diagnostic.
package enum ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The file is not well-formed YAML.
    case syntax(file: String, line: Int, column: Int, message: String)
    /// A value is well-formed YAML but not what agenttail accepts at that place.
    case invalid(file: String, line: Int, column: Int, keyPath: String, message: String)
    /// Several problems of one file, in the order they were found (none: reported already, in another form).
    case several([ConfigError])
    /// What a reference names does not exist (`builtin:NAME` of no pack).
    case unknown(reference: String, message: String)

    /// How many problems of a file are told; the rest are counted.
    package static let shownProblems = 20

    package var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): error: cannot read file: \(reason)"
        case let .unknown(reference, message):
            return "\(reference): error: \(message)"
        case let .syntax(file, line, column, message):
            return "\(file):\(line):\(column): error: invalid YAML: \(message)"
        case let .invalid(file, line, column, keyPath, message):
            let prefix = keyPath.isEmpty ? "" : "\(keyPath): "
            return "\(file):\(line):\(column): error: \(prefix)\(message)"
        case let .several(problems):
            var lines = problems.prefix(Self.shownProblems).map(\.description)
            if problems.count > Self.shownProblems {
                lines.append("... and \(problems.count - Self.shownProblems) more errors")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Line and column, for ordering the problems of a file.
    var place: (line: Int, column: Int) {
        switch self {
        case .unreadable, .unknown: (0, 0)
        case let .syntax(_, line, column, _), let .invalid(_, line, column, _, _): (line, column)
        case .several(let problems): problems.first?.place ?? (0, 0)
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

/// The problems found in one file so far, for reporting them all at once instead of the first alone.
package final class ConfigDiagnostics {
    package private(set) var problems: [ConfigError] = []
    /// Key paths a reported unknown key probably meant (`sources[0].paths` for `pathz`).
    package var misspelt: Set<String> = []

    package init() {}

    package func add(_ problem: ConfigError) {
        if case .several(let many) = problem { problems += many } else { problems.append(problem) }
    }

    /// Runs `body`; a problem it throws is kept and nil returned, so that the next part can be checked too.
    @discardableResult
    package func attempt<T>(_ body: () throws(ConfigError) -> T) -> T? {
        do {
            return try body()
        } catch {
            add(error)
            return nil
        }
    }

    /// Throws what was found, if anything: one problem as itself, more as `several`.
    package func check() throws(ConfigError) {
        guard let first = problems.first else { return }
        // In the file's order, as an editor shows them.
        let ordered = problems.enumerated().sorted { left, right in
            (left.element.place.line, left.element.place.column, left.offset)
                < (right.element.place.line, right.element.place.column, right.offset)
        }
        throw problems.count == 1 ? first : .several(ordered.map { $0.element })
    }
}
