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
        var count = 0
        var end = text.startIndex
        for index in text.indices {
            let size = text[index].utf8.count
            if count + size > bytes { break }
            count += size
            end = text.index(after: index)
        }
        return String(text[..<end])
    }
}
