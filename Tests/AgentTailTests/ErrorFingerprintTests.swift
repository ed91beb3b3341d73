import Testing

import AgentTailTestSupport
@testable import AgentTail

struct ErrorFingerprintTests {
    @Test func numbersPathsAndIdsBecomePlaceholders() {
        #expect(
            ErrorFingerprint.of("Error: '/tmp/run 7/x.txt' not found after 3 retries (id 0b9f6c2e-41d2-4a8e-9c55-1f0e2d3c4b5a)")
                == "Error: '<path> <path>' not found after <n> retries (id <id>)")
        #expect(ErrorFingerprint.of("  missing.txt:\n\tline 12,345  ") == "<path>: line <n>")
    }

    @Test func aLongMessageGivesTheSameFingerprintAsItsBeginning() {
        let words = (0..<20_000).map { index in index % 7 == 0 ? "step\(index)" : "failed" }
        let long = words.joined(separator: " \n ")
        let beginning = words.prefix(60).joined(separator: " ")
        let fingerprint = ErrorFingerprint.of(long)
        #expect(fingerprint.count == ErrorFingerprint.limit)
        #expect(fingerprint == String(ErrorFingerprint.of(beginning).prefix(ErrorFingerprint.limit)))
        #expect(fingerprint.hasPrefix("step<n> failed failed failed failed failed failed step<n> failed"))
    }

    /// The byte-wise fingerprint of ASCII text equals the character-wise one, on messages built from the pieces
    /// each rule looks at: paths, ids, file names, numbers, quotes and brackets, separators, and words far past the
    /// limit. Text with a carriage return or beyond ASCII goes the character-wise way.
    @Test func asciiFingerprintEqualsTheCharacterWiseOne() throws {
        let pieces = [
            "/tmp/a.txt", "~/x", "C:\\dir\\f", "a\\b", "0b9f6c2e-41d2-4a8e", "deadbeefcafe", "toolu_01YmN1yh7yoyR5S5",
            "main.swift", ".hidden", "x.tar.gz", "file.toolong", "12,345.67", "v1.2.3", "1e9", "abc", "Error:", "(id",
            "'quoted'", "\"x\"", "[1]", "{a}", "<tag>", "((", "!?", "...", "ab12cd34ef56gh", "a-b_c-d-e-f-g", "ABCDEF12",
            String(repeating: "w", count: 400), String(repeating: "9", count: 50),
        ]
        let separators = [" ", "  ", "\n", "\t", " \n\t "]
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<3000 {
            var message = ""
            for _ in 0..<Int.random(in: 0...80, using: &generator) {
                message += separators.randomElement(using: &generator)!
                var piece = pieces.randomElement(using: &generator)!
                if Bool.random(using: &generator) { piece = ["'", "(", "\"", "<"].randomElement(using: &generator)! + piece }
                if Bool.random(using: &generator) { piece += [",", ":", ")", "'.", "!"].randomElement(using: &generator)! }
                message += piece
            }
            let fast = try #require(ASCIIFingerprint.of(message), "\(message)")
            #expect(fast == ErrorFingerprint.characterFingerprint(message), "\(message)")
        }
        #expect(ASCIIFingerprint.of("line one\r\nline two") == nil)
        #expect(ASCIIFingerprint.of("café 12") == nil)
        #expect(ErrorFingerprint.of("café 12\r\nx") == ErrorFingerprint.characterFingerprint("café 12\r\nx"))
    }

}
