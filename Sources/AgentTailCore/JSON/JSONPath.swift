/// A parsed path in a small JSONPath subset, evaluated in place on a `JSONScanner`.
///
/// Supported syntax: `$` (the root) or `@` (the current element, in rules that read several elements of one
/// record), `.name`, `['name']` or `["name"]`, `[n]` (negative `n` counts from the
/// end), `[*]` and `.*` (every element or member value), and filters `[?(@.key == literal)]` or
/// `[?(@.key != literal)]`, where the `@` path may use `.name`, `['name']` and `[n]` and the literal is a
/// quoted string, a number, `true`, `false` or `null`. A filter whose `@` path finds nothing is false for
/// `==` and true for `!=`. Filters and wildcards apply to array elements and to object member values.
package struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    /// One step of a path.
    package enum Segment: Sendable, Equatable {
        /// The member with this name.
        case member(String)
        /// The element at this index; negative indexes count from the end.
        case index(Int)
        /// Every element or member value.
        case wildcard
        /// Every element or member value for which the filter holds.
        case filter(Filter)
    }

    /// A filter `?(@path == literal)` or `?(@path != literal)`.
    package struct Filter: Sendable, Equatable {
        /// The path from the candidate value (`@`); only members and indexes.
        package let path: [Segment]
        /// True for `!=`.
        package let isNegated: Bool
        /// The value compared against.
        package let literal: Literal
    }

    /// A literal on the right of a filter comparison.
    package enum Literal: Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    /// The path as written.
    package let text: String
    /// The steps after `$` or `@`.
    package let segments: [Segment]
    /// True for a path that starts at the current element (`@`) rather than at the root (`$`).
    package let isRelative: Bool

    /// Parses `text`; the error says what was expected and at which (1-based) character.
    package init(_ text: String) throws(JSONError) {
        var parser = PathParser(text: text)
        (self.isRelative, self.segments) = try parser.parsePath()
        self.text = text
    }

    /// The path without its last step, and that step when it names a member: where to look for the keys a path
    /// could have meant.
    package var parent: (path: JSONPath, member: String)? {
        guard case .member(let name)? = segments.last else { return nil }
        return (JSONPath(text: text, segments: Array(segments.dropLast()), isRelative: isRelative), name)
    }

    private init(text: String, segments: [Segment], isRelative: Bool) {
        self.text = text
        self.segments = segments
        self.isRelative = isRelative
    }

    package var description: String { text }

    /// True when the path names at most one value: no wildcard and no filter.
    package var isDefinite: Bool {
        segments.allSatisfy { segment in
            switch segment {
            case .member, .index: return true
            case .wildcard, .filter: return false
            }
        }
    }

    /// The first value the path selects under `root`, in document order; scans no further than needed.
    package func first(in scanner: JSONScanner, root: JSONSlice) throws(JSONError) -> JSONSlice? {
        guard let bytes = scanner.bytes(upTo: root.range.upperBound), root.range.lowerBound >= 0 else { return nil }
        let start = bytes.skipWhitespace(root.range.lowerBound)
        guard let match = try firstMatch(bytes, segments[...], at: start) else { return nil }
        return try bytes.slice(at: match)
    }

    /// Every value the path selects under `root`, in document order.
    package func all(in scanner: JSONScanner, root: JSONSlice) throws(JSONError) -> [JSONSlice] {
        guard let bytes = scanner.bytes(upTo: root.range.upperBound), root.range.lowerBound >= 0 else { return [] }
        var results: [JSONSlice] = []
        try collect(bytes, segments[...], at: bytes.skipWhitespace(root.range.lowerBound), into: &results)
        return results
    }

    // MARK: - Evaluation

    /// The start of the first value `path` selects from the value starting at `start`.
    private func firstMatch(_ bytes: JSONBytes, _ path: ArraySlice<Segment>, at start: Int) throws(JSONError) -> Int? {
        guard let segment = path.first else { return start }
        let rest = path.dropFirst()
        switch segment {
        case .member, .index:
            guard let next = try Self.step(bytes, segment, at: start) else { return nil }
            return try firstMatch(bytes, rest, at: next)
        case .wildcard, .filter:
            var found: Int?
            try bytes.forEachChild(of: start) { (child) throws(JSONError) -> Int? in
                if try Self.accepts(bytes, segment, child), let match = try firstMatch(bytes, rest, at: child) {
                    found = match
                    return nil
                }
                return try bytes.skipValue(child)
            }
            return found
        }
    }

    /// Appends every value `path` selects from the value starting at `start`, in document order.
    private func collect(
        _ bytes: JSONBytes, _ path: ArraySlice<Segment>, at start: Int, into results: inout [JSONSlice]
    ) throws(JSONError) {
        guard let segment = path.first else {
            results.append(try bytes.slice(at: start))
            return
        }
        let rest = path.dropFirst()
        switch segment {
        case .member, .index:
            guard let next = try Self.step(bytes, segment, at: start) else { return }
            try collect(bytes, rest, at: next, into: &results)
        case .wildcard, .filter:
            try bytes.forEachChild(of: start) { (child) throws(JSONError) -> Int? in
                if try Self.accepts(bytes, segment, child) {
                    try collect(bytes, rest, at: child, into: &results)
                }
                return try bytes.skipValue(child)
            }
        }
    }

    /// The start of the member or element `segment` names in the value at `start`, or nil.
    private static func step(_ bytes: JSONBytes, _ segment: Segment, at start: Int) throws(JSONError) -> Int? {
        guard start < bytes.end else { return nil }
        switch segment {
        case .member(var name):
            guard bytes.p[start] == 0x7B else { return nil }
            let result = name.withUTF8 { key in
                Result { () throws(JSONError) -> Int? in try bytes.memberValue(key, objectStart: start) }
            }
            return try result.get()
        case .index(let index):
            guard bytes.p[start] == 0x5B else { return nil }
            return try bytes.element(index, arrayStart: start)
        case .wildcard, .filter:
            return nil
        }
    }

    /// Whether a wildcard or filter `segment` selects the child value at `start`.
    private static func accepts(_ bytes: JSONBytes, _ segment: Segment, _ start: Int) throws(JSONError) -> Bool {
        guard case .filter(let filter) = segment else { return true }
        var position: Int? = start
        for step in filter.path {
            guard let current = position else { break }
            position = try Self.step(bytes, step, at: current)
        }
        guard let position else { return filter.isNegated }
        return try equals(bytes, position, filter.literal) != filter.isNegated
    }

    /// Whether the value at `start` equals `literal` (strings after unescaping, numbers numerically).
    private static func equals(_ bytes: JSONBytes, _ start: Int, _ literal: Literal) throws(JSONError) -> Bool {
        let first = bytes.p[start]
        switch literal {
        case .string(var text):
            guard first == 0x22 else { return false }
            let (close, escaped) = try bytes.stringEnd(start + 1)
            return text.withUTF8 { key in bytes.stringEquals(start + 1, close, escaped: escaped, key) }
        case .number(let number):
            guard bytes.kind(at: start) == .number else { return false }
            return bytes.double(start, try bytes.skipValue(start)) == number
        case .bool(let flag):
            return first == (flag ? 0x74 : 0x66)
        case .null:
            return first == 0x6E
        }
    }
}

/// Parses JSONPath text into segments, reporting errors with 1-based character positions.
private struct PathParser {
    let text: String
    let characters: [Unicode.Scalar]
    var index = 0

    init(text: String) {
        self.text = text
        self.characters = Array(text.unicodeScalars)
    }

    private var current: Unicode.Scalar? { index < characters.count ? characters[index] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < characters.count ? characters[index + offset] : nil
    }

    private func failure(_ reason: String) -> JSONError {
        .invalidPath(text, reason: reason, character: index + 1)
    }

    private mutating func skipSpaces() {
        while current == " " { index += 1 }
    }

    /// The segments of the whole path, which must start with `$` or `@`.
    mutating func parsePath() throws(JSONError) -> (isRelative: Bool, segments: [JSONPath.Segment]) {
        guard current == "$" || current == "@" else { throw failure("expected '$' or '@'") }
        let isRelative = current == "@"
        index += 1
        var segments: [JSONPath.Segment] = []
        while current != nil {
            segments.append(try parseSegment(relative: false))
        }
        return (isRelative, segments)
    }

    /// One `.name`, `.*` or `[...]` segment; `relative` segments (inside filters) allow only names and indexes.
    private mutating func parseSegment(relative: Bool) throws(JSONError) -> JSONPath.Segment {
        switch current {
        case ".":
            index += 1
            if current == "*" {
                guard !relative else { throw failure("wildcards are not supported inside a filter") }
                index += 1
                return .wildcard
            }
            if current == "." { throw failure("recursive descent '..' is not supported") }
            let start = index
            while let character = current, Self.isNameCharacter(character) { index += 1 }
            guard index > start else { throw failure("expected a member name") }
            return .member(String(String.UnicodeScalarView(characters[start..<index])))
        case "[":
            index += 1
            skipSpaces()
            guard let character = current else { throw failure("expected ']'") }
            let segment: JSONPath.Segment
            switch character {
            case "'", "\"":
                segment = .member(try parseQuoted())
            case "*":
                guard !relative else { throw failure("wildcards are not supported inside a filter") }
                index += 1
                segment = .wildcard
            case "-", "0"..."9":
                segment = .index(try parseIndex())
            case "?":
                guard !relative else { throw failure("filters cannot be nested") }
                index += 1
                segment = .filter(try parseFilter())
            default:
                throw failure("expected a quoted name, an index, '*' or a filter")
            }
            skipSpaces()
            guard current == "]" else { throw failure("expected ']'") }
            index += 1
            return segment
        default:
            throw failure("expected '.' or '['")
        }
    }

    /// Whether `character` may appear in a dot-notation member name.
    private static func isNameCharacter(_ character: Unicode.Scalar) -> Bool {
        switch character {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-", "$": return true
        default: return character.value >= 0x80
        }
    }

    /// A quoted name or string literal; a backslash makes the next character literal.
    private mutating func parseQuoted() throws(JSONError) -> String {
        guard let quote = current else { throw failure("expected a quote") }
        index += 1
        var scalars = String.UnicodeScalarView()
        while true {
            guard let character = current else { throw failure("expected a closing \(quote)") }
            index += 1
            if character == quote { return String(scalars) }
            if character == "\\" {
                guard let escaped = current else { throw failure("expected a closing \(quote)") }
                index += 1
                switch escaped {
                case "n": scalars.append("\n")
                case "t": scalars.append("\t")
                case "r": scalars.append("\r")
                default: scalars.append(escaped)
                }
            } else {
                scalars.append(character)
            }
        }
    }

    /// An optionally negative decimal index.
    private mutating func parseIndex() throws(JSONError) -> Int {
        let start = index
        let negative = current == "-"
        if negative { index += 1 }
        var value = 0
        let digitsStart = index
        while let character = current, ("0"..."9").contains(character) {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let digit = Int(character.value - 0x30)
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1 && !overflow2 else {
                index = start
                throw failure("index out of range")
            }
            value = next
            index += 1
        }
        guard index > digitsStart else { throw failure("expected a digit") }
        return value
    }

    /// The filter after `?`: `(@path == literal)` or `(@path != literal)`, parentheses optional.
    private mutating func parseFilter() throws(JSONError) -> JSONPath.Filter {
        skipSpaces()
        let parenthesized = current == "("
        if parenthesized {
            index += 1
            skipSpaces()
        }
        guard current == "@" else { throw failure("expected '@'") }
        index += 1
        var path: [JSONPath.Segment] = []
        while current == "." || current == "[" {
            path.append(try parseSegment(relative: true))
        }
        skipSpaces()
        let negated: Bool
        if current == "=" && peek(1) == "=" {
            negated = false
        } else if current == "!" && peek(1) == "=" {
            negated = true
        } else {
            throw failure("expected '==' or '!='")
        }
        index += 2
        skipSpaces()
        let literal = try parseLiteral()
        skipSpaces()
        if parenthesized {
            guard current == ")" else { throw failure("expected ')'") }
            index += 1
        }
        return JSONPath.Filter(path: path, isNegated: negated, literal: literal)
    }

    /// A quoted string, a number, `true`, `false` or `null`.
    private mutating func parseLiteral() throws(JSONError) -> JSONPath.Literal {
        guard let character = current else { throw failure("expected a string, number, true, false or null") }
        switch character {
        case "'", "\"":
            return .string(try parseQuoted())
        case "t", "f", "n":
            let start = index
            while let character = current, ("a"..."z").contains(character) { index += 1 }
            switch String(String.UnicodeScalarView(characters[start..<index])) {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                index = start
                throw failure("expected a string, number, true, false or null")
            }
        case "-", "0"..."9":
            let start = index
            while let character = current, "0123456789+-.eE".unicodeScalars.contains(character) { index += 1 }
            guard let number = Double(String(String.UnicodeScalarView(characters[start..<index]))), number.isFinite
            else {
                index = start
                throw failure("invalid number")
            }
            return .number(number)
        default:
            throw failure("expected a string, number, true, false or null")
        }
    }
}
