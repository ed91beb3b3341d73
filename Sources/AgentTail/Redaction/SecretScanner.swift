/// One secret found in a text: the bytes to replace and what replaces them.
package struct SecretMatch: Sendable, Equatable {
    package var range: Range<Int>
    package var marker: String

    /// `matches` in order, those that overlap joined into one that covers them all and keeps the first one's marker.
    static func joined(_ matches: [SecretMatch]) -> [SecretMatch] {
        let sorted = matches.sorted {
            $0.range.lowerBound != $1.range.lowerBound
                ? $0.range.lowerBound < $1.range.lowerBound : $0.range.upperBound > $1.range.upperBound
        }
        var joined: [SecretMatch] = []
        for match in sorted {
            if let last = joined.last, match.range.lowerBound < last.range.upperBound {
                joined[joined.count - 1].range =
                    last.range.lowerBound..<max(last.range.upperBound, match.range.upperBound)
            } else {
                joined.append(match)
            }
        }
        return joined
    }
}

/// Finds the built-in kinds of secrets in UTF-8 text, in one forward pass without regular expressions.
///
/// Every detector is keyed on a byte that is rare in ordinary text ('-', '_', 'J', ':', '=' ...) or on a fixed
/// prefix, and looks around it; a space is looked at only when the three letters before it can end a secret's name
/// (`ScanTables`). Lookbacks are bounded (a name, a command line's segment), so the cost stays linear in the bytes.
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
        return ScanPass(p: base, n: text.count, kinds: mask).run()
    }
}

/// The scan of one text.
struct ScanPass {
    let p: UnsafePointer<UInt8>
    let n: Int
    let kinds: SecretKind.Mask

    func run() -> [SecretMatch] {
        var found: [SecretMatch] = []
        var floor = 0  // nothing before this may be matched again
        let tables = ScanTables.shared
        let arguments = kinds.contains(.secretArgument)
        var i = 0
        while i < n {
            let byte = p[i]
            // Most bytes start nothing; a space starts something only after the end of a secret's name.
            guard tables.starts[Int(byte)] else {
                i &+= 1
                continue
            }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                guard arguments, i >= 3, tables.mayEndSecretName(p[i - 3], p[i - 2], p[i - 1]) else {
                    i &+= 1
                    continue
                }
            }
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
        case UInt8(ascii: " "), UInt8(ascii: "\t"):
            candidate = argument(at: i)
        case UInt8(ascii: "-"):
            candidate = privateKeyBlock(at: i) ?? dashPrefixedKey(at: i) ?? toolOption(at: i)
        case UInt8(ascii: "_"):
            candidate = underscorePrefixedKey(at: i)
        case UInt8(ascii: "J"):
            candidate = jwt(at: i)
        case UInt8(ascii: "A"):
            candidate = uppercaseAKey(at: i)
        case UInt8(ascii: "B"), UInt8(ascii: "b"):
            candidate = bearer(at: i)
        case UInt8(ascii: ":"):
            candidate = urlPassword(at: i) ?? puttyPrivateLines(at: i) ?? passwordFileEntry(at: i) ?? assignment(at: i)
        case UInt8(ascii: "="):
            candidate = assignment(at: i)
        case UInt8(ascii: "."):
            candidate = googleOAuthToken(at: i)
        case UInt8(ascii: "~"):
            candidate = azureClientSecret(at: i)
        default:
            return nil
        }
        guard let candidate, candidate.range.lowerBound >= floor else { return nil }
        return candidate
    }

    // MARK: - Character classes

    @inline(__always)
    func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }

    /// Characters of API keys and base64url: letters, digits, '_' and '-'.
    @inline(__always)
    func isTokenByte(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    /// True when `k` is outside the text or not a token byte: a key cannot start in the middle of a word.
    @inline(__always)
    func boundary(_ k: Int) -> Bool {
        k < 0 || k >= n || !isTokenByte(p[k])
    }

    /// The end of the run of bytes from `start` satisfying `accept`.
    @inline(__always)
    func run(from start: Int, _ accept: (UInt8) -> Bool) -> Int {
        var k = start
        while k < n && accept(p[k]) { k += 1 }
        return k
    }

    /// True when the bytes at `k` are `literal`, compared ASCII case-insensitively when `folding`.
    func has(_ literal: StaticString, at k: Int, folding: Bool = false) -> Bool {
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

    func match(_ kind: SecretKind, _ range: Range<Int>) -> SecretMatch? {
        kinds.contains(kind) ? SecretMatch(range: range, marker: kind.marker) : nil
    }

    // MARK: - API keys and tokens with a known prefix

    /// `sk-...` (20+ characters after the dash), Slack's `xoxb-...`, `xoxp-...`, PyPI's `pypi-...` and Google's OAuth
    /// client secrets `GOCSPX-...`.
    func dashPrefixedKey(at i: Int) -> SecretMatch? {
        if i >= 2 && p[i - 2] == UInt8(ascii: "s") && p[i - 1] == UInt8(ascii: "k") && boundary(i - 3) {
            let end = run(from: i + 1, isTokenByte)
            if end - (i + 1) >= 20 { return match(.apiKey, (i - 2)..<end) }
        }
        if i >= 4 && has("xox", at: i - 4) && "abprs".utf8.contains(p[i - 1]) && boundary(i - 5) {
            let end = run(from: i + 1, isTokenByte)
            if end - (i + 1) >= 10 { return match(.apiKey, (i - 4)..<end) }
        }
        if i >= 4 && has("pypi", at: i - 4) && boundary(i - 5) {
            let end = run(from: i + 1, isTokenByte)
            if end - (i + 1) >= 50 { return match(.apiKey, (i - 4)..<end) }
        }
        if i >= 6 && has("GOCSPX", at: i - 6) && boundary(i - 7) {
            let end = run(from: i + 1, isTokenByte)
            if end - (i + 1) >= 24 { return match(.apiKey, (i - 6)..<end) }
        }
        return nil
    }

    /// Keys whose prefix ends with '_': GitHub's `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and `github_pat_`, Hugging
    /// Face's `hf_`, npm's `npm_`, Stripe's `sk_live_`, `sk_test_`, `rk_live_`, `rk_test_`, Supabase's `sb_secret_` and
    /// Docker's `dckr_pat_`. `i` is the last '_' of the prefix.
    func underscorePrefixedKey(at i: Int) -> SecretMatch? {
        func key(prefixLength: Int, minimum: Int, _ accept: (UInt8) -> Bool) -> SecretMatch? {
            guard boundary(i - prefixLength - 1) else { return nil }
            let end = run(from: i + 1, accept)
            return end - (i + 1) >= minimum && boundary(end) ? match(.apiKey, (i - prefixLength)..<end) : nil
        }
        if i >= 3 && p[i - 3] == UInt8(ascii: "g") && p[i - 2] == UInt8(ascii: "h") && "pousr".utf8.contains(p[i - 1]) {
            if let found = key(prefixLength: 3, minimum: 30, isAlnum) { return found }
        }
        if i >= 10 && has("github_pat", at: i - 10), let found = key(prefixLength: 10, minimum: 20, isTokenByte) {
            return found
        }
        if i >= 2 && has("hf", at: i - 2), let found = key(prefixLength: 2, minimum: 30, isAlnum) { return found }
        if i >= 3 && has("npm", at: i - 3), let found = key(prefixLength: 3, minimum: 36, isAlnum) { return found }
        if i >= 7 && (has("k_live", at: i - 6) || has("k_test", at: i - 6))
            && (p[i - 7] == UInt8(ascii: "s") || p[i - 7] == UInt8(ascii: "r"))
        {
            if let found = key(prefixLength: 7, minimum: 20, isAlnum) { return found }
        }
        if i >= 9 && has("sb_secret", at: i - 9), let found = key(prefixLength: 9, minimum: 20, isTokenByte) {
            return found
        }
        if i >= 8 && has("dckr_pat", at: i - 8), let found = key(prefixLength: 8, minimum: 20, isTokenByte) {
            return found
        }
        return nil
    }

    /// Google OAuth access tokens, `ya29.` and 20 or more characters. `i` is the '.'.
    func googleOAuthToken(at i: Int) -> SecretMatch? {
        guard i >= 4, p[i - 1] == UInt8(ascii: "9"), has("ya29", at: i - 4), boundary(i - 5) else { return nil }
        let end = run(from: i + 1) { isTokenByte($0) || $0 == UInt8(ascii: ".") }
        return end - (i + 1) >= 20 ? match(.apiKey, (i - 4)..<end) : nil
    }

    /// Azure AD client secrets: three characters, a digit, `Q~`, then 31 to 34 more. `i` is the '~'.
    func azureClientSecret(at i: Int) -> SecretMatch? {
        guard i >= 5, p[i - 1] == UInt8(ascii: "Q"), p[i - 2] >= 0x30 && p[i - 2] <= 0x39 else { return nil }
        let accept = { (b: UInt8) in
            isAlnum(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "~") || b == UInt8(ascii: ".")
        }
        let start = i - 5
        guard accept(p[start]) && accept(p[start + 1]) && accept(p[start + 2]), boundary(start - 1) else { return nil }
        let end = run(from: i + 1) { accept($0) || $0 == UInt8(ascii: "-") }
        return (31...34).contains(end - (i + 1)) ? match(.apiKey, start..<end) : nil
    }

    /// AWS access key ids (`AKIA` and kin, then 16 capitals or digits) and Google API keys (`AIza` + 35).
    func uppercaseAKey(at i: Int) -> SecretMatch? {
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
    func jwt(at i: Int) -> SecretMatch? {
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

    /// The password of a PostgreSQL password file line, `host:port:database:user:password`, where the port is a number
    /// or `*`. `i` is the fourth ':'.
    private func passwordFileEntry(at i: Int) -> SecretMatch? {
        guard kinds.contains(.urlPassword) else { return nil }
        let field = { (b: UInt8) in b > 0x20 && b != UInt8(ascii: ":") && !"\"'`".utf8.contains(b) }
        var fields: [Range<Int>] = []
        var end = i
        for _ in 0..<4 {
            var k = end - 1
            while k >= 0 && end - k <= 256 && field(p[k]) { k -= 1 }
            guard k + 1 < end else { return nil }
            fields.insert((k + 1)..<end, at: 0)
            if fields.count < 4 {
                guard k >= 0 && p[k] == UInt8(ascii: ":") else { return nil }
                end = k
            } else if k >= 0 && p[k] == UInt8(ascii: ":") {
                return nil
            }
        }
        let port = fields[1]
        let isPort =
            port.allSatisfy { p[$0] >= 0x30 && p[$0] <= 0x39 }
            || (port.count == 1 && p[port.lowerBound] == UInt8(ascii: "*"))
        let named = { (range: Range<Int>) in
            range.contains { p[$0] | 0x20 >= 0x61 && p[$0] | 0x20 <= 0x7A } || range.count == 1
        }
        guard isPort, port.count <= 5, named(fields[0]), named(fields[2]), named(fields[3]) else { return nil }
        let valueEnd = run(from: i + 1, field)
        guard valueEnd > i + 1, valueEnd == n || p[valueEnd] != UInt8(ascii: ":") else { return nil }
        return match(.urlPassword, (i + 1)..<valueEnd)
    }

    /// `-----BEGIN ... PRIVATE KEY-----` (or `PRIVATE KEY BLOCK`, PGP's) up to and including the END line; an
    /// unterminated block is masked to the end of the text. `i` is the first dash.
    private func privateKeyBlock(at i: Int) -> SecretMatch? {
        guard has("-----BEGIN ", at: i) else { return nil }
        // The label: "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"...
        var k = i + 11
        let labelLimit = min(n, k + 48)
        while k < labelLimit && !has("-----", at: k) { k += 1 }
        guard k < labelLimit, k - 11 >= i + 11, has("PRIVATE KEY", at: k - 11) || has("PRIVATE KEY BLOCK", at: k - 17)
        else { return nil }
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

    /// The private half of a PuTTY key file: from `Private-Lines:` to the end of the `Private-MAC:` line (or of the
    /// text). `i` is the ':'.
    private func puttyPrivateLines(at i: Int) -> SecretMatch? {
        guard i >= 13, p[i - 1] == UInt8(ascii: "s"), has("Private-Lines", at: i - 13) else { return nil }
        var start = i + 1
        while start < n && p[start] != 0x0A { start += 1 }
        guard start < n else { return nil }
        start += 1
        var k = start
        while k < n {
            if p[k] == UInt8(ascii: "P") && has("Private-MAC:", at: k) {
                var end = k
                while end < n && p[end] != 0x0A && p[end] != 0x0D { end += 1 }
                return match(.privateKey, start..<end)
            }
            k += 1
        }
        return match(.privateKey, start..<n)
    }
}

/// Lookup tables of the scan, made once and never freed, read through pointers so the loop over every byte pays no
/// lazy-initialization check.
struct ScanTables: @unchecked Sendable {
    // Immutable after `shared` is made: the memory is written once, before any scan reads it.
    static let shared = ScanTables()

    /// The bytes a detector keys on: whitespace, `-`, `_`, `J`, `A`, `B`, `b`, `:`, `=`, `.`, `~`.
    let starts: UnsafePointer<Bool>
    /// One bit per last three letters of a secret word (`ScanPass.letterCode`s, last first).
    private let endings: UnsafePointer<UInt64>

    private init() {
        let starts = UnsafeMutablePointer<Bool>.allocate(capacity: 256)
        starts.initialize(repeating: false, count: 256)
        for byte in " \t-_JABb:=.~".utf8 { starts[Int(byte)] = true }
        self.starts = UnsafePointer(starts)
        let count = (1 << 15) / 64
        let endings = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        endings.initialize(repeating: 0, count: count)
        for words in ScanPass.wordsByLastByte {
            for word in words ?? [] where word.count >= 3 {
                let code = Self.code(word[word.count - 3], word[word.count - 2], word[word.count - 1])
                endings[code >> 6] |= 1 << UInt64(code & 63)
            }
        }
        self.endings = UnsafePointer(endings)
    }

    @inline(__always)
    private static func code(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        ScanPass.letterCode(c) | ScanPass.letterCode(b) << 5 | ScanPass.letterCode(a) << 10
    }

    /// True when `a b c` can be the last three letters of a secret's name.
    @inline(__always)
    func mayEndSecretName(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
        let code = Self.code(a, b, c)
        return endings[code >> 6] & (1 << UInt64(code & 63)) != 0
    }
}
