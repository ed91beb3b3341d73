/// One JSON value located in a scanner's buffer: its kind and its bytes (strings including their quotes).
package struct JSONSlice: Sendable, Equatable, Hashable {
    /// The kinds of JSON values.
    package enum Kind: Sendable, Equatable, Hashable, CustomStringConvertible {
        case object, array, string, number, bool, null

        package var description: String {
            switch self {
            case .object: return "an object"
            case .array: return "an array"
            case .string: return "a string"
            case .number: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            }
        }
    }

    /// What the value is.
    package let kind: Kind
    /// The value's bytes in the scanner's buffer, without surrounding whitespace.
    package let range: Range<Int>

    /// A slice of `kind` covering `range`.
    package init(kind: Kind, range: Range<Int>) {
        self.kind = kind
        self.range = range
    }
}

/// Reads JSON in place from a borrowed buffer: validation, lookups by key and index, and scalar decoding.
///
/// The scanner does not own or copy its bytes; create and use it inside `withUnsafeBytes` (or while the
/// buffer is otherwise guaranteed alive) and do not let it or its slices' buffer escape that scope:
///
///     try data.withUnsafeBytes { raw in
///         let scanner = JSONScanner(raw)
///         try scanner.validate(0..<raw.count)
///         let root = try scanner.value(in: 0..<raw.count)
///         let name = try scanner.member("name", of: root).map { try scanner.string($0) }
///     }
///
/// Only `validate` checks the full grammar. The other methods find values structurally (strings by their
/// quotes, containers by their brackets), so on text that was never validated they may accept some
/// malformed JSON, but they never read outside the buffer and report truncation as errors.
package struct JSONScanner {
    /// The borrowed bytes.
    package let buffer: UnsafeRawBufferPointer
    private let base: UnsafePointer<UInt8>?
    /// The bytes `validateValue` checked, whose text is known to be valid UTF-8: strings made from them skip
    /// Swift's own validation, which otherwise costs as much as the scan that found them.
    private var validated: Range<Int> = 0..<0

    /// A scanner over `buffer`, which must stay valid while the scanner is used.
    package init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
        self.base = buffer.count > 0 ? buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) : nil
    }

    /// The byte routines reading below `limit` (clamped to the buffer); nil for an empty buffer.
    func bytes(upTo limit: Int) -> JSONBytes? {
        guard let base else { return nil }
        return JSONBytes(p: base, end: max(0, min(limit, buffer.count)))
    }

    /// `range` limited to the buffer.
    private func clamped(_ range: Range<Int>) -> Range<Int> {
        let lower = max(0, min(range.lowerBound, buffer.count))
        let upper = max(lower, min(range.upperBound, buffer.count))
        return lower..<upper
    }

    /// Checks that `range` holds exactly one JSON value (RFC 8259), with optional whitespace around it.
    ///
    /// Checks escapes, control characters and UTF-8 in strings, the number grammar, and nesting up to 512 levels.
    package func validate(_ range: Range<Int>) throws(JSONError) {
        let range = clamped(range)
        guard let bytes = bytes(upTo: range.upperBound), !range.isEmpty else {
            throw .unexpectedEnd(expected: "a value", offset: range.lowerBound)
        }
        let stop = bytes.skipWhitespace(try bytes.validateValue(range.lowerBound))
        guard stop == range.upperBound else { throw .trailingContent(offset: stop) }
    }

    /// Validates `range` as `validate` does and returns its value, found by the same pass. Text later taken from
    /// inside it is known to be valid UTF-8.
    package mutating func validateValue(in range: Range<Int>) throws(JSONError) -> JSONSlice {
        let range = clamped(range)
        guard let bytes = bytes(upTo: range.upperBound), !range.isEmpty else {
            throw .unexpectedEnd(expected: "a value", offset: range.lowerBound)
        }
        let start = bytes.skipWhitespace(range.lowerBound)
        let valueEnd = try bytes.validateValue(start)
        let stop = bytes.skipWhitespace(valueEnd)
        guard stop == range.upperBound else { throw .trailingContent(offset: stop) }
        validated = range
        return JSONSlice(kind: bytes.kind(at: start), range: start..<valueEnd)
    }

    /// Whether `range` lies inside what `validateValue` checked.
    private func isValidated(_ range: Range<Int>) -> Bool {
        range.lowerBound >= validated.lowerBound && range.upperBound <= validated.upperBound
    }

    /// The single value in `range`, with optional whitespace around it.
    package func value(in range: Range<Int>) throws(JSONError) -> JSONSlice {
        let range = clamped(range)
        guard let bytes = bytes(upTo: range.upperBound), !range.isEmpty else {
            throw .unexpectedEnd(expected: "a value", offset: range.lowerBound)
        }
        let start = bytes.skipWhitespace(range.lowerBound)
        let slice = try bytes.slice(at: start)
        let stop = bytes.skipWhitespace(slice.range.upperBound)
        guard stop == range.upperBound else { throw .trailingContent(offset: stop) }
        return slice
    }

    /// The value of the first member of `object` named `key` (names compared after unescaping), or nil.
    package func member(_ key: String, of object: JSONSlice) throws(JSONError) -> JSONSlice? {
        let bytes = try checked(object, .object)
        var key = key
        let result = key.withUTF8 { name in
            Result { () throws(JSONError) -> JSONSlice? in
                guard let value = try bytes.memberValue(name, objectStart: object.range.lowerBound) else { return nil }
                return try bytes.slice(at: value)
            }
        }
        return try result.get()
    }

    /// The elements of `array`, in order.
    package func elements(of array: JSONSlice) throws(JSONError) -> [JSONSlice] {
        let bytes = try checked(array, .array)
        var elements: [JSONSlice] = []
        try bytes.forEachElement(arrayStart: array.range.lowerBound) { (start) throws(JSONError) -> Int? in
            let element = try bytes.slice(at: start)
            elements.append(element)
            return element.range.upperBound
        }
        return elements
    }

    /// The members of `object` with their unescaped names, in order (duplicates included).
    package func members(of object: JSONSlice) throws(JSONError) -> [(key: String, value: JSONSlice)] {
        let bytes = try checked(object, .object)
        var members: [(key: String, value: JSONSlice)] = []
        try bytes.forEachMember(objectStart: object.range.lowerBound) {
            (name, _, start) throws(JSONError) -> Int? in
            let value = try bytes.slice(at: start)
            members.append((key: try bytes.decodeString(name.lowerBound, name.upperBound), value: value))
            return value.range.upperBound
        }
        return members
    }

    /// The decoded text of a string value; a lone surrogate escape becomes U+FFFD.
    package func string(_ slice: JSONSlice) throws(JSONError) -> String {
        let bytes = try checked(slice, .string)
        let range = slice.range
        guard range.count >= 2, bytes.p[range.upperBound - 1] == 0x22 else {
            throw .unexpectedEnd(expected: "'\"'", offset: range.upperBound)
        }
        return try bytes.decodeString(range.lowerBound + 1, range.upperBound - 1, validUTF8: isValidated(range))
    }

    /// The value's source text exactly as it appears in the buffer.
    package func rawText(_ slice: JSONSlice) -> String {
        let range = clamped(slice.range)
        guard let base, !range.isEmpty else { return "" }
        let text = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        return isValidated(range) ? JSONBytes.string(validUTF8: text) : String(decoding: text, as: UTF8.self)
    }

    /// The value's text without insignificant whitespace (one line, whatever the source's indentation).
    ///
    /// Strings are copied as written, escapes included. Text that is not valid JSON is copied as far as it goes.
    package func compactText(_ slice: JSONSlice) -> String {
        let range = clamped(slice.range)
        guard let bytes = bytes(upTo: range.upperBound), !range.isEmpty else { return "" }
        // Written straight into the string's storage: a scratch copy would double the memory a multi-megabyte
        // history costs while it is parsed. The string checks the bytes it was given, validated or not.
        return String(unsafeUninitializedCapacity: range.count) { out in
            guard let base = out.baseAddress else { return 0 }
            return bytes.compact(range.lowerBound, into: base)
        }
    }

    /// The value of a boolean.
    package func bool(_ slice: JSONSlice) throws(JSONError) -> Bool {
        let bytes = try checked(slice, .bool)
        return bytes.p[slice.range.lowerBound] == 0x74
    }

    /// The value of a number that is a whole number fitting `Int` (`3`, `3.0`, `3e2`), else nil.
    package func int(_ slice: JSONSlice) -> Int? {
        guard slice.kind == .number, let bytes = try? checked(slice, .number) else { return nil }
        let range = slice.range
        if let whole = bytes.integer(range.lowerBound, range.upperBound) { return whole }
        guard let number = bytes.double(range.lowerBound, range.upperBound),
            number >= -0x1p63 && number < 0x1p63
        else { return nil }
        let whole = Int(number)
        return Double(whole) == number ? whole : nil
    }

    /// The value of a number as a `Double`, else nil.
    package func double(_ slice: JSONSlice) -> Double? {
        guard slice.kind == .number, let bytes = try? checked(slice, .number) else { return nil }
        return bytes.double(slice.range.lowerBound, slice.range.upperBound)
    }

    /// The byte routines for `slice` after checking its kind and that it lies in the buffer.
    private func checked(_ slice: JSONSlice, _ kind: JSONSlice.Kind) throws(JSONError) -> JSONBytes {
        guard slice.kind == kind else {
            throw .typeMismatch(expected: kind, found: slice.kind, offset: slice.range.lowerBound)
        }
        let range = slice.range
        guard let bytes = bytes(upTo: range.upperBound), range.lowerBound >= 0, range.lowerBound < range.upperBound,
            range.upperBound <= buffer.count
        else {
            throw .unexpectedEnd(expected: kind.description, offset: max(0, range.lowerBound))
        }
        return bytes
    }
}
