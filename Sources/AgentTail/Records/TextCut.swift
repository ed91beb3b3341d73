/// Shortens long texts of the store for an answer that must stay small, and says so in the text itself.
///
/// The store is read with `substr`, so a megabyte input is never loaded to be cut: the query asks for the head or the
/// tail it keeps and for the length, and `TextCut` writes the marker.
package struct TextCut: Sendable, Equatable {
    /// The longest a text is kept, in characters, marker excluded.
    package let limit: Int

    package init(limit: Int) {
        self.limit = limit
    }

    /// Which part of a long text is kept.
    package enum Keep: Sendable {
        /// The start (a task, a result, a message).
        case head
        /// The end (a call's input: its newest messages).
        case tail
    }

    /// SQL giving at most `limit` characters of `column` from the side `keep` says, followed in the same row by its
    /// length: two result columns.
    package func select(_ column: String, keep: Keep = .head) -> String {
        switch keep {
        case .head: "substr(\(column), 1, \(limit)), length(\(column))"
        case .tail: "substr(\(column), -\(limit)), length(\(column))"
        }
    }

    /// The kept `part` of a text `length` characters long, with a marker where characters were left out.
    package func text(_ part: String?, length: Int?, keep: Keep = .head) -> String? {
        guard let part else { return nil }
        let left = (length ?? 0) - part.count
        guard left > 0 else { return part }
        switch keep {
        case .head: return part + " […\(left) more characters cut]"
        case .tail: return "[\(left) earlier characters cut…] " + part
        }
    }

    /// `text` cut to the limit from its start.
    package func text(_ text: String?) -> String? {
        guard let text, text.count > limit else { return text }
        return self.text(String(text.prefix(limit)), length: text.count)
    }
}
