/// A problem with agenttail's own state files.
package enum StateError: Error, CustomStringConvertible, Sendable {
    /// The state or store file cannot be created or opened.
    case cannotOpen(path: String, reason: String)
    /// A read or write failed; `reason` is SQLite's message.
    case storage(path: String, reason: String)
    /// Stored data does not decode: the file was changed by something else.
    case corrupt(path: String, reason: String)

    package var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open \(path): \(reason); check that its folder exists and is writable"
        case let .storage(path, reason):
            return "writing \(path) failed: \(reason); check free disk space and permissions"
        case let .corrupt(path, reason):
            return "\(path) holds unreadable data (\(reason)); move it aside to start over"
        }
    }
}
