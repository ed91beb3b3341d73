/// Malformed JSON, or a JSON path that cannot be used.
package enum JSONError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The text is not valid JSON; `offset` is the byte where reading stopped.
    case syntax(offset: Int, message: String)
    /// A JSON path expression is malformed.
    case path(text: String, position: Int, message: String)

    package var description: String {
        switch self {
        case let .syntax(offset, message): return "\(message) at byte \(offset)"
        case let .path(text, position, message):
            return "invalid JSON path '\(text)': \(message) at character \(position + 1)"
        }
    }
}
