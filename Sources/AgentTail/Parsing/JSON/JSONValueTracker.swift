/// Finds where one JSON object or array ends in bytes that arrive in pieces, without parsing it.
///
/// Bytes before the first `{` or `[` are skipped (a label line such as `LLM Request:`). Only nesting, strings and
/// escapes are tracked; validity is checked later, once, on the complete value.
package struct JSONValueTracker: Sendable {
    /// Offset of the opening bracket, counted from the first byte fed.
    package private(set) var valueStart: Int?
    private var end: Int?
    private var consumed = 0
    private var depth = 0
    private var inString = false
    private var escaped = false

    package init() {}

    package var isComplete: Bool { end != nil }

    package mutating func reset() { self = JSONValueTracker() }

    /// Feeds the next bytes; returns the offset just past the value once it is closed.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if let end { return end }
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == 0x5C {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                }
                index += 1
                continue
            }
            switch byte {
            case 0x22:
                if valueStart != nil { inString = true }
            case 0x7B, 0x5B:
                if valueStart == nil { valueStart = consumed + index }
                depth += 1
            case 0x7D, 0x5D:
                if valueStart != nil {
                    depth -= 1
                    if depth == 0 {
                        let closed = consumed + index + 1
                        end = closed
                        consumed += count
                        return closed
                    }
                }
            default:
                break
            }
            index += 1
        }
        consumed += count
        return nil
    }
}
