internal import Crypto

/// SHA-256, where a digest must be strong: the hash a Content-Security-Policy allows an inline script by.
package enum SHA256Digest {
    /// The 32-byte digest of `bytes`.
    package static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: Array(bytes)))
    }
}
