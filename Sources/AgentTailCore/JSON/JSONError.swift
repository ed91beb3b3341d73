/// Why JSON text, a JSON value or a JSON path could not be read; offsets are byte offsets into the scanned buffer.
package enum JSONError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The input ended where `expected` was needed.
    case unexpectedEnd(expected: String, offset: Int)
    /// A byte that cannot start or continue the JSON text at this point.
    case unexpectedByte(UInt8, expected: String, offset: Int)
    /// A `true`, `false` or `null` that is misspelled or cut short.
    case invalidLiteral(offset: Int)
    /// A number that does not follow the JSON number grammar.
    case invalidNumber(offset: Int)
    /// A backslash not followed by a valid escape; the offset is the backslash's.
    case invalidEscape(offset: Int)
    /// A raw control character (below U+0020) inside a string.
    case controlCharacter(UInt8, offset: Int)
    /// A byte sequence inside a string that is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// Objects and arrays nested deeper than `limit`.
    case nestingTooDeep(limit: Int, offset: Int)
    /// Something other than whitespace after the single JSON value.
    case trailingContent(offset: Int)
    /// A value of the wrong kind was handed to an accessor.
    case typeMismatch(expected: JSONSlice.Kind, found: JSONSlice.Kind, offset: Int)
    /// A JSON path that cannot be parsed; `character` is 1-based.
    case invalidPath(String, reason: String, character: Int)

    package var description: String {
        switch self {
        case .unexpectedEnd(let expected, let offset):
            return "unexpected end of JSON at byte \(offset), expected \(expected)"
        case .unexpectedByte(let byte, let expected, let offset):
            return "unexpected \(Self.describe(byte)) at byte \(offset), expected \(expected)"
        case .invalidLiteral(let offset):
            return "invalid literal at byte \(offset), expected true, false or null"
        case .invalidNumber(let offset):
            return "invalid number at byte \(offset)"
        case .invalidEscape(let offset):
            return "invalid escape sequence in string at byte \(offset)"
        case .controlCharacter(let byte, let offset):
            return "unescaped control character \(Self.hex(byte)) in string at byte \(offset)"
        case .invalidUTF8(let offset):
            return "invalid UTF-8 in string at byte \(offset)"
        case .nestingTooDeep(let limit, let offset):
            return "JSON nested deeper than \(limit) levels at byte \(offset)"
        case .trailingContent(let offset):
            return "unexpected content after the JSON value at byte \(offset)"
        case .typeMismatch(let expected, let found, let offset):
            return "expected \(expected) but found \(found) at byte \(offset)"
        case .invalidPath(let path, let reason, let character):
            return "invalid JSON path '\(path)': \(reason) at character \(character)"
        }
    }

    /// A byte as a quoted character when printable, else as hex.
    private static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        return "byte \(hex(byte))"
    }

    /// A byte as `0xNN`.
    private static func hex(_ byte: UInt8) -> String {
        let digits: [Character] = Array("0123456789ABCDEF")
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }
}
