import AgentTailCore
/// Cuts very long text and JSON values so that no request is refused for its size, leaving a visible marker.
package enum FieldCap {
    /// The row with every text value over `limit` bytes cut, and every JSON value over it replaced by an object
    /// that says so and keeps the beginning as text.
    package static func apply(to row: NormalizedRow, limit: Int) -> NormalizedRow {
        var row = row
        for index in row.values.indices {
            switch row.values[index] {
            case .text(let text) where text.utf8.count > limit:
                row.values[index] = .text(Self.text(text, limit: limit))
            case .json(let json) where json.utf8.count > limit:
                row.values[index] = .json(Self.json(json, limit: limit))
            default:
                break
            }
        }
        return row
    }

    /// `text` itself when it fits in `limit` bytes, else its beginning followed by a marker with the full size.
    package static func text(_ text: String, limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        return cut(text, to: max(0, limit - 64)) + " […truncated by agenttail: \(text.utf8.count) bytes]"
    }

    /// JSON text itself when it fits in `limit` bytes, else a small valid JSON object that says it was cut and keeps
    /// the beginning as a string.
    package static func json(_ json: String, limit: Int) -> String {
        guard json.utf8.count > limit else { return json }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("agenttail_truncated")
        writer.bool(true)
        writer.key("bytes")
        writer.int(json.utf8.count)
        writer.key("head")
        writer.string(cut(json, to: limit / 2))
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The longest prefix of `text` of at most `bytes` UTF-8 bytes that ends on a character boundary.
    static func cut(_ text: String, to bytes: Int) -> String {
        guard let end = text.utf8.index(text.startIndex, offsetBy: max(0, bytes), limitedBy: text.endIndex) else {
            return text
        }
        // Sliced there, the text ends on a scalar boundary; its last character may be the start of a longer one in the
        // whole text (a flag, a family emoji, a letter and its accent), which is then left out.
        let head = text[..<end]
        if let last = head.indices.last {
            // An index taken from the slice remembers the slice's character length: a fresh one reads the whole text.
            let start = text.utf8.index(text.startIndex, offsetBy: text.utf8.distance(from: text.startIndex, to: last))
            if text.index(after: start) > end { return String(text[..<start]) }
        }
        return String(head)
    }
}
