internal import Crypto

/// SHA-256, where a digest must be strong: the hash a Content-Security-Policy allows an inline script by.
package enum SHA256Digest {
    /// The 32-byte digest of `bytes`.
    package static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: Array(bytes)))
    }
}

/// The SHA-256 digest of some bytes, kept in four words: what a memory of large texts holds instead of the texts.
/// Two different texts with the same digest are not known to exist, so equal digests stand for equal bytes.
package struct ContentDigest: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest of `bytes`, hashed where they lie.
    package init(_ bytes: UnsafeRawBufferPointer) {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        words = hasher.finalize().withUnsafeBytes { digest in
            (digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
             digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
             digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }

    package static func == (left: ContentDigest, right: ContentDigest) -> Bool {
        left.words == right.words
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// What one digest costs in memory.
    package static let size = 32
}
