import Foundation

/// Tells a value that looks like a credential from words, numbers, paths, hashes and ids.
///
/// Used where the name before a value is only a hint (`key`, `auth`, `client-key-data`, or a secret word followed by
/// a space): the value is masked when it has the randomness of a generated token. The test is the one secret scanners
/// such as detect-secrets use, Shannon entropy, made to look at each run of letters and digits, so that a version
/// (`v1.2.3-beta`), a region (`us-east-1`), a camel-case name, a hex digest or a UUID stays readable.
package enum CredentialShape {
    /// True when the bytes of `value` look like a generated credential.
    package static func looksLikeCredential(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = value.count
        guard n >= 8 else { return false }
        if "$%<{[(".utf8.contains(value[0]) { return false }
        if value[0] == UInt8(ascii: "/") || value[0] == UInt8(ascii: "~") || value[0] == UInt8(ascii: ".") {
            return false
        }
        var hexOrDash = true
        var hasLetter = false
        for i in 0..<n {
            let b = value[i]
            if b <= 0x20 || b == 0x7F { return false }
            if b == UInt8(ascii: ":") && i + 2 < n && value[i + 1] == UInt8(ascii: "/")
                && value[i + 2] == UInt8(ascii: "/")
            {
                return false
            }
            if !isHex(b) && b != UInt8(ascii: "-") { hexOrDash = false }
            if isLetter(b) { hasLetter = true }
        }
        // Digests, UUIDs, commit ids and numbers.
        if hexOrDash || !hasLetter { return false }
        // Long base64 (keys, certificates' private halves, basic credentials) is judged whole.
        if n >= 20 && entropy(value) >= 4.0 { return true }
        var start = 0
        for i in 0...n where i == n || !isAlnum(value[i]) {
            if i - start >= 8 && chunkLooksGenerated(UnsafeBufferPointer(rebasing: value[start..<i])) { return true }
            start = i + 1
        }
        return false
    }

    /// A run of letters and digits that mixes letters with digits, or cases in a way no word or camel-case name does,
    /// and whose characters are spread enough.
    private static func chunkLooksGenerated(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
        var digits = 0
        var allHex = true
        for b in chunk {
            if b >= 0x30 && b <= 0x39 { digits += 1 }
            if !isHex(b) { allHex = false }
        }
        if allHex || digits == chunk.count { return false }
        guard digits > 0 || !isWordOrCamelCase(chunk) else { return false }
        let threshold = min(3.0, log2(Double(chunk.count)) - 0.5)
        return entropy(chunk) >= threshold
    }

    /// `word`, `WORD`, `Word`, `camelCase`, `PascalCase`.
    private static func isWordOrCamelCase(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
        let isUpper = { (b: UInt8) in b >= 0x41 && b <= 0x5A }
        if chunk.allSatisfy(isUpper) { return true }
        // Anything else has no two capitals in a row.
        for i in 1..<chunk.count where isUpper(chunk[i]) && isUpper(chunk[i - 1]) { return false }
        return true
    }

    /// Shannon entropy of the bytes, in bits per byte.
    package static func entropy(_ value: UnsafeBufferPointer<UInt8>) -> Double {
        guard !value.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for b in value { counts[Int(b)] += 1 }
        let total = Double(value.count)
        var bits = 0.0
        for count in counts where count > 0 {
            let p = Double(count) / total
            bits -= p * log2(p)
        }
        return bits
    }

    @inline(__always)
    private static func isHex(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66)
    }

    @inline(__always)
    private static func isLetter(_ b: UInt8) -> Bool { b | 0x20 >= 0x61 && b | 0x20 <= 0x7A }

    @inline(__always)
    private static func isAlnum(_ b: UInt8) -> Bool { isLetter(b) || (b >= 0x30 && b <= 0x39) }
}
