/// The detectors that find a secret by the name before it: assignments in every syntax, arguments on command lines,
/// and the options by which known tools take a password.
extension ScanPass {
    // MARK: - Assignments: `NAME=value`, `name: value`, `"name": "value"`, `name := value`, `?token=value&`

    /// The value given to a secret-looking name with `=`, `:`, `:=` or `=>`; the value is masked, the name stays.
    /// `i` is the '=' or ':'.
    func assignment(at i: Int) -> SecretMatch? {
        guard kinds.contains(.secretAssignment) else { return nil }
        var valueStart = i + 1
        if p[i] == UInt8(ascii: ":") {
            if i + 1 < n && p[i + 1] == UInt8(ascii: ":") { return nil }
            if i >= 1 && p[i - 1] == UInt8(ascii: ":") { return nil }
            if i + 1 < n && p[i + 1] == UInt8(ascii: "=") { valueStart = i + 2 }
        } else {
            // Comparisons are not assignments, and `:=` was seen at its ':'.
            if i + 1 < n && p[i + 1] == UInt8(ascii: "=") { return nil }
            if i >= 1 && "=!<>:".utf8.contains(p[i - 1]) { return nil }
            if i + 1 < n && p[i + 1] == UInt8(ascii: ">") { valueStart = i + 2 }
        }
        var k = i - 1
        while k >= 0 && (p[k] == UInt8(ascii: " ") || p[k] == UInt8(ascii: "\t")) { k -= 1 }
        if k >= 0 && (p[k] == UInt8(ascii: "\"") || p[k] == UInt8(ascii: "'")) { k -= 1 }
        if k >= 0 && p[k] == UInt8(ascii: "]") { k -= 1 }
        let nameEnd = k + 1
        while k >= 0 && nameEnd - k <= 64 && (isTokenByte(p[k]) || p[k] == UInt8(ascii: ".")) { k -= 1 }
        let nameStart = k + 1
        // `${NAME:-default}` is a shell expansion, not an assignment.
        guard nameStart < nameEnd, !(k >= 1 && p[k] == UInt8(ascii: "{") && p[k - 1] == UInt8(ascii: "$")) else {
            return nil
        }
        let query = k >= 0 && (p[k] == UInt8(ascii: "?") || p[k] == UInt8(ascii: "&"))
        let strength = SecretNames.strength(
            UnsafeBufferPointer(start: p + nameStart, count: nameEnd - nameStart), query: query)
        guard strength != .none, let value = value(from: valueStart) else { return nil }
        // "Authorization: Basic xyz" keeps the scheme and masks the credential after it.
        if !value.quoted, value.range.upperBound < n, p[value.range.upperBound] == UInt8(ascii: " "),
            isSchemeWord(value.range)
        {
            var t = value.range.upperBound
            while t < n && p[t] == UInt8(ascii: " ") { t += 1 }
            let tokenEnd = run(from: t) { $0 > 0x20 && !"\"',;&|)}]<>`".utf8.contains($0) }
            if tokenEnd > t && !has("[REDACTED", at: t) && !isReference(t..<tokenEnd) {
                return match(.secretAssignment, t..<tokenEnd)
            }
            return nil
        }
        if strength == .weak && !looksLikeCredential(value.range) { return nil }
        if p[i] == UInt8(ascii: ":") && !value.quoted && isProse(value.range) { return nil }
        return match(.secretAssignment, value.range)
    }

    // MARK: - Arguments: `--password VALUE`, `set aws_secret_access_key VALUE`, `token VALUE`

    /// The word after a secret's name and a space. After an option (`--token VALUE`, `-storepass VALUE`) or a name
    /// being set (`aws configure set aws_secret_access_key VALUE`, `npm config set //host/:_authToken VALUE`) any
    /// value is masked; after a name in other text, only a value that looks like a credential. `i` is the space.
    func argument(at i: Int) -> SecretMatch? {
        guard kinds.contains(.secretArgument), i >= 3, endsWithSecretWord(before: i) else { return nil }
        var k = i - 1
        while k >= 0 && i - k <= 64 && (isTokenByte(p[k]) || p[k] == UInt8(ascii: ".")) { k -= 1 }
        let nameStart = k + 1
        guard k < 0 || !isAlnum(p[k]) else { return nil }
        let name = UnsafeBufferPointer(start: p + nameStart, count: i - nameStart)
        let strength = SecretNames.strength(name)
        guard strength != .none else { return nil }
        var v = i
        while v < n && (p[v] == UInt8(ascii: " ") || p[v] == UInt8(ascii: "\t")) { v += 1 }
        guard v < n, !"-=:".utf8.contains(p[v]), let value = value(from: v) else { return nil }
        // A key of a known format is left to its own detector, whose marker says more.
        if holdsKnownKey(value.range) { return nil }
        if strength == .strong && (p[nameStart] == UInt8(ascii: "-") || isBeingSet(before: nameStart)) {
            return match(.secretArgument, value.range)
        }
        return looksLikeCredential(value.range) ? match(.secretArgument, value.range) : nil
    }

    /// True when the bytes before `end` end with one of the words a secret's name ends with (the scan has looked the
    /// last three letters up in `ScanTables` first).
    private func endsWithSecretWord(before end: Int) -> Bool {
        let last = p[end - 1] | 0x20
        guard let words = ScanPass.wordsByLastByte[Int(last)] else { return false }
        for word in words where word.count <= end {
            var matched = true
            for (offset, expected) in word.reversed().enumerated() where p[end - 1 - offset] | 0x20 != expected {
                matched = false
                break
            }
            if matched { return true }
        }
        return false
    }

    /// 1 to 26 for a letter of either case, 0 for anything else.
    @inline(__always)
    static func letterCode(_ b: UInt8) -> Int {
        let folded = b | 0x20
        return folded >= 0x61 && folded <= 0x7A ? Int(folded - 0x60) : 0
    }

    static let wordsByLastByte: [[[UInt8]]?] = {
        let words = [
            "token", "secret", "password", "passwd", "passphrase", "key", "pat", "pass", "pwd", "credential",
            "credentials", "authorization", "passin", "passout",
        ]
        var table = [[[UInt8]]?](repeating: nil, count: 256)
        for word in words {
            let bytes = Array(word.utf8)
            table[Int(bytes.last!)] = (table[Int(bytes.last!)] ?? []) + [bytes]
        }
        return table
    }()

    /// True when a key of a known format starts inside `range`.
    private func holdsKnownKey(_ range: Range<Int>) -> Bool {
        for k in range {
            let found: SecretMatch?
            switch p[k] {
            case UInt8(ascii: "-"): found = dashPrefixedKey(at: k)
            case UInt8(ascii: "_"): found = underscorePrefixedKey(at: k)
            case UInt8(ascii: "J"): found = jwt(at: k)
            case UInt8(ascii: "A"): found = uppercaseAKey(at: k)
            case UInt8(ascii: "."): found = googleOAuthToken(at: k)
            case UInt8(ascii: "~"): found = azureClientSecret(at: k)
            default: found = nil
            }
            if let found, found.range.lowerBound >= range.lowerBound { return true }
        }
        return false
    }

    /// True when one of the three words before `start` is `set` or `config` (`aws configure set NAME`,
    /// `git config --global NAME`, `npm config set NAME`).
    private func isBeingSet(before start: Int) -> Bool {
        var k = start - 1
        for _ in 0..<3 {
            while k >= 0 && (p[k] == UInt8(ascii: " ") || p[k] == UInt8(ascii: "\t")) { k -= 1 }
            let end = k + 1
            while k >= 0 && p[k] > 0x20 && !"\"'`;|&(".utf8.contains(p[k]) { k -= 1 }
            guard end > k + 1 else { return false }
            let word = UnsafeBufferPointer(start: p + k + 1, count: end - k - 1)
            if word.elementsEqual("set".utf8) || word.elementsEqual("config".utf8) { return true }
        }
        return false
    }

    // MARK: - Options known tools take a password by: `mysql -pVALUE`, `docker login -p VALUE`, `curl -u user:VALUE`

    /// The value of an option by which the command it belongs to takes a secret (`CommandOptions`). `i` is the '-'.
    func toolOption(at i: Int) -> SecretMatch? {
        guard kinds.contains(.secretArgument), i >= 2, p[i - 1] == UInt8(ascii: " ") || p[i - 1] == UInt8(ascii: "\t"),
            i + 1 < n
        else { return nil }
        var flagEnd = i + 1
        if p[i + 1] == UInt8(ascii: "-") {
            flagEnd = run(from: i + 2) { isAlnum($0) || $0 == UInt8(ascii: "-") }
        } else {
            guard "paPuUwb".utf8.contains(p[i + 1]) else { return nil }
            flagEnd = i + 2
        }
        guard flagEnd - i <= 16,
            let entries = CommandOptions.byFlag[
                String(decoding: UnsafeBufferPointer(start: p + i, count: flagEnd - i), as: UTF8.self)],
            let command = command(before: i)
        else { return nil }
        for (tool, option) in entries where tool.names.contains(command.name) {
            if let subcommand = tool.subcommand, !segment(command.end..<i, holdsWord: subcommand) { continue }
            var value: (range: Range<Int>, quoted: Bool)?
            if flagEnd < n && (p[flagEnd] == UInt8(ascii: " ") || p[flagEnd] == UInt8(ascii: "\t")) {
                guard option.separate else { continue }
                var v = flagEnd
                while v < n && (p[v] == UInt8(ascii: " ") || p[v] == UInt8(ascii: "\t")) { v += 1 }
                guard v < n, p[v] != UInt8(ascii: "-") else { continue }
                value = self.value(from: v)
            } else if option.attached && flagEnd < n && p[flagEnd] > 0x20 {
                value = self.value(from: flagEnd)
            }
            guard let value else { continue }
            let separator: UInt8?
            switch option.part {
            case .whole: separator = nil
            case .afterColon: separator = UInt8(ascii: ":")
            case .afterPercent: separator = UInt8(ascii: "%")
            }
            var range = value.range
            if let separator {
                guard let at = range.first(where: { p[$0] == separator }), at + 1 < range.upperBound else { continue }
                range = (at + 1)..<range.upperBound
            }
            return match(.secretArgument, range)
        }
        return nil
    }

    /// The command a command line's option at `i` belongs to: the first word of its segment after wrappers (`sudo`,
    /// `env`) and variable assignments, without its directory; and where that word ends.
    private func command(before i: Int) -> (name: String, end: Int)? {
        var start = i - 1
        while start >= 0 && i - start <= 512 && !"\n;|&(`".utf8.contains(p[start]) && !opensCommand(quoteAt: start) {
            start -= 1
        }
        var k = start + 1
        while k < i {
            while k < i && (p[k] == UInt8(ascii: " ") || p[k] == UInt8(ascii: "\t")) { k += 1 }
            let wordStart = k
            var quote: UInt8?
            while k < i && (quote != nil || (p[k] != UInt8(ascii: " ") && p[k] != UInt8(ascii: "\t"))) {
                if let open = quote, p[k] == open {
                    quote = nil
                } else if quote == nil && (p[k] == UInt8(ascii: "\"") || p[k] == UInt8(ascii: "'")) {
                    quote = p[k]
                }
                k += 1
            }
            guard k > wordStart else { return nil }
            let word = UnsafeBufferPointer(start: p + wordStart, count: k - wordStart)
            if word.contains(UInt8(ascii: "=")) || word[0] == UInt8(ascii: "-") { continue }
            var name = String(decoding: word, as: UTF8.self)
            if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
            if CommandOptions.wrappers.contains(name) { continue }
            return (name, k)
        }
        return nil
    }

    /// True when the quote at `q` opens a command of its own: `sh -c '...'`, `"command": "..."`, `cmd="..."`.
    private func opensCommand(quoteAt q: Int) -> Bool {
        guard p[q] == UInt8(ascii: "\"") || p[q] == UInt8(ascii: "'") else { return false }
        var k = q - 1
        while k >= 0 && p[k] == UInt8(ascii: " ") { k -= 1 }
        guard k >= 0 else { return true }
        if p[k] == UInt8(ascii: ":") || p[k] == UInt8(ascii: "=") { return true }
        return k >= 1 && p[k] == UInt8(ascii: "c") && p[k - 1] == UInt8(ascii: "-")
            && (k < 2 || p[k - 2] == UInt8(ascii: " "))
    }

    /// True when `word` is one of the words of `range`.
    private func segment(_ range: Range<Int>, holdsWord word: String) -> Bool {
        let bytes = Array(word.utf8)
        var k = range.lowerBound
        while k + bytes.count <= range.upperBound {
            if (k == range.lowerBound || p[k - 1] <= 0x20)
                && (k + bytes.count == range.upperBound || p[k + bytes.count] <= 0x20)
                && bytes.indices.allSatisfy({ p[k + $0] == bytes[$0] })
            {
                return true
            }
            k += 1
        }
        return false
    }

    // MARK: - Values

    /// The value starting at `v`: up to the closing quote when quoted, else up to a space or a character that ends
    /// a word in shells, JSON, queries and connection strings. Nil when it is empty, already masked, or a reference
    /// to another value (`$VAR`, `${VAR}`, `%VAR%`, `{{ template }}`).
    func value(from v: Int) -> (range: Range<Int>, quoted: Bool)? {
        var v = v
        while v < n && (p[v] == UInt8(ascii: " ") || p[v] == UInt8(ascii: "\t")) { v += 1 }
        guard v < n else { return nil }
        let quote: UInt8? = "\"'`".utf8.contains(p[v]) ? p[v] : nil
        if quote != nil { v += 1 }
        // A mapping or a list (`secret_key: {file: ...}`) is no value: its members are scanned on their own.
        if quote == nil && (p[v] == UInt8(ascii: "{") || p[v] == UInt8(ascii: "[")) { return nil }
        let end = run(from: v) { b in
            if let quote { return b != quote && b != 0x0A && b != 0x0D }
            return b > 0x20 && !"\"',;&|)}]<>`".utf8.contains(b)
        }
        guard end > v, !has("[REDACTED", at: v), !isReference(v..<end) else { return nil }
        // A value has a letter or a digit: `-`, `*` or `...` hold nothing.
        guard (v..<end).contains(where: { isAlnum(p[$0]) }) else { return nil }
        if quote == nil && isCode(v..<end) { return nil }
        return (v..<end, quote != nil)
    }

    /// Program text rather than a literal: a call or subscript (`getpass.getpass(`, `os.environ[`), a chain of
    /// attributes (`settings.OPENAI_API_KEY`, `process.env.NPM_TOKEN`), a variable named like a secret
    /// (`api_key=api_key`), a type (`password: str`) or a keyword.
    private func isCode(_ range: Range<Int>) -> Bool {
        let value = UnsafeBufferPointer(start: p + range.lowerBound, count: range.count)
        if value.contains(UInt8(ascii: "(")) || value.contains(UInt8(ascii: "[")) { return true }
        let identifier = { (b: UInt8) in isAlnum(b) || b == UInt8(ascii: "_") }
        if value.allSatisfy({ identifier($0) || $0 == UInt8(ascii: ".") }) {
            let first = value[0]
            let segments = value.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            // Each part a word, perhaps with digits at its end (`s3`): `z57pfcas1zuum0in` is a token's.
            let isWord = { (segment: ArraySlice<UInt8>) -> Bool in
                guard let firstDigit = segment.firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) else {
                    return !segment.isEmpty
                }
                return firstDigit > segment.startIndex && segment[firstDigit...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            }
            if segments.count >= 2, (first >= 0x61 && first <= 0x7A) || first == UInt8(ascii: "_"),
                segments.allSatisfy({ isWord(ArraySlice($0)) })
            {
                return true
            }
            if segments.count == 1 {
                let word = String(decoding: value, as: UTF8.self)
                if Self.codeWords.contains(word) { return true }
                if SecretNames.strength(value) != .none && !CredentialShape.looksLikeCredential(value) { return true }
            }
        }
        return false
    }

    /// Types, literals and keywords that follow a name in code: `password: str`, `token = None`, `key = await ...`.
    static let codeWords: Set<String> = [
        "str", "string", "String", "bytes", "int", "bool", "Bool", "Optional", "None", "null", "nil", "true", "false",
        "True", "False", "undefined", "any", "unknown", "object", "SecretStr", "Secret", "await", "new", "self",
        "this", "function", "input", "getpass", "require", "os", "env", "process", "config", "settings",
    ]

    /// `$VAR`, `${VAR}`, `$(command)`, `%VAR%`, `{{ expression }}`: a value that names another one.
    private func isReference(_ range: Range<Int>) -> Bool {
        let first = p[range.lowerBound]
        if first == UInt8(ascii: "$") {
            guard range.count >= 2 else { return false }
            let second = p[range.lowerBound + 1]
            if second == UInt8(ascii: "{") || second == UInt8(ascii: "(") { return true }
            // `$NAME` in capitals or lower case alone; a password like `$ecretPa55` mixes them.
            let rest = UnsafeBufferPointer(start: p + range.lowerBound + 1, count: range.count - 1)
            let upper = rest.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            let lower = rest.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            return upper || lower
        }
        if first == UInt8(ascii: "%") && range.count >= 3 && p[range.upperBound - 1] == UInt8(ascii: "%") {
            return true
        }
        return has("{{", at: range.lowerBound)
    }

    /// A lower-case word followed by more words on its line (`secret_key: refusing a credential written in ...`):
    /// a sentence after a colon, not a value.
    private func isProse(_ range: Range<Int>) -> Bool {
        guard range.allSatisfy({ p[$0] >= 0x61 && p[$0] <= 0x7A }), range.upperBound + 1 < n,
            p[range.upperBound] == UInt8(ascii: " ")
        else { return false }
        let next = p[range.upperBound + 1] | 0x20
        return next >= 0x61 && next <= 0x7A
    }

    func looksLikeCredential(_ range: Range<Int>) -> Bool {
        CredentialShape.looksLikeCredential(UnsafeBufferPointer(start: p + range.lowerBound, count: range.count))
    }

    private func isSchemeWord(_ range: Range<Int>) -> Bool {
        guard range.count <= 6 else { return false }
        let word = String(decoding: UnsafeBufferPointer(start: p + range.lowerBound, count: range.count), as: UTF8.self)
        return ["basic", "bearer", "token", "digest"].contains(word.lowercased())
    }
}
