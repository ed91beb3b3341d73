import Foundation
import Testing

@testable import AgentTailCore

/// Event ids are version 5 UUIDs: the digest behind them must never change, or a replay would duplicate every row.
struct NameBasedIDTests {
    /// RFC 9562, appendix A.4: "www.example.com" in the DNS namespace.
    @Test func matchesTheRFCExample() throws {
        let dns = try #require(UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8"))
        #expect(UUID(v5: "www.example.com", namespace: dns).lowercased == "2ed6657d-e927-568b-95e1-2665a8aea6a2")
    }

    /// The id of a session in agenttail's namespace, as Python's uuid.uuid5 computes it: stored rows keep matching
    /// what a replay produces.
    @Test func agenttailsNamespaceGivesTheStandardIds() {
        #expect(UUID(v5: "vm|1:2:abc|session").lowercased == "05fd8656-d4d3-5eaa-8d0a-16d46bc58516")
    }

    /// FIPS 180-4's example: the file fingerprints stay the digests stored checkpoints hold.
    @Test func sha1OfAbc() {
        #expect(SHA1.digest(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined()
            == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }
}
