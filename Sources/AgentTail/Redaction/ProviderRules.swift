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
    }

    package let rules: [Rule]
    /// Where the rules came from, as the resource says.
    package let source: String
    private let index: TriggerIndex

    /// The rules agenttail ships with.
    package static let builtIn: ProviderRules = {
        guard let url = Bundle.module.url(forResource: "provider-rules", withExtension: "json", subdirectory: "secrets")
        else {
            preconditionFailure("the resource secrets/provider-rules.json is missing from the AgentTail bundle")
        }
        do {
            return try ProviderRules(json: Data(contentsOf: url))
        } catch {
            preconditionFailure("secrets/provider-rules.json cannot be read: \(error)")
        }
    }()

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
            }
            var source: String
            var rules: [Entry]
        }
        let document = try JSONDecoder().decode(Document.self, from: json)
        rules = try document.rules.map { entry in
            Rule(
                name: entry.name,
                regex: SendableRegex(
                    try NSRegularExpression(pattern: entry.regex, options: entry.case_insensitive ? [.caseInsensitive] : [])),
                group: entry.groups > 0 ? 1 : 0, triggers: entry.triggers, caseInsensitive: entry.case_insensitive)
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
        let whole = NSRange(string.startIndex..<string.endIndex, in: string)
        var found: [SecretMatch] = []
        for ruleIndex in triggered {
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

/// Finds which rules' trigger words a text holds, in one pass over its bytes: every pair of bytes is looked up in a
/// bitmap of the pairs that start a trigger (ASCII case folded), and only a hit compares whole words.
private struct TriggerIndex: Sendable {
    private struct Trigger: Sendable {
        var bytes: [UInt8]
        var caseInsensitive: Bool
        var rules: [Int]
    }

    /// One bit per pair of folded bytes that starts some trigger.
    private var pairs = [UInt64](repeating: 0, count: 65536 / 64)
    private var byPair: [UInt16: [Trigger]] = [:]
    /// Triggers of a single byte, by that byte.
    private var single: [UInt8: [Int]] = [:]

    init(rules: [ProviderRules.Rule]) {
        var triggers: [String: Trigger] = [:]
        for (ruleIndex, rule) in rules.enumerated() {
            for word in rule.triggers {
                let key = (rule.caseInsensitive ? "i:" : "s:") + word
                triggers[key, default: Trigger(bytes: Array(word.utf8), caseInsensitive: rule.caseInsensitive, rules: [])]
                    .rules.append(ruleIndex)
            }
        }
        for trigger in triggers.values.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            if trigger.bytes.count == 1 {
                single[trigger.bytes[0], default: []].append(contentsOf: trigger.rules)
                continue
            }
            let pair = Self.pair(trigger.bytes[0], trigger.bytes[1])
            pairs[Int(pair >> 6)] |= 1 << (pair & 63)
            byPair[pair, default: []].append(trigger)
        }
    }

    @inline(__always)
    private static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    @inline(__always)
    private static func pair(_ a: UInt8, _ b: UInt8) -> UInt16 { UInt16(fold(a)) << 8 | UInt16(fold(b)) }

    /// The indexes of the rules whose triggers `text` holds, in ascending order.
    func triggeredRules(in text: UnsafeBufferPointer<UInt8>) -> [Int] {
        var hit = Set<Int>()
        for (byte, rules) in single where text.contains(byte) { hit.formUnion(rules) }
        let n = text.count
        var i = 0
        while i + 1 < n {
            let pair = Self.pair(text[i], text[i + 1])
            if pairs[Int(pair >> 6)] & (1 << (pair & 63)) != 0, let candidates = byPair[pair] {
                for trigger in candidates where !trigger.rules.allSatisfy(hit.contains) && matches(trigger, text, at: i) {
                    hit.formUnion(trigger.rules)
                }
            }
            i += 1
        }
        return hit.sorted()
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
