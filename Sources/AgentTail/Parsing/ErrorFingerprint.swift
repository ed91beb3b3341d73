/// Groups alike error messages: numbers, paths, ids and quoted values are replaced by placeholders.
package enum ErrorFingerprint {
    /// The longest fingerprint, in characters.
    static let limit = 300

    /// The normalized form of `message`, at most `limit` characters: its words, each normalized, joined by one space.
    ///
    /// Only the words that reach the limit are looked at, so a failed tool's 50 KB output costs no more than a short
    /// message.
    package static func of(_ message: String) -> String {
        var result = ""
        var length = 0
        var rest = message[...]
        while length < limit, let start = rest.firstIndex(where: { !isSeparator($0) }) {
            let end = rest[start...].firstIndex(where: isSeparator) ?? rest.endIndex
            let word = normalize(rest[start..<end])
            if length > 0 {
                result += " "
                length += 1
            }
            result += word
            length += word.count
            rest = rest[end...]
        }
        return length > limit ? String(result.prefix(limit)) : result
    }

    private static func isSeparator(_ character: Character) -> Bool {
        character == " " || character == "\n" || character == "\t" || character == "\r"
    }

    private static func normalize(_ word: Substring) -> String {
        // Keep punctuation around the word (quotes, colons, brackets) and normalize the core.
        let leading = word.prefix { "\"'`([{<".contains($0) }
        var core = word.dropFirst(leading.count)
        let trailing = core.reversed().prefix { "\"'`)]}>,.:;!?".contains($0) }
        core = core.dropLast(trailing.count)
        let suffix = String(trailing.reversed())
        guard !core.isEmpty else { return String(word) }
        if core.contains("/") || core.hasPrefix("~") || (core.contains("\\") && core.count > 2) {
            return leading + "<path>" + suffix
        }
        if isIdentifier(core) { return leading + "<id>" + suffix }
        if looksLikeFileName(core) { return leading + "<path>" + suffix }
        if core.contains(where: \.isNumber) {
            var output = ""
            var inNumber = false
            for character in core {
                if character.isNumber {
                    if !inNumber { output += "<n>" }
                    inNumber = true
                } else if inNumber, character == "." || character == "," {
                    continue
                } else {
                    inNumber = false
                    output.append(character)
                }
            }
            return leading + output + suffix
        }
        return String(word)
    }

    /// `name.ext` with a short alphanumeric extension, such as `missing.txt` or `main.swift`.
    private static func looksLikeFileName(_ word: Substring) -> Bool {
        guard let dot = word.lastIndex(of: "."), dot != word.startIndex else { return false }
        let ext = word[word.index(after: dot)...]
        guard (1...5).contains(ext.count), ext.allSatisfy({ $0.isLetter || $0.isNumber }), ext.contains(where: \.isLetter)
        else { return false }
        return word[..<dot].allSatisfy { $0.isLetter || $0.isNumber || "_-.".contains($0) }
    }

    /// UUIDs, long hex strings and tokens such as `toolu_01YmN1yh7yoyR5S5LMKDFoEZ`.
    private static func isIdentifier(_ word: Substring) -> Bool {
        guard word.count >= 8 else { return false }
        let hexOrDash = word.allSatisfy { $0.isHexDigit || $0 == "-" }
        if hexOrDash, word.contains(where: \.isNumber) { return true }
        let digits = word.filter(\.isNumber).count
        let letters = word.filter(\.isLetter).count
        let allowed = word.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        return allowed && digits >= 2 && letters >= 2 && word.count >= 12
    }
}
