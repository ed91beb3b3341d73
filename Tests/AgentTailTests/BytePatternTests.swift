import Foundation
import Testing

import AgentTailTestSupport
@testable import AgentTail

/// Head lines matched on bytes must give what the regex engine gives, groups included.
struct BytePatternTests {
    static let patterns = [
        #"^-{80}$"#,
        #"^\[(?<seq>\d+)\] (?<type>[A-Z][A-Z_]*)$"#,
        #"^Timestamp: (?<timestamp>.+)$"#,
        #"^\{$"#,
        #"^-{2,4}$"#,
        #"^-{3,}x?$"#,
        #"^(?<a>.*)-(?<b>.*)$"#,
        #"^(?<key>[a-z_]+): (?<value>[^\]]*)\]?$"#,
        #"^\d{4}-\d\d-\d\d (?<rest>.*)$"#,
        #"^[-a]+(?<tail>[^-a\d]?)$"#,
        #"^(?<empty>)x*$"#,
        #"^a\.b\\c\(d\)$"#,
        #"^[\t ]*(?<word>[^\t ]+)[\t ]*$"#,
        #"^[\d\-]+ (?<level>[A-Z]{3,5})\t(?<message>.+)$"#,
    ]

    /// Lines made of the characters these patterns care about, and each pattern's own characters.
    static func line(_ generator: inout SeededGenerator) -> String {
        let alphabet = Array("-[]{}()0123456789 ABCZ_az:.\\\t|x")
        let length = Int.random(in: 0...12, using: &generator)
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    static func examples(for pattern: String) -> [String] {
        [
            String(repeating: "-", count: 80), String(repeating: "-", count: 79), String(repeating: "-", count: 81),
            "[12] REQUEST", "[1] TOOL_RESULT", "[x] REQUEST", "[3] request", "[33] RE QUEST", "[4] R",
            "Timestamp: 2026-11-26 00:00:01.892", "Timestamp: ", "Timestamp:x", "{", "{ ", "--", "----", "-----",
            "---x", "a-b-c", "-", "key_x: value]", "key: ]]", "2026-11-26 rest of it", "1999-1-01 x", "aa-a-", "a-a9",
            "", "xxx", "a.b\\c(d)", "a.b\\c(d", "12-3 WARN\tdisk full", "12 ERROR\t", "1 INFORMATION\tx",
            "Timestamp: caf\u{E9}", "[1] R\u{0}", "Timestamp: a\u{B}",
        ]
    }

    @Test func theBuiltInHeadPatternsAreMatchedOnBytes() throws {
        for name in RulePackLoader.builtinNames {
            let pack = try RulePackLoader.load(.builtin(name))
            let framing = pack.framing
            for pattern in framing.start + [framing.headEnd].compactMap({ $0 }) + framing.headFields {
                #expect(pattern.matchesBytes, "\(name): \(pattern.source)")
            }
        }
    }

    @Test func bytesAndTheRegexEngineAgree() throws {
        var generator = SeededGenerator(seed: 20261203)
        for source in Self.patterns {
            let pattern = try LinePattern(source)
            #expect(pattern.matchesBytes, "\(source) is not matched on bytes")
            var lines = Self.examples(for: source)
            for _ in 0..<3000 { lines.append(Self.line(&generator)) }
            for line in lines {
                let onBytes = Array(line.utf8).withUnsafeBytes { pattern.match($0) }
                #expect(onBytes == pattern.match(line), "\(source) on \(line.debugDescription)")
            }
        }
    }

    @Test func otherFormsAreLeftToTheRegexEngine() {
        for source in [
            #"-{80}"#, #"^a|b$"#, #"^(?<x>a)+$"#, #"^a+?$"#, #"^\s+$"#, #"^\w$"#, #"^(?:a)$"#, #"^(?<=a)b$"#,
            #"^[[:alpha:]]$"#, #"^é$"#, #"^a{,2}$"#, #"^(?<a>(?<b>x))$"#, #"^a\$"#,
        ] {
            #expect(BytePattern(source) == nil, "\(source)")
        }
    }
}
