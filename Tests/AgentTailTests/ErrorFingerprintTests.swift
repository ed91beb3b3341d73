import Testing

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

}
