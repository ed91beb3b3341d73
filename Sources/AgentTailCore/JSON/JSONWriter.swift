/// Writes compact JSON into a byte buffer, inserting commas between values automatically.
///
/// Call `key(_:)` before each value inside an object. The writer does not check that calls are balanced
/// or that keys and values alternate; it trusts its caller.
package struct JSONWriter: Sendable {
    /// The JSON text written so far.
    package private(set) var bytes: [UInt8]
    /// The next value, key or container needs a comma before it.
    private var needsComma = false

    /// An empty writer with room for `capacity` bytes.
    package init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Opens an object.
    package mutating func beginObject() {
        separate()
        bytes.append(0x7B)
        needsComma = false
    }

    /// Closes the innermost object.
    package mutating func endObject() {
        bytes.append(0x7D)
        needsComma = true
    }

    /// Opens an array.
    package mutating func beginArray() {
        separate()
        bytes.append(0x5B)
        needsComma = false
    }

    /// Closes the innermost array.
    package mutating func endArray() {
        bytes.append(0x5D)
        needsComma = true
    }

    /// Writes a member name and its colon; the member's value comes next.
    package mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(0x3A)
        needsComma = false
    }

    /// Writes a string value, escaped per RFC 8259 (plus U+2028 and U+2029).
    package mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    /// Writes an integer in decimal.
    package mutating func int(_ value: Int) {
        separate()
        if value < 0 { bytes.append(0x2D) }
        var magnitude = value.magnitude
        let first = bytes.count
        repeat {
            bytes.append(0x30 &+ UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        var low = first
        var high = bytes.count - 1
        while low < high {
            bytes.swapAt(low, high)
            low += 1
            high -= 1
        }
        needsComma = true
    }

    /// Writes a finite number in its shortest round-tripping form; NaN and infinities are written as `null`.
    package mutating func double(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        bytes.append(contentsOf: value.description.utf8)
        needsComma = true
    }

    /// Writes `true` or `false`.
    package mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueText : Self.falseText)
        needsComma = true
    }

    /// Writes `null`.
    package mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullText)
        needsComma = true
    }

    /// Inserts JSON text verbatim as one value; the text must already be valid JSON.
    package mutating func raw(_ json: String) {
        separate()
        var json = json
        json.withUTF8 { utf8 in bytes.append(contentsOf: utf8) }
        needsComma = true
    }

    /// Inserts JSON bytes verbatim as one value; the bytes must already be valid JSON.
    package mutating func raw<Bytes: Collection>(_ json: Bytes) where Bytes.Element == UInt8 {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    private static let trueText: [UInt8] = Array("true".utf8)
    private static let falseText: [UInt8] = Array("false".utf8)
    private static let nullText: [UInt8] = Array("null".utf8)

    /// Writes the comma that separates this item from the previous one, if needed.
    @inline(__always)
    private mutating func separate() {
        if needsComma { bytes.append(0x2C) }
    }

    /// Appends `text` as a JSON string: quotes, backslashes, control characters, U+2028 and U+2029 escaped.
    private mutating func appendQuoted(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in appendQuoted(utf8) }
    }

    /// Appends UTF-8 text as a JSON string, copying runs of bytes that need no escaping in bulk.
    private mutating func appendQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        let count = utf8.count
        bytes.reserveCapacity(bytes.count + count + 2)
        bytes.append(0x22)
        guard let p = utf8.baseAddress, count > 0 else {
            bytes.append(0x22)
            return
        }
        var runStart = 0
        var i = 0
        while i < count {
            // Find the next byte that may need escaping: '"', '\', a control character, or 0xE2 (U+2028/U+2029).
            if i &+ 8 <= count {
                let word = JSONBytes.load(p, i)
                let mask =
                    JSONBytes.equalMask(word, 0x22) | JSONBytes.equalMask(word, 0x5C) | JSONBytes.lessMask(word, 0x20)
                    | JSONBytes.equalMask(word, 0xE2)
                if mask == 0 {
                    i &+= 8
                    continue
                }
                i &+= JSONBytes.firstByte(mask)
            } else {
                let byte = p[i]
                if byte != 0x22 && byte != 0x5C && byte >= 0x20 && byte != 0xE2 {
                    i &+= 1
                    continue
                }
            }
            let byte = p[i]
            if byte == 0xE2 {
                // U+2028 is E2 80 A8 and U+2029 is E2 80 A9; other E2 sequences pass through.
                guard i &+ 2 < count && p[i &+ 1] == 0x80 && (p[i &+ 2] == 0xA8 || p[i &+ 2] == 0xA9) else {
                    i &+= 1
                    continue
                }
                flush(p, from: runStart, to: i)
                bytes.append(contentsOf: p[i &+ 2] == 0xA8 ? Self.lineSeparator : Self.paragraphSeparator)
                i &+= 3
                runStart = i
                continue
            }
            flush(p, from: runStart, to: i)
            appendEscape(byte)
            i &+= 1
            runStart = i
        }
        flush(p, from: runStart, to: count)
        bytes.append(0x22)
    }

    private static let lineSeparator: [UInt8] = Array("\\u2028".utf8)
    private static let paragraphSeparator: [UInt8] = Array("\\u2029".utf8)

    /// Appends the unescaped run `start..<stop` of `p`.
    @inline(__always)
    private mutating func flush(_ p: UnsafePointer<UInt8>, from start: Int, to stop: Int) {
        if stop > start {
            bytes.append(contentsOf: UnsafeBufferPointer(start: p + start, count: stop &- start))
        }
    }

    /// Appends the escape for `"`, `\` or a control character.
    private mutating func appendEscape(_ byte: UInt8) {
        let short: UInt8
        switch byte {
        case 0x22: short = 0x22
        case 0x5C: short = 0x5C
        case 0x0A: short = 0x6E
        case 0x0D: short = 0x72
        case 0x09: short = 0x74
        case 0x08: short = 0x62
        case 0x0C: short = 0x66
        default:
            let low = byte & 0x0F
            bytes.append(0x5C)
            bytes.append(0x75)
            bytes.append(0x30)
            bytes.append(0x30)
            bytes.append(0x30 &+ (byte >> 4))
            bytes.append(low < 10 ? 0x30 &+ low : 0x57 &+ low)
            return
        }
        bytes.append(0x5C)
        bytes.append(short)
    }
}
