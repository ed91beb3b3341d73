import Foundation

/// The provider secret formats of `Resources/secrets/provider-rules.json`: the regex plugins of detect-secrets, turned
/// into data by `scripts/secret-rules.py` (their source and version are recorded in the file).
///
/// A rule only runs on a text that holds one of its trigger words, found in one pass over the bytes, so most texts cost
/// a table lookup per byte and no regular expression at all.
package struct ProviderRules: Sendable {
    package struct Rule: Sendable {
        /// Names the marker, `[REDACTED:<name>]`, and can be given to `redaction.disable`.
        package let name: String
        let regex: SendableRegex
        /// The capture group that holds the secret; 0 for the whole match.
        let group: Int
        let triggers: [String]
        let caseInsensitive: Bool
        /// The length of the run of key characters (letters, digits, `_-.+/=`) every match holds: a text without so
        /// long a run cannot hold a match.
        let minimumRun: Int
    }

    package let rules: [Rule]
    /// Where the rules came from, as the resource says.
    package let source: String
    private let index: TriggerIndex

    /// The rules agenttail ships with.
    package static let builtIn = BundledResource.load("secrets/provider-rules.json") { try ProviderRules(json: $0) }

    /// The names rules can be disabled by.
    package var names: [String] { Array(Set(rules.map(\.name))).sorted() }

    init(json: Data) throws {
        struct Document: Decodable {
            struct Entry: Decodable {
                var name: String
                var regex: String
                var case_insensitive: Bool
                var groups: Int
                var triggers: [String]
                var min_run: Int
            }
            var source: String
            var rules: [Entry]
        }
        let document = try JSONDecoder().decode(Document.self, from: json)
        rules = try document.rules.map { entry in
            Rule(
                name: entry.name,
                regex: SendableRegex(
                    try NSRegularExpression(
                        pattern: entry.regex, options: entry.case_insensitive ? [.caseInsensitive] : [])),
                group: entry.groups > 0 ? 1 : 0, triggers: entry.triggers, caseInsensitive: entry.case_insensitive,
                minimumRun: entry.min_run)
        }
        source = document.source
        index = TriggerIndex(rules: rules)
    }

    private init(rules: [Rule], source: String) {
        self.rules = rules
        self.source = source
        self.index = TriggerIndex(rules: rules)
    }

    /// These rules less those named in `disabled`.
    package func removing(_ disabled: Set<String>) -> ProviderRules {
        disabled.isEmpty ? self : ProviderRules(rules: rules.filter { !disabled.contains($0.name) }, source: source)
    }

    /// The secrets the rules find in `text`, by byte range.
    package func matches(in text: UnsafeBufferPointer<UInt8>) -> [SecretMatch] {
        guard !rules.isEmpty, text.count >= 8 else { return [] }
        let triggered = index.triggeredRules(in: text)
        guard !triggered.isEmpty else { return [] }
        let string = String(decoding: text, as: UTF8.self)
        // Texts come from Swift strings, so they are valid UTF-8 and the offsets below are the text's; were one not,
        // its bytes would not line up, and the whole of it is masked rather than a wrong part.
        guard string.utf8.count == text.count else {
            return [SecretMatch(range: 0..<text.count, marker: SecretKind.providerFormats.marker)]
        }
        let whole = NSRange(string.startIndex..<string.endIndex, in: string)
        var found: [SecretMatch] = []
        for ruleIndex in rules.indices where triggered.contains(ruleIndex) {
            let rule = rules[ruleIndex]
            for result in rule.regex.value.matches(in: string, options: [], range: whole) {
                // A rule's group is the secret when it holds one: not a short prefix (`(glpat)-...`) nor a piece.
                var range = result.range(at: rule.group)
                let matched = result.range
                if range.location == NSNotFound || range.length < 4
                    || (range.location == matched.location && NSMaxRange(range) < NSMaxRange(matched))
                {
                    range = matched
                }
                guard let bounds = Range(range, in: string) else { continue }
                let lower = string.utf8.distance(from: string.startIndex, to: bounds.lowerBound)
                let upper = string.utf8.distance(from: string.startIndex, to: bounds.upperBound)
                let trimmed = Self.trimmed(lower..<upper, in: text)
                if !trimmed.isEmpty { found.append(SecretMatch(range: trimmed, marker: SecretKind.marker(rule.name))) }
            }
        }
        return found
    }

    /// A match less the quotes, spaces and separators some rules take in around a token.
    private static func trimmed(_ range: Range<Int>, in text: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        let edges = Set(" \t\r\n\"'=:".utf8)
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper && edges.contains(text[lower]) { lower += 1 }
        while upper > lower && edges.contains(text[upper - 1]) && text[upper - 1] != UInt8(ascii: "=") { upper -= 1 }
        return lower..<upper
    }
}

/// A set of rule indexes below 128, as bits.
private struct RuleBits: Sendable {
    var low: UInt64 = 0
    var high: UInt64 = 0

    var isEmpty: Bool { low == 0 && high == 0 }

    func contains(_ index: Int) -> Bool {
        index < 64 ? low & (1 << UInt64(index)) != 0 : high & (1 << UInt64(index - 64)) != 0
    }

    mutating func insert(_ index: Int) {
        if index < 64 { low |= 1 << UInt64(index) } else { high |= 1 << UInt64(index - 64) }
    }

    mutating func formUnion(_ other: RuleBits) {
        low |= other.low
        high |= other.high
    }

    func isSuperset(of other: RuleBits) -> Bool { low & other.low == other.low && high & other.high == other.high }

}

/// Finds which rules may match a text, in one pass over its bytes: every pair of bytes is looked up in a bitmap of the
/// pairs that start a trigger word (ASCII case folded), and only a hit compares whole words; the same pass measures the
/// longest run of key characters, which rules need a run of some length for. It allocates nothing.
private struct TriggerIndex: Sendable {
    private struct Trigger: Sendable {
        var bytes: [UInt8]
        var caseInsensitive: Bool
        var rules: RuleBits
    }

    /// One bit per pair of folded bytes that starts some trigger: 8 KiB, so the lookup made for every byte stays in
    /// the processor's first-level cache.
    private var pairs = [UInt64](repeating: 0, count: 65536 / 64)
    /// For each pair of folded bytes, 1 + the index in `groups` of the triggers that start with it; 0 for none.
    private var slots = [UInt16](repeating: 0, count: 65536)
    private var groups: [[Trigger]] = []
    /// Rules triggered by a single byte, by that byte.
    private var single = [RuleBits](repeating: RuleBits(), count: 256)
    /// For each byte: the byte ASCII-folded to lower case; bit 8 when it is a key character (letters, digits,
    /// `_-.+/=`); bit 9 when it triggers some rule alone. One lookup serves every test made of a byte.
    private var byteTable: [UInt16]
    /// The shortest run of key characters each rule's matches hold.
    private var minimumRuns: [Int]

    init(rules: [ProviderRules.Rule]) {
        precondition(rules.count <= 128, "at most 128 provider rules")
        minimumRuns = rules.map(\.minimumRun)
        byteTable = (0..<256).map { b in
            let c = UInt8(b)
            let folded = c >= 0x41 && c <= 0x5A ? c | 0x20 : c
            let key = (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || "_-.+/=".utf8.contains(c)
            return UInt16(folded) | (key ? 0x100 : 0)
        }
        var triggers: [String: Trigger] = [:]
        for (ruleIndex, rule) in rules.enumerated() {
            for word in rule.triggers {
                let key = (rule.caseInsensitive ? "i:" : "s:") + word
                triggers[
                    key,
                    default: Trigger(bytes: Array(word.utf8), caseInsensitive: rule.caseInsensitive, rules: RuleBits())
                ]
                .rules.insert(ruleIndex)
            }
        }
        for trigger in triggers.values.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            if trigger.bytes.count == 1 {
                single[Int(trigger.bytes[0])].formUnion(trigger.rules)
                byteTable[Int(trigger.bytes[0])] |= 0x200
                continue
            }
            let pair = Int(Self.pair(trigger.bytes[0], trigger.bytes[1]))
            if slots[pair] == 0 {
                groups.append([])
                slots[pair] = UInt16(groups.count)
                pairs[pair >> 6] |= 1 << UInt64(pair & 63)
            }
            groups[Int(slots[pair]) - 1].append(trigger)
        }
    }

    @inline(__always)
    private static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    @inline(__always)
    private static func pair(_ a: UInt8, _ b: UInt8) -> UInt16 { UInt16(fold(a)) << 8 | UInt16(fold(b)) }

    /// The rules whose triggers `text` holds and whose run of key characters it can hold.
    func triggeredRules(in text: UnsafeBufferPointer<UInt8>) -> RuleBits {
        guard let p = text.baseAddress, text.count >= 2 else { return RuleBits() }
        let n = text.count
        var hit = RuleBits()
        var longest = 0
        byteTable.withUnsafeBufferPointer { table in
            pairs.withUnsafeBufferPointer { pairs in
                // A tight loop over the bytes; what a hit asks for is done out of line.
                var previous = Int(table[Int(p[0])])
                var run = (previous >> 8) & 1
                longest = run
                if previous & 0x200 != 0 { hit.formUnion(single[Int(p[0])]) }
                var i = 1
                while i < n {
                    let current = Int(table[Int(p[i])])
                    run = (run &+ 1) &* ((current >> 8) & 1)
                    longest = max(longest, run)
                    let pair = (previous & 0xFF) << 8 | (current & 0xFF)
                    if (pairs[pair >> 6] >> UInt64(pair & 63)) & 1 != 0 || current & 0x200 != 0 {
                        collect(at: i, pair: pair, single: current & 0x200 != 0, in: text, into: &hit)
                    }
                    previous = current
                    i &+= 1
                }
            }
        }
        guard !hit.isEmpty else { return hit }
        var result = RuleBits()
        for index in minimumRuns.indices where hit.contains(index) && minimumRuns[index] <= longest {
            result.insert(index)
        }
        return result
    }

    /// Adds the rules whose trigger starts at `i - 1` (or is the single byte at `i`).
    @inline(never)
    private func collect(
        at i: Int, pair: Int, single isSingle: Bool, in text: UnsafeBufferPointer<UInt8>, into hit: inout RuleBits
    ) {
        if isSingle { hit.formUnion(single[Int(text[i])]) }
        let slot = Int(slots[pair])
        guard slot != 0 else { return }
        for trigger in groups[slot - 1] where !hit.isSuperset(of: trigger.rules) && matches(trigger, text, at: i - 1) {
            hit.formUnion(trigger.rules)
        }
    }

    private func matches(_ trigger: Trigger, _ text: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i + trigger.bytes.count <= text.count else { return false }
        for (k, expected) in trigger.bytes.enumerated() {
            let actual = text[i + k]
            if trigger.caseInsensitive ? Self.fold(actual) != expected : actual != expected { return false }
        }
        return true
    }
}
