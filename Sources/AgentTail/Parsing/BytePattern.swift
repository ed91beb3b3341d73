/// The simple line patterns record heads are made of (`^-{80}$`, `^\[(?<seq>\d+)\] (?<type>[A-Z][A-Z_]*)$`), matched
/// on the line's bytes instead of handing every head line to the regex engine as a string.
///
/// Only what is known to mean the same on ASCII text is compiled: a pattern anchored at both ends, made of literal
/// characters, `.`, `\d`, `\t`, `[...]` classes of ASCII characters and ranges, the quantifiers `*`, `+`, `?` and
/// `{n,m}`, and named groups that hold no group of their own and take no quantifier. Anything else, and any line
/// holding a byte outside printable ASCII and tab (where `.`, `\d` and `$` follow Unicode's rules), is left to the
/// regex engine. Matching backtracks as the engine does (greedy, leftmost), so the groups capture the same text.
struct BytePattern: Sendable {
    private enum Item: Sendable {
        /// `min...max` bytes of the set.
        case bytes(ByteSet, min: Int, max: Int)
        /// Where a group starts (mark `2 × group`) or ends (mark `2 × group + 1`).
        case mark(Int)
    }

    private let items: [Item]
    let groupNames: [String]

    /// Compiles `source`, or nil when it uses anything this matcher does not do.
    init?(_ source: String) {
        var parser = Parser(Array(source.utf8))
        guard let (items, names) = parser.parse() else { return nil }
        self.items = items
        self.groupNames = names
    }

    /// True when `line` is text this matcher reads as the regex engine does.
    static func canMatch(_ line: UnsafeRawBufferPointer) -> Bool {
        for byte in line where byte >= 0x7F || (byte < 0x20 && byte != 0x09) { return false }
        return true
    }

    /// The groups of a match of the whole line, by name, or nil when it does not match. Call only on lines for which
    /// `canMatch` holds.
    func match(_ line: UnsafeRawBufferPointer) -> [String: String]? {
        var marks = [Int](repeating: -1, count: 2 * groupNames.count)
        guard matches(from: 0, at: 0, line, &marks) else { return nil }
        var captures: [String: String] = [:]
        for (index, name) in groupNames.enumerated() {
            let (start, end) = (marks[2 * index], marks[2 * index + 1])
            guard start >= 0, end >= start else { continue }
            captures[name] = String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<end]), as: UTF8.self)
        }
        return captures
    }

    private func matches(from item: Int, at position: Int, _ line: UnsafeRawBufferPointer, _ marks: inout [Int]) -> Bool {
        guard item < items.count else { return position == line.count }
        switch items[item] {
        case .mark(let mark):
            let saved = marks[mark]
            marks[mark] = position
            if matches(from: item + 1, at: position, line, &marks) { return true }
            marks[mark] = saved
            return false
        case .bytes(let set, let min, let max):
            var count = 0
            while count < max, position + count < line.count, set.contains(line[position + count]) { count += 1 }
            guard count >= min else { return false }
            // Greedy: the longest run first, giving back one byte at a time.
            if item + 1 == items.count { return position + count == line.count }
            while count >= min {
                if matches(from: item + 1, at: position + count, line, &marks) { return true }
                count -= 1
            }
            return false
        }
    }

    /// A set of bytes.
    struct ByteSet: Sendable {
        private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        func contains(_ byte: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: return words.0 & bit != 0
            case 1: return words.1 & bit != 0
            case 2: return words.2 & bit != 0
            default: return words.3 & bit != 0
            }
        }

        mutating func insert(_ byte: UInt8) {
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }

        mutating func insert(_ range: ClosedRange<UInt8>) {
            for byte in range { insert(byte) }
        }

        /// The printable ASCII bytes and tab not in this set (a negated class: other bytes never reach the matcher).
        var complement: ByteSet {
            var other = ByteSet()
            for byte in UInt8(0x20)...0x7E where !contains(byte) { other.insert(byte) }
            if !contains(0x09) { other.insert(0x09) }
            return other
        }

        static let anyCharacter: ByteSet = ByteSet().complement
        static let digits: ByteSet = { var set = ByteSet(); set.insert(UInt8(ascii: "0")...UInt8(ascii: "9")); return set }()
    }

    /// Reads the supported forms; nil for anything else.
    private struct Parser {
        let source: [UInt8]
        var index = 0
        var items: [Item] = []
        var names: [String] = []

        init(_ source: [UInt8]) { self.source = source }

        /// Characters a pattern must escape to mean themselves.
        static let special = Set("\\^$.|?*+()[]{}".utf8)
        /// Escaped characters that stand for themselves.
        static let escapable = Set("\\^$.|?*+()[]{}/-".utf8)

        mutating func parse() -> ([Item], [String])? {
            guard source.first == UInt8(ascii: "^"), source.count >= 2, source.last == UInt8(ascii: "$"),
                source[source.count - 2] != UInt8(ascii: "\\")
            else { return nil }
            index = 1
            let end = source.count - 1
            var openGroup: Int?
            while index < end {
                let byte = source[index]
                if byte == UInt8(ascii: "(") {
                    guard openGroup == nil, let name = groupName() else { return nil }
                    openGroup = names.count
                    names.append(name)
                    items.append(.mark(2 * openGroup!))
                    continue
                }
                if byte == UInt8(ascii: ")") {
                    guard let group = openGroup else { return nil }
                    items.append(.mark(2 * group + 1))
                    openGroup = nil
                    index += 1
                    // A quantified group repeats its captures: left to the regex engine.
                    if index < end, "*+?{".utf8.contains(source[index]) { return nil }
                    continue
                }
                guard let set = atom(end: end), let (min, max) = quantifier(end: end) else { return nil }
                items.append(.bytes(set, min: min, max: max))
            }
            guard openGroup == nil, index == end else { return nil }
            return (items, names)
        }

        /// `(?<name>`; moves past it.
        mutating func groupName() -> String? {
            let prefix = Array("(?<".utf8)
            guard index + prefix.count < source.count, Array(source[index..<index + prefix.count]) == prefix else {
                return nil
            }
            var cursor = index + prefix.count
            let start = cursor
            while cursor < source.count, source[cursor] != UInt8(ascii: ">") {
                let byte = source[cursor]
                let isWord = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                guard isWord else { return nil }
                cursor += 1
            }
            guard cursor < source.count, cursor > start else { return nil }
            index = cursor + 1
            return String(decoding: source[start..<cursor], as: UTF8.self)
        }

        /// One literal character, `.`, `\d`, an escaped character or a class; moves past it.
        mutating func atom(end: Int) -> ByteSet? {
            let byte = source[index]
            var set = ByteSet()
            switch byte {
            case UInt8(ascii: "."):
                index += 1
                return .anyCharacter
            case UInt8(ascii: "\\"):
                guard index + 1 < end else { return nil }
                let escaped = source[index + 1]
                index += 2
                if escaped == UInt8(ascii: "d") { return .digits }
                if escaped == UInt8(ascii: "t") {
                    set.insert(0x09)
                    return set
                }
                guard Self.escapable.contains(escaped) else { return nil }
                set.insert(escaped)
                return set
            case UInt8(ascii: "["):
                return characterClass(end: end)
            default:
                guard byte >= 0x20, byte < 0x7F, !Self.special.contains(byte) else { return nil }
                index += 1
                set.insert(byte)
                return set
            }
        }

        /// `[...]` of ASCII characters, ranges and `\d`, maybe negated; moves past it.
        mutating func characterClass(end: Int) -> ByteSet? {
            index += 1
            var negated = false
            if index < end, source[index] == UInt8(ascii: "^") {
                negated = true
                index += 1
            }
            var set = ByteSet()
            var first = true
            while index < end {
                var byte = source[index]
                if byte == UInt8(ascii: "]") && !first {
                    index += 1
                    return negated ? set.complement : set
                }
                first = false
                // Nested classes, set operations and the like are left to the regex engine.
                if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "]") { return nil }
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < end else { return nil }
                    let escaped = source[index + 1]
                    index += 2
                    if escaped == UInt8(ascii: "d") {
                        set.insert(UInt8(ascii: "0")...UInt8(ascii: "9"))
                        continue
                    }
                    if escaped == UInt8(ascii: "t") {
                        set.insert(0x09)
                        continue
                    }
                    guard Self.escapable.contains(escaped) else { return nil }
                    byte = escaped
                } else {
                    guard byte >= 0x20, byte < 0x7F else { return nil }
                    index += 1
                }
                // A range `a-z`; a `-` first or last stands for itself.
                if index + 1 < end, source[index] == UInt8(ascii: "-"), source[index + 1] != UInt8(ascii: "]") {
                    let upper = source[index + 1]
                    guard upper != UInt8(ascii: "\\"), upper != UInt8(ascii: "["), upper >= byte, upper < 0x7F else {
                        return nil
                    }
                    set.insert(byte...upper)
                    index += 2
                } else {
                    set.insert(byte)
                }
            }
            return nil
        }

        /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` or nothing; nil for lazy and possessive forms.
        mutating func quantifier(end: Int) -> (Int, Int)? {
            guard index < end else { return (1, 1) }
            let bounds: (Int, Int)
            switch source[index] {
            case UInt8(ascii: "*"):
                bounds = (0, Int.max)
                index += 1
            case UInt8(ascii: "+"):
                bounds = (1, Int.max)
                index += 1
            case UInt8(ascii: "?"):
                bounds = (0, 1)
                index += 1
            case UInt8(ascii: "{"):
                guard let close = source[index..<end].firstIndex(of: UInt8(ascii: "}")) else { return nil }
                let parts = String(decoding: source[(index + 1)..<close], as: UTF8.self)
                    .split(separator: ",", omittingEmptySubsequences: false)
                guard let low = Int(parts[0]), parts.count <= 2 else { return nil }
                if parts.count == 1 {
                    bounds = (low, low)
                } else if parts[1].isEmpty {
                    bounds = (low, Int.max)
                } else {
                    guard let high = Int(parts[1]), high >= low else { return nil }
                    bounds = (low, high)
                }
                index = close + 1
            default:
                return (1, 1)
            }
            if index < end, source[index] == UInt8(ascii: "?") || source[index] == UInt8(ascii: "+") { return nil }
            return bounds
        }
    }
}
