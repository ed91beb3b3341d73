/// A JSON value's position and kind inside a scanned buffer.
package struct JSONSlice: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    package let kind: Kind
    /// The value's bytes in the buffer; strings include their quotes.
    package let range: Range<Int>
}

/// Reads JSON in place: finds members and elements by skipping over bytes, and materializes only the values asked for.
///
/// The scanner borrows its buffer: use it only inside the `withUnsafeBytes` (or similar) scope that provides it.
package struct JSONScanner {
    package let buffer: UnsafeRawBufferPointer
    /// Deepest nesting `validate` accepts before reporting an error.
    package static let maximumDepth = 512

    package init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    // MARK: - Validation

    /// Checks that `range` holds exactly one valid JSON value (RFC 8259), with optional surrounding whitespace.
    package func validate(_ range: Range<Int>) throws(JSONError) {
        var index = skipWhitespace(range.lowerBound, range.upperBound)
        index = try validateValue(index, range.upperBound, depth: 0)
        index = skipWhitespace(index, range.upperBound)
        guard index == range.upperBound else { throw JSONError.syntax(offset: index, message: "unexpected text after the value") }
    }

    private func validateValue(_ start: Int, _ end: Int, depth: Int) throws(JSONError) -> Int {
        guard start < end else { throw JSONError.syntax(offset: start, message: "unexpected end of JSON") }
        switch buffer[start] {
        case 0x7B:
            guard depth < Self.maximumDepth else { throw JSONError.syntax(offset: start, message: "nesting too deep") }
            var index = skipWhitespace(start + 1, end)
            if index < end, buffer[index] == 0x7D { return index + 1 }
            while true {
                guard index < end, buffer[index] == 0x22 else {
                    throw JSONError.syntax(offset: index, message: "expected a member name")
                }
                index = try validateString(index, end)
                index = skipWhitespace(index, end)
                guard index < end, buffer[index] == 0x3A else { throw JSONError.syntax(offset: index, message: "expected ':'") }
                index = skipWhitespace(index + 1, end)
                index = try validateValue(index, end, depth: depth + 1)
                index = skipWhitespace(index, end)
                guard index < end else { throw JSONError.syntax(offset: index, message: "unexpected end of JSON") }
                if buffer[index] == 0x7D { return index + 1 }
                guard buffer[index] == 0x2C else { throw JSONError.syntax(offset: index, message: "expected ',' or '}'") }
                index = skipWhitespace(index + 1, end)
            }
        case 0x5B:
            guard depth < Self.maximumDepth else { throw JSONError.syntax(offset: start, message: "nesting too deep") }
            var index = skipWhitespace(start + 1, end)
            if index < end, buffer[index] == 0x5D { return index + 1 }
            while true {
                index = try validateValue(index, end, depth: depth + 1)
                index = skipWhitespace(index, end)
                guard index < end else { throw JSONError.syntax(offset: index, message: "unexpected end of JSON") }
                if buffer[index] == 0x5D { return index + 1 }
                guard buffer[index] == 0x2C else { throw JSONError.syntax(offset: index, message: "expected ',' or ']'") }
                index = skipWhitespace(index + 1, end)
            }
        case 0x22:
            return try validateString(start, end)
        case 0x74: return try literal("true", start, end)
        case 0x66: return try literal("false", start, end)
        case 0x6E: return try literal("null", start, end)
        case 0x2D, 0x30...0x39:
            return try validateNumber(start, end)
        default:
            throw JSONError.syntax(offset: start, message: "unexpected character")
        }
    }

    private func literal(_ word: StaticString, _ start: Int, _ end: Int) throws(JSONError) -> Int {
        let count = word.utf8CodeUnitCount
        guard start + count <= end else { throw JSONError.syntax(offset: start, message: "unexpected end of JSON") }
        let bytes = word.utf8Start
        for index in 0..<count where buffer[start + index] != bytes[index] {
            throw JSONError.syntax(offset: start + index, message: "invalid literal")
        }
        return start + count
    }

    private func validateNumber(_ start: Int, _ end: Int) throws(JSONError) -> Int {
        var index = start
        func digits() -> Int {
            let begin = index
            while index < end, buffer[index] >= 0x30, buffer[index] <= 0x39 { index += 1 }
            return index - begin
        }
        if buffer[index] == 0x2D { index += 1 }
        guard index < end else { throw JSONError.syntax(offset: index, message: "invalid number") }
        if buffer[index] == 0x30 {
            index += 1
        } else if digits() == 0 {
            throw JSONError.syntax(offset: index, message: "invalid number")
        }
        if index < end, buffer[index] == 0x2E {
            index += 1
            guard digits() > 0 else { throw JSONError.syntax(offset: index, message: "invalid number") }
        }
        if index < end, buffer[index] == 0x65 || buffer[index] == 0x45 {
            index += 1
            if index < end, buffer[index] == 0x2B || buffer[index] == 0x2D { index += 1 }
            guard digits() > 0 else { throw JSONError.syntax(offset: index, message: "invalid number") }
        }
        return index
    }

    private func validateString(_ start: Int, _ end: Int) throws(JSONError) -> Int {
        var index = start + 1
        while index < end {
            let byte = buffer[index]
            if byte == 0x22 { return index + 1 }
            if byte == 0x5C {
                guard index + 1 < end else { break }
                switch buffer[index + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                    index += 2
                case 0x75:
                    guard index + 6 <= end else { break }
                    for offset in 2..<6 where hexValue(buffer[index + offset]) == nil {
                        throw JSONError.syntax(offset: index + offset, message: "invalid \\u escape")
                    }
                    index += 6
                default:
                    throw JSONError.syntax(offset: index, message: "invalid escape")
                }
                continue
            }
            if byte < 0x20 { throw JSONError.syntax(offset: index, message: "control character in string") }
            if byte < 0x80 {
                index += 1
                continue
            }
            index = try validateUTF8(index, end)
        }
        throw JSONError.syntax(offset: end, message: "unterminated string")
    }

    private func validateUTF8(_ start: Int, _ end: Int) throws(JSONError) -> Int {
        let first = buffer[start]
        let length: Int
        let minimum: UInt32
        switch first {
        case 0xC2...0xDF: length = 2; minimum = 0x80
        case 0xE0...0xEF: length = 3; minimum = 0x800
        case 0xF0...0xF4: length = 4; minimum = 0x10000
        default: throw JSONError.syntax(offset: start, message: "invalid UTF-8")
        }
        guard start + length <= end else { throw JSONError.syntax(offset: start, message: "invalid UTF-8") }
        var scalar = UInt32(first) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for offset in 1..<length {
            let byte = buffer[start + offset]
            guard byte & 0xC0 == 0x80 else { throw JSONError.syntax(offset: start + offset, message: "invalid UTF-8") }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
            throw JSONError.syntax(offset: start, message: "invalid UTF-8")
        }
        return start + length
    }

    // MARK: - Navigation

    /// The single value in `range` (surrounding whitespace allowed).
    package func value(in range: Range<Int>) throws(JSONError) -> JSONSlice {
        let start = skipWhitespace(range.lowerBound, range.upperBound)
        let slice = try slice(at: start, range.upperBound)
        let rest = skipWhitespace(slice.range.upperBound, range.upperBound)
        guard rest == range.upperBound else { throw JSONError.syntax(offset: rest, message: "unexpected text after the value") }
        return slice
    }

    /// The first member named `key` of an object.
    package func member(_ key: String, of object: JSONSlice) throws(JSONError) -> JSONSlice? {
        guard object.kind == .object else { return nil }
        let keyBytes = Array(key.utf8)
        var found: JSONSlice?
        try forEachMember(of: object) { (nameRange, value) throws(JSONError) in
            if try nameEquals(nameRange, keyBytes) {
                found = value
                return false
            }
            return true
        }
        return found
    }

    /// Every member of an object, names decoded.
    package func members(of object: JSONSlice) throws(JSONError) -> [(key: String, value: JSONSlice)] {
        var result: [(key: String, value: JSONSlice)] = []
        try forEachMember(of: object) { (nameRange, value) throws(JSONError) in
            result.append((try string(JSONSlice(kind: .string, range: nameRange)), value))
            return true
        }
        return result
    }

    /// Every element of an array.
    package func elements(of array: JSONSlice) throws(JSONError) -> [JSONSlice] {
        guard array.kind == .array else { return [] }
        var result: [JSONSlice] = []
        let end = array.range.upperBound - 1
        var index = skipWhitespace(array.range.lowerBound + 1, end)
        while index < end {
            let element = try slice(at: index, end)
            result.append(element)
            index = skipWhitespace(element.range.upperBound, end)
            if index < end {
                guard buffer[index] == 0x2C else { throw JSONError.syntax(offset: index, message: "expected ',' or ']'") }
                index = skipWhitespace(index + 1, end)
            }
        }
        return result
    }

    /// Calls `body` with each member's name range (quotes included) and value until it returns false.
    private func forEachMember(
        of object: JSONSlice, _ body: (Range<Int>, JSONSlice) throws(JSONError) -> Bool
    ) throws(JSONError) {
        guard object.kind == .object else { return }
        let end = object.range.upperBound - 1
        var index = skipWhitespace(object.range.lowerBound + 1, end)
        while index < end {
            guard buffer[index] == 0x22 else { throw JSONError.syntax(offset: index, message: "expected a member name") }
            let nameStart = index
            let nameEnd = try skipString(index, end)
            index = skipWhitespace(nameEnd, end)
            guard index < end, buffer[index] == 0x3A else { throw JSONError.syntax(offset: index, message: "expected ':'") }
            index = skipWhitespace(index + 1, end)
            let value = try slice(at: index, end)
            guard try body(nameStart..<nameEnd, value) else { return }
            index = skipWhitespace(value.range.upperBound, end)
            if index < end {
                guard buffer[index] == 0x2C else { throw JSONError.syntax(offset: index, message: "expected ',' or '}'") }
                index = skipWhitespace(index + 1, end)
            }
        }
    }

    private func nameEquals(_ range: Range<Int>, _ key: [UInt8]) throws(JSONError) -> Bool {
        let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
        var hasEscape = false
        for index in inner where buffer[index] == 0x5C {
            hasEscape = true
            break
        }
        if !hasEscape {
            guard inner.count == key.count else { return false }
            for (offset, byte) in key.enumerated() where buffer[inner.lowerBound + offset] != byte { return false }
            return true
        }
        return Array(try string(JSONSlice(kind: .string, range: range)).utf8) == key
    }

    /// The value starting at `start`, its extent found by skipping.
    private func slice(at start: Int, _ end: Int) throws(JSONError) -> JSONSlice {
        guard start < end else { throw JSONError.syntax(offset: start, message: "unexpected end of JSON") }
        switch buffer[start] {
        case 0x7B: return JSONSlice(kind: .object, range: start..<(try skipContainer(start, end)))
        case 0x5B: return JSONSlice(kind: .array, range: start..<(try skipContainer(start, end)))
        case 0x22: return JSONSlice(kind: .string, range: start..<(try skipString(start, end)))
        case 0x74: return JSONSlice(kind: .bool, range: start..<(try literal("true", start, end)))
        case 0x66: return JSONSlice(kind: .bool, range: start..<(try literal("false", start, end)))
        case 0x6E: return JSONSlice(kind: .null, range: start..<(try literal("null", start, end)))
        case 0x2D, 0x30...0x39: return JSONSlice(kind: .number, range: start..<(try validateNumber(start, end)))
        default: throw JSONError.syntax(offset: start, message: "unexpected character")
        }
    }

    private func skipString(_ start: Int, _ end: Int) throws(JSONError) -> Int {
        var index = start + 1
        while index < end {
            let byte = buffer[index]
            if byte == 0x22 { return index + 1 }
            index += byte == 0x5C ? 2 : 1
        }
        throw JSONError.syntax(offset: end, message: "unterminated string")
    }

    private func skipContainer(_ start: Int, _ end: Int) throws(JSONError) -> Int {
        var depth = 0
        var index = start
        while index < end {
            switch buffer[index] {
            case 0x22:
                index = try skipString(index, end)
                continue
            case 0x7B, 0x5B:
                depth += 1
            case 0x7D, 0x5D:
                depth -= 1
                if depth == 0 { return index + 1 }
            default:
                break
            }
            index += 1
        }
        throw JSONError.syntax(offset: end, message: "unexpected end of JSON")
    }

    private func skipWhitespace(_ start: Int, _ end: Int) -> Int {
        var index = start
        while index < end {
            switch buffer[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return index
            }
        }
        return index
    }

    // MARK: - Values

    /// The value's source text, as written.
    package func rawText(_ slice: JSONSlice) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: buffer[slice.range]), as: UTF8.self)
    }

    /// The value's text without insignificant whitespace: one line, whatever the source's indentation.
    package func compactText(_ slice: JSONSlice) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(slice.range.count)
        var index = slice.range.lowerBound
        let end = slice.range.upperBound
        while index < end {
            let byte = buffer[index]
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09:
                index += 1
            case 0x22:
                let stringEnd = (try? skipString(index, end)) ?? end
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index..<stringEnd]))
                index = stringEnd
            default:
                bytes.append(byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A string value with its escapes decoded; a lone surrogate becomes U+FFFD.
    package func string(_ slice: JSONSlice) throws(JSONError) -> String {
        guard slice.kind == .string else { throw JSONError.syntax(offset: slice.range.lowerBound, message: "expected a string") }
        let inner = (slice.range.lowerBound + 1)..<(slice.range.upperBound - 1)
        guard let firstEscape = inner.first(where: { buffer[$0] == 0x5C }) else {
            return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[inner]), as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(inner.count)
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[inner.lowerBound..<firstEscape]))
        var index = firstEscape
        var pendingHigh: UInt32?
        func appendScalar(_ value: UInt32) {
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        func flushHigh() {
            if pendingHigh != nil { appendScalar(0xFFFD) }
            pendingHigh = nil
        }
        while index < inner.upperBound {
            let byte = buffer[index]
            guard byte == 0x5C, index + 1 < inner.upperBound else {
                flushHigh()
                bytes.append(byte)
                index += 1
                continue
            }
            let code = buffer[index + 1]
            if code == 0x75, index + 6 <= inner.upperBound {
                var value: UInt32 = 0
                for offset in 2..<6 {
                    guard let digit = hexValue(buffer[index + offset]) else {
                        throw JSONError.syntax(offset: index + offset, message: "invalid \\u escape")
                    }
                    value = value << 4 | digit
                }
                index += 6
                if (0xD800...0xDBFF).contains(value) {
                    flushHigh()
                    pendingHigh = value
                } else if (0xDC00...0xDFFF).contains(value) {
                    if let high = pendingHigh {
                        appendScalar(0x10000 + ((high - 0xD800) << 10) + (value - 0xDC00))
                        pendingHigh = nil
                    } else {
                        appendScalar(0xFFFD)
                    }
                } else {
                    flushHigh()
                    appendScalar(value)
                }
                continue
            }
            flushHigh()
            switch code {
            case 0x22: bytes.append(0x22)
            case 0x5C: bytes.append(0x5C)
            case 0x2F: bytes.append(0x2F)
            case 0x62: bytes.append(0x08)
            case 0x66: bytes.append(0x0C)
            case 0x6E: bytes.append(0x0A)
            case 0x72: bytes.append(0x0D)
            case 0x74: bytes.append(0x09)
            default: throw JSONError.syntax(offset: index, message: "invalid escape")
            }
            index += 2
        }
        flushHigh()
        return String(decoding: bytes, as: UTF8.self)
    }

    package func bool(_ slice: JSONSlice) throws(JSONError) -> Bool {
        guard slice.kind == .bool else { throw JSONError.syntax(offset: slice.range.lowerBound, message: "expected true or false") }
        return buffer[slice.range.lowerBound] == 0x74
    }

    package func int(_ slice: JSONSlice) -> Int? {
        guard slice.kind == .number else { return nil }
        let text = rawText(slice)
        return Int(text) ?? Double(text).flatMap { $0.isFinite && $0 == $0.rounded() ? Int(exactly: $0) : nil }
    }

    package func double(_ slice: JSONSlice) -> Double? {
        guard slice.kind == .number else { return nil }
        return Double(rawText(slice))
    }
}

private func hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case 0x30...0x39: return UInt32(byte - 0x30)
    case 0x41...0x46: return UInt32(byte - 0x41 + 10)
    case 0x61...0x66: return UInt32(byte - 0x61 + 10)
    default: return nil
    }
}
