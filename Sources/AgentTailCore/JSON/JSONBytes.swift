/// Byte-level JSON routines over one borrowed buffer, shared by `JSONScanner` and `JSONPath`.
///
/// Every routine reads only below `end` and throws `JSONError` rather than reading past it, so malformed
/// input costs an error, never a crash. Positions are absolute offsets into the buffer starting at `p`.
/// The word-at-a-time helpers test eight bytes per step (SWAR); the lowest flagged byte of their masks is
/// always exact, higher ones may be false positives, so callers only ever use the lowest one.
package struct JSONBytes {
    /// The first byte of the whole buffer.
    package let p: UnsafePointer<UInt8>
    /// Exclusive end of the bytes the routines may read.
    package let end: Int

    @inlinable
    package init(p: UnsafePointer<UInt8>, end: Int) {
        self.p = p
        self.end = end
    }

    /// The deepest nesting of objects and arrays that validation accepts.
    package static let maxDepth = 512

    // MARK: - Word-at-a-time helpers

    /// 0x01 in every byte.
    package static let ones: UInt64 = 0x0101_0101_0101_0101
    /// 0x80 in every byte: the bit the masks flag.
    package static let highs: UInt64 = 0x8080_8080_8080_8080
    /// A space in every byte.
    package static let spaces: UInt64 = 0x2020_2020_2020_2020

    /// Eight bytes starting at `pointer + offset` as a little-endian word (first byte in the low bits).
    @inlinable @inline(__always)
    package static func load(_ pointer: UnsafePointer<UInt8>, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(pointer + offset).loadUnaligned(as: UInt64.self))
    }

    /// High bits set for bytes of `word` equal to `byte`.
    @inlinable @inline(__always)
    package static func equalMask(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs
    }

    /// High bits set for bytes of `word` below `bound` (at most 128).
    @inlinable @inline(__always)
    package static func lessMask(_ word: UInt64, _ bound: UInt8) -> UInt64 {
        (word &- ones &* UInt64(bound)) & ~word & highs
    }

    /// The index (0...7) of the lowest flagged byte of a non-zero mask.
    @inlinable @inline(__always)
    package static func firstByte(_ mask: UInt64) -> Int {
        mask.trailingZeroBitCount &>> 3
    }

    /// Eight bytes of the buffer starting at `offset`, first byte in the low bits.
    @inlinable @inline(__always)
    package func load(_ offset: Int) -> UInt64 {
        Self.load(p, offset)
    }

    // MARK: - Errors

    /// The error for a missing `expected` at `i`: an unexpected end or an unexpected byte.
    @inline(never)
    package func unexpected(at i: Int, expected: String) -> JSONError {
        i < end ? .unexpectedByte(p[i], expected: expected, offset: i) : .unexpectedEnd(expected: expected, offset: i)
    }

    // MARK: - Whitespace

    /// The first index at or after `start` that is not JSON whitespace.
    @inlinable @inline(__always)
    package func skipWhitespace(_ start: Int) -> Int {
        var i = start
        while i < end {
            let byte = p[i]
            if byte > 0x20 { return i }
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return i }
            i &+= 1
            if byte == 0x0A {
                // Indentation after a newline usually comes in runs of spaces.
                while i &+ 8 <= end {
                    let other = load(i) ^ Self.spaces
                    if other != 0 {
                        i &+= Self.firstByte(other)
                        break
                    }
                    i &+= 8
                }
            }
        }
        return i
    }

    // MARK: - Validation

    /// Validates one value starting at or after `start` (after whitespace) and returns the index just past it.
    package func validateValue(_ start: Int) throws(JSONError) -> Int {
        var i = skipWhitespace(start)
        var stack = NestingStack()
        parse: while true {
            guard i < end else { throw .unexpectedEnd(expected: "a value", offset: i) }
            switch p[i] {
            case 0x7B:  // {
                try stack.push(object: true, offset: i)
                i = skipWhitespace(i &+ 1)
                if i < end && p[i] == 0x7D {
                    stack.pop()
                    i &+= 1
                } else {
                    i = try validateMemberName(i, expected: "a member name or '}'")
                    continue parse
                }
            case 0x5B:  // [
                try stack.push(object: false, offset: i)
                i = skipWhitespace(i &+ 1)
                if i < end && p[i] == 0x5D {
                    stack.pop()
                    i &+= 1
                } else {
                    continue parse
                }
            case 0x22:
                i = try validateString(i &+ 1)
            case 0x74:
                i = try literal(i, 0x72, 0x75, 0x65)
            case 0x6E:
                i = try literal(i, 0x75, 0x6C, 0x6C)
            case 0x66:
                i = try literal(i, 0x61, 0x6C, 0x73)
                guard i < end && p[i] == 0x65 else { throw .invalidLiteral(offset: i &- 4) }
                i &+= 1
            case 0x2D, 0x30...0x39:
                i = try validateNumber(i)
            default:
                throw .unexpectedByte(p[i], expected: "a value", offset: i)
            }
            // A value is complete: close containers until one continues with ',' or the top level is reached.
            while stack.depth > 0 {
                i = skipWhitespace(i)
                let isObject = stack.topIsObject
                guard i < end else {
                    throw .unexpectedEnd(expected: isObject ? "',' or '}'" : "',' or ']'", offset: i)
                }
                let byte = p[i]
                if byte == 0x2C {
                    i = skipWhitespace(i &+ 1)
                    if isObject { i = try validateMemberName(i, expected: "a member name") }
                    continue parse
                }
                guard byte == (isObject ? 0x7D : 0x5D) else {
                    throw .unexpectedByte(byte, expected: isObject ? "',' or '}'" : "',' or ']'", offset: i)
                }
                stack.pop()
                i &+= 1
            }
            return i
        }
    }

    /// Validates `"name" :` at `i` and returns the index of the member's value (after whitespace).
    @inline(__always)
    private func validateMemberName(_ i: Int, expected: String) throws(JSONError) -> Int {
        guard i < end && p[i] == 0x22 else { throw unexpected(at: i, expected: expected) }
        let j = skipWhitespace(try validateString(i &+ 1))
        guard j < end && p[j] == 0x3A else { throw unexpected(at: j, expected: "':'") }
        return skipWhitespace(j &+ 1)
    }

    /// Checks the three bytes after the literal's first one and returns the index after them.
    @inline(__always)
    private func literal(_ i: Int, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) throws(JSONError) -> Int {
        guard i &+ 4 <= end && p[i &+ 1] == b1 && p[i &+ 2] == b2 && p[i &+ 3] == b3 else {
            throw .invalidLiteral(offset: i)
        }
        return i &+ 4
    }

    /// Validates the string whose content starts at `start` (just after the opening quote).
    ///
    /// Returns the index just past the closing quote.
    package func validateString(_ start: Int) throws(JSONError) -> Int {
        var i = start
        while true {
            while i &+ 8 <= end {
                let word = load(i)
                let mask =
                    Self.equalMask(word, 0x22) | Self.equalMask(word, 0x5C) | Self.lessMask(word, 0x20)
                    | (word & Self.highs)
                if mask != 0 {
                    i &+= Self.firstByte(mask)
                    break
                }
                i &+= 8
            }
            guard i < end else { throw .unexpectedEnd(expected: "'\"'", offset: i) }
            let byte = p[i]
            if byte == 0x22 { return i &+ 1 }
            if byte == 0x5C {
                i = try validateEscape(i)
            } else if byte >= 0x80 {
                // Non-ASCII characters tend to come in runs (words in other scripts); stay here for the run.
                repeat {
                    i = try validateUTF8(i)
                } while i < end && p[i] >= 0x80
            } else if byte < 0x20 {
                throw .controlCharacter(byte, offset: i)
            } else {
                i &+= 1
            }
        }
    }

    /// Validates the escape whose backslash is at `i` and returns the index after it.
    @inline(__always)
    private func validateEscape(_ i: Int) throws(JSONError) -> Int {
        guard i &+ 1 < end else { throw .unexpectedEnd(expected: "an escape sequence", offset: i &+ 1) }
        switch p[i &+ 1] {
        case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
            return i &+ 2
        case 0x75:
            guard hex4(i &+ 2) != nil else { throw .invalidEscape(offset: i) }
            return i &+ 6
        default:
            throw .invalidEscape(offset: i)
        }
    }

    /// Validates the multi-byte UTF-8 sequence starting at `i` and returns the index after it.
    @inline(__always)
    private func validateUTF8(_ i: Int) throws(JSONError) -> Int {
        let lead = p[i]
        if lead < 0xC2 { throw .invalidUTF8(offset: i) }
        if lead < 0xE0 {
            guard i &+ 1 < end && p[i &+ 1] & 0xC0 == 0x80 else { throw .invalidUTF8(offset: i) }
            return i &+ 2
        }
        if lead < 0xF0 {
            guard i &+ 2 < end else { throw .invalidUTF8(offset: i) }
            let second = p[i &+ 1]
            let low: UInt8 = lead == 0xE0 ? 0xA0 : 0x80
            let high: UInt8 = lead == 0xED ? 0x9F : 0xBF
            guard second >= low && second <= high && p[i &+ 2] & 0xC0 == 0x80 else {
                throw .invalidUTF8(offset: i)
            }
            return i &+ 3
        }
        if lead < 0xF5 {
            guard i &+ 3 < end else { throw .invalidUTF8(offset: i) }
            let second = p[i &+ 1]
            let low: UInt8 = lead == 0xF0 ? 0x90 : 0x80
            let high: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
            guard second >= low && second <= high && p[i &+ 2] & 0xC0 == 0x80 && p[i &+ 3] & 0xC0 == 0x80 else {
                throw .invalidUTF8(offset: i)
            }
            return i &+ 4
        }
        throw .invalidUTF8(offset: i)
    }

    /// Validates the number starting at `start` against the JSON grammar and returns the index after it.
    private func validateNumber(_ start: Int) throws(JSONError) -> Int {
        var i = start
        if p[i] == 0x2D { i &+= 1 }
        guard i < end else { throw .invalidNumber(offset: start) }
        if p[i] == 0x30 {
            i &+= 1
        } else if p[i] &- 0x31 < 9 {
            i = digits(i &+ 1)
        } else {
            throw .invalidNumber(offset: start)
        }
        if i < end && p[i] == 0x2E {
            i &+= 1
            guard i < end && p[i] &- 0x30 < 10 else { throw .invalidNumber(offset: start) }
            i = digits(i &+ 1)
        }
        if i < end && p[i] | 0x20 == 0x65 {
            i &+= 1
            if i < end && (p[i] == 0x2B || p[i] == 0x2D) { i &+= 1 }
            guard i < end && p[i] &- 0x30 < 10 else { throw .invalidNumber(offset: start) }
            i = digits(i &+ 1)
        }
        return i
    }

    /// The index after the run of decimal digits starting at `start`.
    @inline(__always)
    private func digits(_ start: Int) -> Int {
        var i = start
        while i < end && p[i] &- 0x30 < 10 { i &+= 1 }
        return i
    }

    /// The value of four hex digits at `i`, or nil when they are not all there.
    @inline(__always)
    package func hex4(_ i: Int) -> UInt32? {
        guard i &+ 4 <= end else { return nil }
        var value: UInt32 = 0
        for k in 0..<4 {
            let byte = p[i &+ k]
            let digit: UInt8
            if byte &- 0x30 < 10 {
                digit = byte &- 0x30
            } else if (byte | 0x20) &- 0x61 < 6 {
                digit = (byte | 0x20) &- 0x61 &+ 10
            } else {
                return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    // MARK: - Skipping

    /// The kind of the value whose first byte is at `i` (which must be a valid value start).
    @inline(__always)
    package func kind(at i: Int) -> JSONSlice.Kind {
        switch p[i] {
        case 0x7B: return .object
        case 0x5B: return .array
        case 0x22: return .string
        case 0x74, 0x66: return .bool
        case 0x6E: return .null
        default: return .number
        }
    }

    /// The slice of the value whose first byte is at `i`.
    package func slice(at i: Int) throws(JSONError) -> JSONSlice {
        let stop = try skipValue(i)
        return JSONSlice(kind: kind(at: i), range: i..<stop)
    }

    /// The index just past the value whose first byte is at `i`, without validating it.
    ///
    /// Strings are scanned for quotes and backslashes only, containers for strings and brackets only.
    package func skipValue(_ i: Int) throws(JSONError) -> Int {
        guard i < end else { throw .unexpectedEnd(expected: "a value", offset: i) }
        switch p[i] {
        case 0x22:
            return try skipString(i &+ 1)
        case 0x7B, 0x5B:
            return try skipContainer(i)
        case 0x74, 0x6E:
            guard i &+ 4 <= end else { throw .invalidLiteral(offset: i) }
            return i &+ 4
        case 0x66:
            guard i &+ 5 <= end else { throw .invalidLiteral(offset: i) }
            return i &+ 5
        case 0x2D, 0x30...0x39:
            var j = i &+ 1
            while j < end {
                let byte = p[j]
                guard byte &- 0x30 < 10 || byte == 0x2E || byte | 0x20 == 0x65 || byte == 0x2B || byte == 0x2D else {
                    break
                }
                j &+= 1
            }
            return j
        default:
            throw .unexpectedByte(p[i], expected: "a value", offset: i)
        }
    }

    /// The index of the closing quote of the string whose content starts at `start`, and whether it has escapes.
    @inlinable @inline(__always)
    package func stringEnd(_ start: Int) throws(JSONError) -> (close: Int, escaped: Bool) {
        var i = start
        var escaped = false
        while true {
            while i &+ 8 <= end {
                let word = load(i)
                let mask = Self.equalMask(word, 0x22) | Self.equalMask(word, 0x5C)
                if mask != 0 {
                    i &+= Self.firstByte(mask)
                    break
                }
                i &+= 8
            }
            guard i < end else { throw .unexpectedEnd(expected: "'\"'", offset: end) }
            let byte = p[i]
            if byte == 0x22 { return (i, escaped) }
            if byte == 0x5C {
                escaped = true
                i &+= 2
            } else {
                i &+= 1
            }
        }
    }

    /// The index just past the closing quote of the string whose content starts at `start`.
    @inlinable @inline(__always)
    package func skipString(_ start: Int) throws(JSONError) -> Int {
        try stringEnd(start).close &+ 1
    }

    /// The index just past the object or array whose opening bracket is at `start`.
    package func skipContainer(_ start: Int) throws(JSONError) -> Int {
        var depth = 0
        var i = start
        while true {
            // Jump to the next quote or bracket; `x | 0x20` folds '[' onto '{' and ']' onto '}'.
            while i &+ 8 <= end {
                let word = load(i)
                let folded = word | Self.spaces
                let mask =
                    Self.equalMask(word, 0x22) | Self.equalMask(folded, 0x7B) | Self.equalMask(folded, 0x7D)
                if mask != 0 {
                    i &+= Self.firstByte(mask)
                    break
                }
                i &+= 8
            }
            guard i < end else { throw .unexpectedEnd(expected: depth > 0 ? "']' or '}'" : "a value", offset: i) }
            switch p[i] {
            case 0x22:
                i = try skipString(i &+ 1)
                continue
            case 0x7B, 0x5B:
                depth &+= 1
            case 0x7D, 0x5D:
                depth &-= 1
                if depth == 0 { return i &+ 1 }
            default:
                break
            }
            i &+= 1
        }
    }

    // MARK: - Objects and arrays

    /// The index of the value of the first member named `key` in the object whose `{` is at `start`.
    package func memberValue(_ key: UnsafeBufferPointer<UInt8>, objectStart start: Int) throws(JSONError) -> Int? {
        guard start < end && p[start] == 0x7B else { throw unexpected(at: start, expected: "'{'") }
        var i = skipWhitespace(start &+ 1)
        if i < end && p[i] == 0x7D { return nil }
        while true {
            guard i < end && p[i] == 0x22 else { throw unexpected(at: i, expected: "a member name") }
            let (close, escaped) = try stringEnd(i &+ 1)
            var j = skipWhitespace(close &+ 1)
            guard j < end && p[j] == 0x3A else { throw unexpected(at: j, expected: "':'") }
            j = skipWhitespace(j &+ 1)
            if stringEquals(i &+ 1, close, escaped: escaped, key) {
                guard j < end else { throw .unexpectedEnd(expected: "a value", offset: j) }
                return j
            }
            j = skipWhitespace(try skipValue(j))
            guard j < end else { throw .unexpectedEnd(expected: "',' or '}'", offset: j) }
            if p[j] == 0x2C {
                i = skipWhitespace(j &+ 1)
            } else if p[j] == 0x7D {
                return nil
            } else {
                throw .unexpectedByte(p[j], expected: "',' or '}'", offset: j)
            }
        }
    }

    /// Calls `body` with the start of each element of the array whose `[` is at `start`.
    ///
    /// `body` returns the element's end to go on, or nil to stop.
    package func forEachElement(
        arrayStart start: Int, _ body: (Int) throws(JSONError) -> Int?
    ) throws(JSONError) {
        guard start < end && p[start] == 0x5B else { throw unexpected(at: start, expected: "'['") }
        var i = skipWhitespace(start &+ 1)
        if i < end && p[i] == 0x5D { return }
        while true {
            guard i < end else { throw .unexpectedEnd(expected: "a value", offset: i) }
            guard let next = try body(i) else { return }
            i = skipWhitespace(next)
            guard i < end else { throw .unexpectedEnd(expected: "',' or ']'", offset: i) }
            if p[i] == 0x2C {
                i = skipWhitespace(i &+ 1)
            } else if p[i] == 0x5D {
                return
            } else {
                throw .unexpectedByte(p[i], expected: "',' or ']'", offset: i)
            }
        }
    }

    /// Calls `body` with each member of the object whose `{` is at `start`: the name's content range, whether
    /// the name has escapes, and the value's start.
    ///
    /// `body` returns the value's end to go on, or nil to stop.
    package func forEachMember(
        objectStart start: Int, _ body: (Range<Int>, Bool, Int) throws(JSONError) -> Int?
    ) throws(JSONError) {
        guard start < end && p[start] == 0x7B else { throw unexpected(at: start, expected: "'{'") }
        var i = skipWhitespace(start &+ 1)
        if i < end && p[i] == 0x7D { return }
        while true {
            guard i < end && p[i] == 0x22 else { throw unexpected(at: i, expected: "a member name") }
            let (close, escaped) = try stringEnd(i &+ 1)
            var j = skipWhitespace(close &+ 1)
            guard j < end && p[j] == 0x3A else { throw unexpected(at: j, expected: "':'") }
            j = skipWhitespace(j &+ 1)
            guard j < end else { throw .unexpectedEnd(expected: "a value", offset: j) }
            guard let next = try body((i &+ 1)..<close, escaped, j) else { return }
            j = skipWhitespace(next)
            guard j < end else { throw .unexpectedEnd(expected: "',' or '}'", offset: j) }
            if p[j] == 0x2C {
                i = skipWhitespace(j &+ 1)
            } else if p[j] == 0x7D {
                return
            } else {
                throw .unexpectedByte(p[j], expected: "',' or '}'", offset: j)
            }
        }
    }

    /// Calls `body` with the start of each child value: array elements or object member values.
    package func forEachChild(of start: Int, _ body: (Int) throws(JSONError) -> Int?) throws(JSONError) {
        guard start < end else { return }
        if p[start] == 0x5B {
            try forEachElement(arrayStart: start, body)
        } else if p[start] == 0x7B {
            try forEachMember(objectStart: start) { (_, _, value) throws(JSONError) -> Int? in try body(value) }
        }
    }

    /// The start of element `index` of the array whose `[` is at `start`; negative indexes count from the end.
    package func element(_ index: Int, arrayStart start: Int) throws(JSONError) -> Int? {
        var found: Int?
        if index >= 0 {
            var position = 0
            try forEachElement(arrayStart: start) { (element) throws(JSONError) -> Int? in
                if position == index {
                    found = element
                    return nil
                }
                position &+= 1
                return try skipValue(element)
            }
            return found
        }
        var starts: [Int] = []
        try forEachElement(arrayStart: start) { (element) throws(JSONError) -> Int? in
            starts.append(element)
            return try skipValue(element)
        }
        let position = starts.count + index
        return position >= 0 ? starts[position] : nil
    }

    // MARK: - Strings

    /// Whether the string content `start..<close` equals `key` once unescaped.
    package func stringEquals(_ start: Int, _ close: Int, escaped: Bool, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = close &- start
        if !escaped {
            guard count == key.count else { return false }
            guard count > 0, let keyBase = key.baseAddress else { return true }
            return Self.bytesEqual(p + start, keyBase, count)
        }
        guard key.count <= count else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            guard let out = buffer.baseAddress else { return false }
            var failure: Int?
            let written = unescape(start, close, into: out, failure: &failure)
            guard failure == nil && written == key.count else { return false }
            guard written > 0, let keyBase = key.baseAddress else { return true }
            return Self.bytesEqual(UnsafePointer(out), keyBase, written)
        }
    }

    /// Whether `count` bytes at `a` and `b` are equal.
    package static func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var i = 0
        while i &+ 8 <= count {
            if load(a, i) != load(b, i) { return false }
            i &+= 8
        }
        while i < count {
            if a[i] != b[i] { return false }
            i &+= 1
        }
        return true
    }

    /// The index of the first backslash in `start..<stop`, or `stop`.
    package func firstBackslash(_ start: Int, _ stop: Int) -> Int {
        var i = start
        while i &+ 8 <= stop {
            let mask = Self.equalMask(load(i), 0x5C)
            if mask != 0 { return i &+ Self.firstByte(mask) }
            i &+= 8
        }
        while i < stop && p[i] != 0x5C { i &+= 1 }
        return i
    }

    /// Decodes the string content `start..<stop` (escapes included) into `out` and returns the bytes written.
    ///
    /// `out` needs room for `stop - start` bytes; decoding never grows the text. A lone surrogate escape becomes
    /// U+FFFD. On an invalid escape, `failure` is set to the backslash's offset and decoding stops.
    package func unescape(_ start: Int, _ stop: Int, into out: UnsafeMutablePointer<UInt8>, failure: inout Int?) -> Int {
        var i = start
        var written = 0
        while i < stop {
            // Copy a word at a time up to the next backslash. Storing all eight bytes is safe: `written` never
            // exceeds `i - start`, so `written + 8 <= stop - start` whenever `i + 8 <= stop`.
            while i &+ 8 <= stop {
                let word = load(i)
                UnsafeMutableRawPointer(out + written).storeBytes(of: word.littleEndian, as: UInt64.self)
                let mask = Self.equalMask(word, 0x5C)
                if mask != 0 {
                    let run = Self.firstByte(mask)
                    i &+= run
                    written &+= run
                    break
                }
                i &+= 8
                written &+= 8
            }
            while i < stop && p[i] != 0x5C {
                out[written] = p[i]
                written &+= 1
                i &+= 1
            }
            guard i < stop else { break }
            guard i &+ 1 < stop else {
                failure = i
                return written
            }
            let replacement: UInt8
            switch p[i &+ 1] {
            case 0x22: replacement = 0x22
            case 0x5C: replacement = 0x5C
            case 0x2F: replacement = 0x2F
            case 0x62: replacement = 0x08
            case 0x66: replacement = 0x0C
            case 0x6E: replacement = 0x0A
            case 0x72: replacement = 0x0D
            case 0x74: replacement = 0x09
            case 0x75:
                guard i &+ 6 <= stop, let unit = hex4(i &+ 2) else {
                    failure = i
                    return written
                }
                i &+= 6
                var scalar = unit
                if unit >= 0xD800 && unit <= 0xDBFF {
                    if i &+ 6 <= stop && p[i] == 0x5C && p[i &+ 1] == 0x75, let low = hex4(i &+ 2),
                        low >= 0xDC00 && low <= 0xDFFF
                    {
                        scalar = 0x10000 &+ ((unit &- 0xD800) << 10) &+ (low &- 0xDC00)
                        i &+= 6
                    } else {
                        scalar = 0xFFFD
                    }
                } else if unit >= 0xDC00 && unit <= 0xDFFF {
                    scalar = 0xFFFD
                }
                written &+= Self.encodeUTF8(scalar, into: out + written)
                continue
            default:
                failure = i
                return written
            }
            out[written] = replacement
            written &+= 1
            i &+= 2
        }
        return written
    }

    /// Writes `scalar` as UTF-8 to `out` and returns the number of bytes.
    @inline(__always)
    package static func encodeUTF8(_ scalar: UInt32, into out: UnsafeMutablePointer<UInt8>) -> Int {
        if scalar < 0x80 {
            out[0] = UInt8(truncatingIfNeeded: scalar)
            return 1
        }
        if scalar < 0x800 {
            out[0] = UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6)
            out[1] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
            return 2
        }
        if scalar < 0x10000 {
            out[0] = UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12)
            out[1] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F)
            out[2] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
            return 3
        }
        out[0] = UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18)
        out[1] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F)
        out[2] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F)
        out[3] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
        return 4
    }

    /// The decoded text of the string content `start..<stop`.
    /// - Parameter validUTF8: the content was validated, so the text needs no further check.
    package func decodeString(_ start: Int, _ stop: Int, validUTF8: Bool = false) throws(JSONError) -> String {
        let count = stop &- start
        guard count > 0 else { return "" }
        if firstBackslash(start, stop) == stop {
            let text = UnsafeBufferPointer(start: p + start, count: count)
            return validUTF8 ? Self.string(validUTF8: text) : String(decoding: text, as: UTF8.self)
        }
        var failure: Int?
        let text: String
        if validUTF8 {
            // Unescaping valid UTF-8 gives valid UTF-8: a lone surrogate escape becomes U+FFFD.
            let out = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count)
            defer { out.deallocate() }
            let written = unescape(start, stop, into: out.baseAddress!, failure: &failure)
            text = Self.string(validUTF8: UnsafeBufferPointer(rebasing: out[..<written]))
        } else {
            text = String(unsafeUninitializedCapacity: count) { buffer in
                guard let out = buffer.baseAddress else { return 0 }
                return unescape(start, stop, into: out, failure: &failure)
            }
        }
        if let failure { throw .invalidEscape(offset: failure) }
        return text
    }

    /// A String of `text`, which the caller knows to be valid UTF-8 (validated JSON, or text derived from it):
    /// copied without the check Swift otherwise runs on every new String.
    package static func string(validUTF8 text: UnsafeBufferPointer<UInt8>) -> String {
        String(copying: UTF8Span(unchecked: text.span))
    }

    /// Copies `start..<end` to `out` without whitespace outside strings and returns the bytes written.
    ///
    /// `out` needs room for `end - start` bytes. An unterminated string is copied to the end.
    package func compact(_ start: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var i = start
        var written = 0
        while i < end {
            let byte = p[i]
            if byte == 0x22 {
                let stop = ((try? stringEnd(i &+ 1))?.close).map { $0 &+ 1 } ?? end
                (out + written).update(from: p + i, count: stop &- i)
                written &+= stop &- i
                i = stop
            } else {
                if byte != 0x20 && byte != 0x0A && byte != 0x0D && byte != 0x09 {
                    out[written] = byte
                    written &+= 1
                }
                i &+= 1
            }
        }
        return written
    }

    // MARK: - Numbers

    /// The number `start..<stop` as a `Double`, or nil when it is not a number.
    package func double(_ start: Int, _ stop: Int) -> Double? {
        if let whole = integer(start, stop), whole.magnitude < 1 << 53 {
            return whole == 0 && p[start] == 0x2D ? -0.0 : Double(whole)
        }
        let text = String(decoding: UnsafeBufferPointer(start: p + start, count: stop &- start), as: UTF8.self)
        return Double(text)
    }

    /// The number `start..<stop` as an `Int` when it is written as an integer that fits, else nil.
    package func integer(_ start: Int, _ stop: Int) -> Int? {
        var i = start
        let negative = i < stop && p[i] == 0x2D
        if negative { i &+= 1 }
        guard i < stop else { return nil }
        var value = 0
        while i < stop {
            let digit = p[i] &- 0x30
            guard digit < 10 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(Int(digit)) : shifted.addingReportingOverflow(Int(digit))
            guard !overflow1 && !overflow2 else { return nil }
            value = next
            i &+= 1
        }
        return value
    }
}

/// The open objects and arrays during validation: a bit per level, in a word for the first 64 levels.
private struct NestingStack {
    private(set) var depth = 0
    private var bits: UInt64 = 0
    private var deeper: [Bool] = []

    /// Opens a level; throws when that would exceed the depth limit.
    @inline(__always)
    mutating func push(object: Bool, offset: Int) throws(JSONError) {
        guard depth < JSONBytes.maxDepth else { throw .nestingTooDeep(limit: JSONBytes.maxDepth, offset: offset) }
        if depth < 64 {
            let bit = UInt64(1) << UInt64(depth)
            bits = object ? bits | bit : bits & ~bit
        } else {
            deeper.append(object)
        }
        depth &+= 1
    }

    /// Closes the innermost level.
    @inline(__always)
    mutating func pop() {
        depth &-= 1
        if depth >= 64 { deeper.removeLast() }
    }

    /// Whether the innermost open level is an object.
    @inline(__always)
    var topIsObject: Bool {
        let level = depth &- 1
        return level < 64 ? (bits >> UInt64(level)) & 1 == 1 : deeper[level &- 64]
    }
}
