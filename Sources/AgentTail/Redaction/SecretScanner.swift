/// One secret found in a text: the bytes to replace and what replaces them.
package struct SecretMatch: Sendable, Equatable {
    package var range: Range<Int>
    package var marker: String
}

/// Finds the built-in kinds of secrets in UTF-8 text, in one forward pass without regular expressions.
///
/// Every detector is keyed on a byte that is rare in ordinary text ('-', '_', 'J', ':', '=' ...) or on a fixed
/// prefix, and looks around it; the pass never backtracks over the text, so its cost is linear in the bytes.
/// Matches are returned in order and never overlap.
package struct SecretScanner: Sendable {
    package let kinds: Set<SecretKind>
    let mask: SecretKind.Mask

    package init(kinds: Set<SecretKind>) {
        self.kinds = kinds
        self.mask = SecretKind.Mask(kinds)
    }

    /// The secrets in `text`, in order.
    package func matches(in text: UnsafeBufferPointer<UInt8>) -> [SecretMatch] {
        guard !kinds.isEmpty, let base = text.baseAddress, text.count >= 8 else { return [] }
        return Pass(p: base, n: text.count, kinds: mask).run()
    }
}

/// The scan of one text.
private struct Pass {
    let p: UnsafePointer<UInt8>
    let n: Int
    let kinds: SecretKind.Mask

    func run() -> [SecretMatch] {
        var found: [SecretMatch] = []
        var floor = 0  // nothing before this may be matched again
        var i = 0
        while i < n {
            if let match = detect(at: i, floor: floor) {
                found.append(match)
                floor = match.range.upperBound
                i = max(i + 1, floor)
            } else {
                i += 1
            }
        }
        return found
    }

    /// A secret recognized by the byte at `i`; it may start before `i` but never before `floor`.
    @inline(__always)
    private func detect(at i: Int, floor: Int) -> SecretMatch? {
        let byte = p[i]
        let candidate: SecretMatch?
        switch byte {
        case UInt8(ascii: "-"):
            candidate = privateKeyBlock(at: i) ?? dashPrefixedKey(at: i)
        case UInt8(ascii: "_"):
            candidate = underscorePrefixedKey(at: i)
        case UInt8(ascii: "J"):
            candidate = jwt(at: i)
        case UInt8(ascii: "A"):
            candidate = uppercaseAKey(at: i)
        case UInt8(ascii: "B"), UInt8(ascii: "b"):
            candidate = bearer(at: i)
        case UInt8(ascii: ":"):
            candidate = urlPassword(at: i) ?? assignment(at: i)
        case UInt8(ascii: "="):
            candidate = assignment(at: i)
        default:
            return nil
        }
        guard let candidate, candidate.range.lowerBound >= floor else { return nil }
        return candidate
    }

    // MARK: - Character classes

    @inline(__always)
    private func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }

    /// Characters of API keys and base64url: letters, digits, '_' and '-'.
    @inline(__always)
    private func isTokenByte(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    /// True when `k` is outside the text or not a token byte: a key cannot start in the middle of a word.
    @inline(__always)
    private func boundary(_ k: Int) -> Bool {
        k < 0 || k >= n || !isTokenByte(p[k])
    }

    /// The end of the run of bytes from `start` satisfying `accept`.
    @inline(__always)
    private func run(from start: Int, _ accept: (UInt8) -> Bool) -> Int {
        var k = start
        while k < n && accept(p[k]) { k += 1 }
        return k
    }

    /// True when the bytes at `k` are `literal`, compared ASCII case-insensitively when `folding`.
    private func has(_ literal: StaticString, at k: Int, folding: Bool = false) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard k >= 0, k + count <= n else { return false }
        let bytes = literal.utf8Start
        for offset in 0..<count {
            let expected = bytes[offset]
            let actual = p[k + offset]
            if folding ? (actual | 0x20) != (expected | 0x20) : actual != expected { return false }
        }
        return true
    }

    private func match(_ kind: SecretKind, _ range: Range<Int>) -> SecretMatch? {
        kinds.contains(kind) ? SecretMatch(range: range, marker: kind.marker) : nil
    }

    // MARK: - API keys and tokens with a known prefix

    /// `sk-...` (20+ characters after the dash) and Slack's `xoxb-...`, `xoxp-...`.
    private func dashPrefixedKey(at i: Int) -> SecretMatch? {
        if i >= 2 && p[i - 2] == UInt8(ascii: "s") && p[i - 1] == UInt8(ascii: "k") && boundary(i - 3) {
            let end = run(from: i + 1, isTokenByte)
            if end - (i + 1) >= 20 { return match(.apiKey, (i - 2)..<end) }
        }
        if i >= 4 && has("xox", at: i - 4) && "abprs".utf8.contains(p[i - 1]) && boundary(i - 5) {
            let end = run(from: i + 1, isTokenByte)
            if end - (i + 1) >= 10 { return match(.apiKey, (i - 4)..<end) }
        }
        return nil
    }

    /// GitHub's `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` tokens and `github_pat_` tokens.
    private func underscorePrefixedKey(at i: Int) -> SecretMatch? {
        if i >= 3 && p[i - 3] == UInt8(ascii: "g") && p[i - 2] == UInt8(ascii: "h") && "pousr".utf8.contains(p[i - 1])
            && boundary(i - 4)
        {
            let end = run(from: i + 1, isAlnum)
            if end - (i + 1) >= 30 { return match(.apiKey, (i - 3)..<end) }
        }
        if i >= 10 && has("github_pat", at: i - 10) && boundary(i - 11) {
            let end = run(from: i + 1, isTokenByte)
            if end - (i + 1) >= 20 { return match(.apiKey, (i - 10)..<end) }
        }
        return nil
    }

    /// AWS access key ids (`AKIA` and kin, then 16 capitals or digits) and Google API keys (`AIza` + 35).
    private func uppercaseAKey(at i: Int) -> SecretMatch? {
        guard boundary(i - 1), i + 20 <= n else { return nil }
        for prefix: StaticString in ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA"]
        where has(prefix, at: i) {
            let end = run(from: i + 4) { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }
            if end - i == 20 && boundary(end) { return match(.awsAccessKey, i..<end) }
            return nil
        }
        if has("AIza", at: i) {
            let end = run(from: i + 4, isTokenByte)
            if end - i >= 39 { return match(.apiKey, i..<end) }
        }
        return nil
    }

    // MARK: - Structured tokens

    /// `eyJ...`.`...`.`...`: a JSON Web Token (the header is base64url JSON, so it starts with `eyJ`).
    private func jwt(at i: Int) -> SecretMatch? {
        guard i >= 2, p[i - 2] == UInt8(ascii: "e"), p[i - 1] == UInt8(ascii: "y"), boundary(i - 3) else { return nil }
        let start = i - 2
        let headerEnd = run(from: i + 1, isTokenByte)
        guard headerEnd - start >= 10, headerEnd < n, p[headerEnd] == UInt8(ascii: ".") else { return nil }
        let payloadEnd = run(from: headerEnd + 1, isTokenByte)
        guard payloadEnd - headerEnd > 4, payloadEnd < n, p[payloadEnd] == UInt8(ascii: ".") else { return nil }
        let signatureEnd = run(from: payloadEnd + 1, isTokenByte)
        return match(.jwt, start..<signatureEnd)
    }

    /// `Bearer <token>`, any case: the token is masked, the word stays.
    private func bearer(at i: Int) -> SecretMatch? {
        guard boundary(i - 1), has("bearer", at: i, folding: true) else { return nil }
        var k = i + 6
        guard k < n, p[k] == UInt8(ascii: " ") || p[k] == UInt8(ascii: "\t") else { return nil }
        while k < n && (p[k] == UInt8(ascii: " ") || p[k] == UInt8(ascii: "\t")) { k += 1 }
        let end = run(from: k) { isTokenByte($0) || "._~+/=".utf8.contains($0) }
        guard end - k >= 8, !has("[REDACTED", at: k) else { return nil }
        return match(.bearerToken, k..<end)
    }

    /// `scheme://user:password@host`: the password is masked. `i` is the ':' before "//".
    private func urlPassword(at i: Int) -> SecretMatch? {
        guard has("://", at: i), i >= 1, isAlnum(p[i - 1]) else { return nil }
        let userStart = i + 3
        var colon: Int?
        var k = userStart
        while k < n && k - userStart < 512 {
            let b = p[k]
            if b == UInt8(ascii: "@") {
                guard let colon, k > colon + 1 else { return nil }
                return match(.urlPassword, (colon + 1)..<k)
            }
            if b <= 0x20 || "/?#\"'<>`\\[]{}".utf8.contains(b) { return nil }
            if b == UInt8(ascii: ":") && colon == nil { colon = k }
            k += 1
        }
        return nil
    }

    /// `-----BEGIN ... PRIVATE KEY-----` up to and including the END line; an unterminated block is masked to the
    /// end of the text. `i` is the first dash.
    private func privateKeyBlock(at i: Int) -> SecretMatch? {
        guard has("-----BEGIN ", at: i) else { return nil }
        // The label: "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PRIVATE KEY"...
        var k = i + 11
        let labelLimit = min(n, k + 48)
        while k < labelLimit && !has("-----", at: k) { k += 1 }
        guard k < labelLimit, k - 11 >= i + 11, has("PRIVATE KEY", at: k - 11) else { return nil }
        var end = k + 5
        while end < n {
            if p[end] == UInt8(ascii: "-") && has("-----END ", at: end) {
                var close = end + 9
                let closeLimit = min(n, close + 48)
                while close < closeLimit && !has("-----", at: close) { close += 1 }
                return match(.privateKey, i..<(close < closeLimit ? close + 5 : closeLimit))
            }
            end += 1
        }
        return match(.privateKey, i..<n)
    }

    // MARK: - Assignments to secret-looking names

    /// `NAME=value`, `NAME: value`, `"name": "value"` and `--name=value` where the name says it holds a secret;
    /// the value is masked, the name stays. `i` is the '=' or ':'.
    private func assignment(at i: Int) -> SecretMatch? {
        guard kinds.contains(.secretAssignment) else { return nil }
        // Comparisons and walruses are not assignments.
        if i + 1 < n && p[i + 1] == UInt8(ascii: "=") { return nil }
        if i >= 1 && "=!<>:".utf8.contains(p[i - 1]) { return nil }
        var k = i - 1
        if k >= 0 && (p[k] == UInt8(ascii: "\"") || p[k] == UInt8(ascii: "'")) { k -= 1 }
        while k >= 0 && p[k] == UInt8(ascii: " ") { k -= 1 }
        let nameEnd = k + 1
        while k >= 0 && nameEnd - k <= 64 && (isTokenByte(p[k]) || p[k] == UInt8(ascii: ".")) { k -= 1 }
        let nameStart = k + 1
        guard nameStart < nameEnd, isSecretName(nameStart..<nameEnd) else { return nil }
        var v = i + 1
        while v < n && (p[v] == UInt8(ascii: " ") || p[v] == UInt8(ascii: "\t")) { v += 1 }
        guard v < n else { return nil }
        let quote: UInt8? = (p[v] == UInt8(ascii: "\"") || p[v] == UInt8(ascii: "'")) ? p[v] : nil
        if quote != nil { v += 1 }
        let valueEnd = run(from: v) { b in
            if let quote { return b != quote && b != 0x0A && b != 0x0D }
            return b > 0x20 && !"\"',;&|)}]<>`".utf8.contains(b)
        }
        guard valueEnd > v, !has("[REDACTED", at: v) else { return nil }
        // "Authorization: Basic xyz" keeps the scheme and masks the credential after it.
        if quote == nil, valueEnd < n, p[valueEnd] == UInt8(ascii: " "), isSchemeWord(v..<valueEnd) {
            var t = valueEnd
            while t < n && p[t] == UInt8(ascii: " ") { t += 1 }
            let tokenEnd = run(from: t) { $0 > 0x20 && !"\"',;&|)}]<>`".utf8.contains($0) }
            if tokenEnd > t { return match(.secretAssignment, t..<tokenEnd) }
        }
        return match(.secretAssignment, v..<valueEnd)
    }

    private func isSchemeWord(_ range: Range<Int>) -> Bool {
        let word = String(decoding: UnsafeBufferPointer(start: p + range.lowerBound, count: range.count), as: UTF8.self)
        return ["basic", "bearer", "token", "digest"].contains(word.lowercased())
    }

    private func isSecretName(_ range: Range<Int>) -> Bool {
        SecretNames.isSecret(UnsafeBufferPointer(start: p + range.lowerBound, count: range.count))
    }
}

/// Which names announce a secret value.
package enum SecretNames {
    /// Names that are secrets whole, or after a '_', '-' or '.' (`GITHUB_TOKEN`, `client-secret`, `db.password`).
    private static let words = ["token", "secret", "password", "passwd", "apikey", "authorization", "credentials"]
    /// Names that are secrets only after a separator: `OPENAI_API_KEY`, `access-key`, but not `key` or `monkey`.
    private static let suffixes = ["key", "pat"]
    /// Names that are secrets wherever they end a name (`PGPASSWORD`, `dbpassword`).
    private static let anyPrefix = ["password", "passwd"]
    /// Keys that identify things rather than unlock them (agenttail's own `file_key` among them).
    private static let identifiers: Set<String> = [
        "file_key", "primary_key", "foreign_key", "sort_key", "partition_key", "hash_key", "range_key", "cache_key",
        "idempotency_key", "dedup_key", "row_key", "lookup_key", "group_key", "unique_key", "public_key", "map_key",
        "next_token", "page_token", "continuation_token",
    ]

    /// Every secret name ends with one of these (the identifiers end with "key" or "token").
    private static let endings = (words + suffixes).map { Array($0.utf8) }

    /// True when a value named `name` (ASCII, any case) should be masked.
    package static func isSecret(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count >= 3, name.count <= 64, endsWithSecretWord(name) else { return false }
        return isSecret(String(decoding: name, as: UTF8.self))
    }

    /// A quick test on the bytes that rules out almost every member name JSON holds ("role", "content", ...).
    private static func endsWithSecretWord(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        endings.contains { ending in
            ending.count <= name.count
                && zip(name[(name.count - ending.count)...], ending).allSatisfy { $0 | 0x20 == $1 }
        }
    }

    /// True when a value named `name` (any case) should be masked.
    package static func isSecret(_ name: String) -> Bool {
        let name = name.lowercased()
        if words.contains(name) { return true }
        for identifier in identifiers where name.hasSuffix(identifier) {
            let before = name.dropLast(identifier.count).last
            if before == nil || !(before!.isLetter || before!.isNumber) { return false }
        }
        for word in anyPrefix where name.hasSuffix(word) { return true }
        for word in words + suffixes where name.hasSuffix(word) {
            let before = name.dropLast(word.count).last
            if before == "_" || before == "-" || before == "." { return true }
        }
        return false
    }
}
