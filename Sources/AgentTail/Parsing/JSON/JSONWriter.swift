/// Writes JSON into a byte buffer, with commas placed automatically.
package struct JSONWriter: Sendable {
    package private(set) var bytes: [UInt8] = []
    /// One entry per open container: whether it already has an element.
    private var hasElement: [Bool] = []
    private var afterKey = false

    package init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        if let last = hasElement.last {
            if last { bytes.append(0x2C) }
            hasElement[hasElement.count - 1] = true
        }
    }

    package mutating func beginObject() {
        separate()
        bytes.append(0x7B)
        hasElement.append(false)
    }

    package mutating func endObject() {
        hasElement.removeLast()
        bytes.append(0x7D)
    }

    package mutating func beginArray() {
        separate()
        bytes.append(0x5B)
        hasElement.append(false)
    }

    package mutating func endArray() {
        hasElement.removeLast()
        bytes.append(0x5D)
    }

    package mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(0x3A)
        afterKey = true
    }

    package mutating func string(_ value: String) {
        separate()
        appendString(value)
    }

    package mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    package mutating func double(_ value: Double) {
        separate()
        if value.isFinite {
            bytes.append(contentsOf: String(value).utf8)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
    }

    package mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    package mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Inserts text that is already valid JSON, as is.
    package mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: json.utf8)
    }

    /// Inserts bytes that are already valid JSON, as is.
    package mutating func raw(bytes json: some Sequence<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
    }

    private mutating func appendString(_ value: String) {
        bytes.append(0x22)
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            let count = utf8.count
            func flush(_ upTo: Int) {
                if upTo > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<upTo])) }
            }
            while index < count {
                let byte = utf8[index]
                if byte >= 0x20, byte != 0x22, byte != 0x5C, byte != 0xE2 {
                    index += 1
                    continue
                }
                if byte == 0xE2 {
                    // U+2028 and U+2029 (E2 80 A8 / E2 80 A9) are escaped so the output is also valid JavaScript.
                    if index + 2 < count, utf8[index + 1] == 0x80, utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9 {
                        flush(index)
                        bytes.append(contentsOf: (utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                        index += 3
                        runStart = index
                    } else {
                        index += 1
                    }
                    continue
                }
                flush(index)
                switch byte {
                case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
                case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
                case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
                case 0x08: bytes.append(contentsOf: [0x5C, 0x62])
                case 0x0C: bytes.append(contentsOf: [0x5C, 0x66])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
                index += 1
                runStart = index
            }
            flush(count)
        }
        bytes.append(0x22)
    }
}
