/// Groups alike error messages: numbers, paths, ids and quoted values are replaced by placeholders.
package enum ErrorFingerprint {
    /// The longest fingerprint, in characters.
    static let limit = 300

    /// The normalized form of `message`, at most `limit` characters: its words, each normalized, joined by one space.
    ///
    /// Only the words that reach the limit are looked at, so a failed tool's 50 KB output costs no more than a short
    /// message.
    package static func of(_ message: String) -> String {
        ASCIIFingerprint.of(message) ?? characterFingerprint(message)
    }

    /// The fingerprint worked out character by character: the reference, used for text that is not plain ASCII.
    static func characterFingerprint(_ message: String) -> String {
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

/// The fingerprint of a message in plain ASCII, worked out on its bytes; it equals `characterFingerprint`, and is
/// nil as soon as a byte is not plain ASCII or is a carriage return (which can join a line feed into one character).
enum ASCIIFingerprint {
    static func of(_ message: String) -> String? {
        var message = message
        return message.withUTF8 { bytes -> String? in
            var output: [UInt8] = []
            output.reserveCapacity(ErrorFingerprint.limit + 16)
            var length = 0
            var index = 0
            while length < ErrorFingerprint.limit {
                while index < bytes.count, isSeparator(bytes[index]) { index += 1 }
                guard index < bytes.count else { break }
                let start = index
                while index < bytes.count, !isSeparator(bytes[index]) {
                    guard bytes[index] < 0x80, bytes[index] != 0x0D else { return nil }
                    index += 1
                }
                if length > 0 {
                    output.append(0x20)
                    length += 1
                }
                let before = output.count
                normalize(UnsafeBufferPointer(rebasing: bytes[start..<index]), into: &output)
                length += output.count - before
            }
            if output.count > ErrorFingerprint.limit { output.removeLast(output.count - ErrorFingerprint.limit) }
            return String(decoding: output, as: UTF8.self)
        }
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09
    }

    private static func isOpening(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"), UInt8(ascii: "("), UInt8(ascii: "["),
            UInt8(ascii: "{"), UInt8(ascii: "<"):
            return true
        default: return false
        }
    }

    private static func isClosing(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"), UInt8(ascii: ")"), UInt8(ascii: "]"),
            UInt8(ascii: "}"), UInt8(ascii: ">"), UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: ":"),
            UInt8(ascii: ";"), UInt8(ascii: "!"), UInt8(ascii: "?"):
            return true
        default: return false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66)
    }

    private static func normalize(_ word: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        var coreStart = 0
        while coreStart < word.count, isOpening(word[coreStart]) { coreStart += 1 }
        var coreEnd = word.count
        while coreEnd > coreStart, isClosing(word[coreEnd - 1]) { coreEnd -= 1 }
        let core = UnsafeBufferPointer(rebasing: word[coreStart..<coreEnd])
        guard !core.isEmpty else {
            output.append(contentsOf: word)
            return
        }
        let leading = UnsafeBufferPointer(rebasing: word[..<coreStart])
        let trailing = UnsafeBufferPointer(rebasing: word[coreEnd...])
        let placeholder: String?
        if core.contains(UInt8(ascii: "/")) || core[0] == UInt8(ascii: "~")
            || (core.contains(UInt8(ascii: "\\")) && core.count > 2)
        {
            placeholder = "<path>"
        } else if isIdentifier(core) {
            placeholder = "<id>"
        } else if looksLikeFileName(core) {
            placeholder = "<path>"
        } else {
            placeholder = nil
        }
        if let placeholder {
            output.append(contentsOf: leading)
            output.append(contentsOf: placeholder.utf8)
            output.append(contentsOf: trailing)
        } else if core.contains(where: isDigit) {
            output.append(contentsOf: leading)
            var inNumber = false
            for byte in core {
                if isDigit(byte) {
                    if !inNumber { output.append(contentsOf: "<n>".utf8) }
                    inNumber = true
                } else if inNumber, byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",") {
                    continue
                } else {
                    inNumber = false
                    output.append(byte)
                }
            }
            output.append(contentsOf: trailing)
        } else {
            output.append(contentsOf: word)
        }
    }

    private static func looksLikeFileName(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let dot = word.lastIndex(of: UInt8(ascii: ".")), dot != 0 else { return false }
        let ext = word[(dot + 1)...]
        guard (1...5).contains(ext.count), ext.allSatisfy({ isLetter($0) || isDigit($0) }), ext.contains(where: isLetter)
        else { return false }
        return word[..<dot].allSatisfy {
            isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }

    private static func isIdentifier(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        guard word.count >= 8 else { return false }
        let hexOrDash = word.allSatisfy { isHexDigit($0) || $0 == UInt8(ascii: "-") }
        if hexOrDash, word.contains(where: isDigit) { return true }
        var digits = 0
        var letters = 0
        for byte in word {
            if isDigit(byte) {
                digits += 1
            } else if isLetter(byte) {
                letters += 1
            } else if byte != UInt8(ascii: "_"), byte != UInt8(ascii: "-") {
                return false
            }
        }
        return digits >= 2 && letters >= 2 && word.count >= 12
    }
}
