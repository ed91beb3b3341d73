/// Which names announce a secret value, and how sure that is.
///
/// A name is split into lowercase words at `_`, `-`, `.`, `:` and camel-case humps (`aws_secret_access_key`,
/// `SecretAccessKey`, `_authToken`, `X-Api-Key` and `client-key-data` all become word lists).
/// - A **strong** name ends with a secret word (`GITHUB_TOKEN`, `client_secret`, `PGPASSWORD`, `X-Api-Key`): any value
///   after it is masked.
/// - A **weak** name holds a secret word elsewhere, or is one of the short words that also mean other things (`key`,
///   `auth`, `pass`, `pwd`, `client-key-data`, `token_value`): its value is masked only when it looks like a
///   credential (`CredentialShape`).
/// - Names of identifiers (`primary_key`, `page_token`, `public_key`, `token_count`) are neither.
package enum SecretNames {
    package enum Strength: Comparable, Sendable {
        case none, weak, strong
    }

    /// Words that make a name strong when they end it.
    private static let strongWords: Set<String> = [
        "token", "secret", "password", "passwd", "passphrase", "apikey", "authorization", "credential",
        "credentials", "authtoken", "accesstoken", "apitoken", "refreshtoken", "sessiontoken", "bottoken",
        "secretkey", "accesskey", "privatekey", "clientsecret", "apisecret", "secretaccesskey",
        // Java keytool's and OpenSSL's options: `-storepass`, `-keypass`, `-passin`, `-passout`.
        "storepass", "keypass", "srcstorepass", "deststorepass", "srckeypass", "destkeypass", "passin", "passout",
    ]
    /// Words that make a name strong when they end it after another word: `OPENAI_API_KEY`, `GITLAB_PAT`,
    /// `DB_PASS`, `MYSQL_PWD` (alone they are too common: `key`, `pass`, and the shell's `PWD`).
    private static let strongAfterAWord: Set<String> = ["key", "pat", "pass", "pwd"]
    /// Words that make a name weak wherever they are in it.
    private static let weakWords: Set<String> = [
        "token", "secret", "password", "passwd", "passphrase", "apikey", "credential", "credentials", "key", "pass",
        "pwd", "auth", "sig", "signature", "private",
    ]
    /// Words that name a secret in a URL's query (`?sig=`, `&X-Amz-Signature=`, `?key=AIza...`).
    private static let queryWords: Set<String> = ["sig", "signature", "key", "code", "pass", "pwd", "auth"]
    /// Words before `key` that make it an identifier: `primary_key`, `cache_key`, `public_key`, `s3_key`.
    private static let identifierKeys: Set<String> = [
        "file", "primary", "foreign", "sort", "partition", "hash", "range", "cache", "idempotency", "dedup", "row",
        "lookup", "group", "unique", "public", "map", "object", "s3", "redis", "dict", "json", "registry", "index",
        "cursor", "composite", "candidate", "natural", "surrogate", "shard", "routing", "host", "translation", "i18n",
        "sorting", "storage", "cluster", "bucket", "foreignkey", "react", "table", "column", "field", "dictionary",
    ]
    /// Words before `token` that make it an identifier: paging cursors and tokenizer vocabulary.
    private static let identifierTokens: Set<String> = [
        "next", "page", "continuation", "sync", "pagination", "cancellation", "prompt", "completion", "input",
        "output", "total", "max", "eos", "bos", "pad", "unk", "special", "start", "end", "stop", "last", "first",
        "cache", "reasoning", "cached",
    ]
    /// Last words that make a name describe a secret rather than hold one: `token_count`, `password_min_length`,
    /// `key_file`, `secret_name`, `api_key_id`.
    private static let descriptiveWords: Set<String> = [
        "id", "ids", "name", "names", "file", "files", "path", "dir", "url", "uri", "endpoint", "count", "counts",
        "length", "size", "type", "kind", "expiry", "expires", "expiration", "ttl", "env", "var", "ref", "arn",
        "policy", "fingerprint", "usage", "limit", "limits", "tokens", "required", "enabled", "hint", "prompt",
        "label", "version", "format", "algorithm", "source", "provider", "store", "manager", "hash", "location",
        "mode", "field", "header", "rotation", "created", "updated", "at", "age", "min", "max", "policy",
    ]

    /// The first bytes of every word the lists hold, to rule out most names without splitting them.
    private static let hints: [[UInt8]] = ["tok", "sec", "pas", "pw", "key", "aut", "cred", "sig", "pri", "pat"].map {
        Array($0.utf8)
    }

    /// How sure it is that a value named `name` (ASCII, any case) is a secret; `query` when the name is a parameter
    /// of a URL's query.
    package static func strength(_ name: UnsafeBufferPointer<UInt8>, query: Bool = false) -> Strength {
        guard name.count >= 2, name.count <= 64, mayHoldSecretWord(name) else { return .none }
        return strength(words: words(of: name), query: query)
    }

    /// How sure it is that a value named `name` is a secret.
    package static func strength(_ name: String, query: Bool = false) -> Strength {
        var name = name
        return name.withUTF8 { strength($0, query: query) }
    }

    private static func strength(words: [String], query: Bool) -> Strength {
        guard let last = words.last else { return .none }
        let previous = words.count >= 2 ? words[words.count - 2] : nil
        if last == "key", let previous, identifierKeys.contains(previous) { return .none }
        if last == "token", let previous, identifierTokens.contains(previous) { return .none }
        if query && (queryWords.contains(last) || weakWords.contains(last)) { return .strong }
        if strongWords.contains(last) { return .strong }
        if previous != nil && strongAfterAWord.contains(last) { return .strong }
        if last.hasSuffix("password") || last.hasSuffix("passwd") { return .strong }
        if descriptiveWords.contains(last) { return .none }
        if words.contains(where: weakWords.contains) { return .weak }
        return .none
    }

    /// A quick test on the bytes that rules out almost every member name JSON holds ("role", "content", ...).
    private static func mayHoldSecretWord(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i + 1 < name.count {
            let a = name[i] | 0x20
            if a == UInt8(ascii: "t") || a == UInt8(ascii: "s") || a == UInt8(ascii: "p") || a == UInt8(ascii: "k")
                || a == UInt8(ascii: "a") || a == UInt8(ascii: "c")
            {
                for hint in hints where hint[0] == a && i + hint.count <= name.count {
                    var k = 1
                    while k < hint.count && name[i + k] | 0x20 == hint[k] { k += 1 }
                    if k == hint.count { return true }
                }
            }
            i += 1
        }
        return false
    }

    /// The lowercase words of a name: split at anything but letters and digits, and where a lowercase letter or
    /// digit meets a capital (`authToken`) or a run of capitals meets a capitalized word (`APIKey`).
    static func words(of name: UnsafeBufferPointer<UInt8>) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        func flush() {
            if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
            current.removeAll(keepingCapacity: true)
        }
        var previousIsUpper = false
        for (index, byte) in name.enumerated() {
            let isUpper = byte >= 0x41 && byte <= 0x5A
            let isLower = byte >= 0x61 && byte <= 0x7A
            let isDigit = byte >= 0x30 && byte <= 0x39
            guard isUpper || isLower || isDigit else {
                flush()
                previousIsUpper = false
                continue
            }
            if isUpper && !current.isEmpty {
                let nextIsLower = index + 1 < name.count && name[index + 1] >= 0x61 && name[index + 1] <= 0x7A
                if !previousIsUpper || nextIsLower { flush() }
            }
            current.append(isUpper ? byte | 0x20 : byte)
            previousIsUpper = isUpper
        }
        flush()
        return words
    }
}
