/// Finds where one JSON object or array ends in a byte stream that arrives in chunks of any size.
///
/// Bytes before the first `{` or `[` are skipped (a label line such as `LLM Request:` may precede the value).
/// From there the tracker follows nesting depth, strings and backslash escapes across chunk boundaries; it
/// only tracks balance and does not validate. Offsets count from the first byte ever fed.
package struct JSONValueTracker: Sendable {
    /// Offset of the opening bracket of the value, once seen.
    package private(set) var valueStart: Int?
    /// Bytes fed so far (up to the end of the value once it is complete).
    private var consumed = 0
    /// Open brackets, including the value's own.
    private var depth = 0
    private var inString = false
    /// The previous chunk ended right after a backslash inside a string.
    private var pendingEscape = false
    /// Exclusive end offset of the value, once complete.
    private var end: Int?

    /// A tracker that has seen no bytes.
    package init() {}

    /// True once the top-level value has closed.
    package var isComplete: Bool { end != nil }

    /// Forgets everything fed so far.
    package mutating func reset() {
        self = JSONValueTracker()
    }

    /// Consumes the next chunk and returns the value's exclusive end offset once it closes, else nil.
    ///
    /// After completion the same end is returned and further bytes are ignored.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if let end { return end }
        let count = bytes.count
        guard count > 0, let raw = bytes.baseAddress else { return nil }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        var i = 0
        if valueStart == nil {
            while i < count && p[i] != 0x7B && p[i] != 0x5B { i &+= 1 }
            guard i < count else {
                consumed &+= count
                return nil
            }
            valueStart = consumed &+ i
            self.depth = 1
            i &+= 1
        }
        // Work on locals in the loop; they are stored back before returning.
        var level = self.depth
        var insideString = self.inString
        if pendingEscape {
            pendingEscape = false
            i &+= 1
        }
        while i < count {
            if insideString {
                while i &+ 8 <= count {
                    let word = JSONBytes.load(p, i)
                    let mask = JSONBytes.equalMask(word, 0x22) | JSONBytes.equalMask(word, 0x5C)
                    if mask != 0 {
                        i &+= JSONBytes.firstByte(mask)
                        break
                    }
                    i &+= 8
                }
                guard i < count else { break }
                let byte = p[i]
                if byte == 0x22 {
                    insideString = false
                    i &+= 1
                } else if byte == 0x5C {
                    if i &+ 1 < count {
                        i &+= 2
                    } else {
                        pendingEscape = true
                        i &+= 1
                    }
                } else {
                    i &+= 1
                }
            } else {
                switch p[i] {
                case 0x22:
                    insideString = true
                case 0x7B, 0x5B:
                    level &+= 1
                case 0x7D, 0x5D:
                    level &-= 1
                    if level == 0 {
                        let stop = consumed &+ i &+ 1
                        end = stop
                        consumed = stop
                        self.depth = 0
                        self.inString = false
                        return stop
                    }
                case 0x20:
                    // Skip runs of indentation a word at a time (the first byte is a space, so this advances).
                    if i &+ 8 <= count {
                        let other = JSONBytes.load(p, i) ^ JSONBytes.spaces
                        i &+= other == 0 ? 8 : JSONBytes.firstByte(other)
                        continue
                    }
                default:
                    break
                }
                i &+= 1
            }
        }
        consumed &+= count
        self.depth = level
        self.inString = insideString
        return nil
    }
}
