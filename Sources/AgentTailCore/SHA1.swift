internal import Crypto

/// SHA-1, for the two names that must keep it: version 5 UUIDs (RFC 9562 defines them with it) and the file
/// fingerprints that stored checkpoints and event ids already use. It protects nothing.
package enum SHA1 {
    /// The 20-byte digest of `bytes`.
    package static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var sha = Insecure.SHA1()
        sha.update(data: Array(bytes))
        return Array(sha.finalize())
    }
}
