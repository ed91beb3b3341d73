import Foundation
import Testing

@testable import AgentTail
@testable import AgentTailCore

/// The writer's output as text.
private func text(_ writer: JSONWriter) -> String {
    String(decoding: writer.bytes, as: UTF8.self)
}

/// Writes `value` as the only element of an array and reads it back with JSONSerialization and the scanner.
private func roundTrip(_ value: String) throws -> (foundation: String?, scanner: String) {
    var writer = JSONWriter()
    writer.beginArray()
    writer.string(value)
    writer.endArray()
    let bytes = writer.bytes
    let foundation = (try JSONSerialization.jsonObject(with: Data(bytes)) as? [String])?.first
    let scanned = try bytes.withUnsafeBytes { raw in
        let scanner = JSONScanner(raw)
        try scanner.validate(0..<raw.count)
        let root = try scanner.value(in: 0..<raw.count)
        return try scanner.string(try scanner.elements(of: root)[0])
    }
    return (foundation, scanned)
}

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test("commas and nesting are handled automatically")
    func structure() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a")
        writer.int(1)
        writer.key("b")
        writer.beginArray()
        writer.bool(true)
        writer.bool(false)
        writer.null()
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.endArray()
        writer.key("c")
        writer.string("x\ny")
        writer.key("d")
        writer.double(1.5)
        writer.key("e")
        writer.int(-42)
        writer.endObject()
        #expect(text(writer) == #"{"a":1,"b":[true,false,null,{},[]],"c":"x\ny","d":1.5,"e":-42}"#)
    }

    @Test("integers at the extremes and doubles, with non-finite doubles as null")
    func numbers() throws {
        var writer = JSONWriter()
        writer.beginArray()
        for value in [0, 7, -7, 10, 1_234_567_890, Int.max, Int.min] { writer.int(value) }
        for value in [0.1, -2.5e-8, 1e300, Double.nan, .infinity, -.infinity, 3.0] { writer.double(value) }
        writer.endArray()
        #expect(
            text(writer)
                == "[0,7,-7,10,1234567890,9223372036854775807,-9223372036854775808,0.1,-2.5e-08,1e+300,null,null,null,3.0]"
        )
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [Any])
        #expect(parsed.count == 14)
        try writer.bytes.withUnsafeBytes { raw in try JSONScanner(raw).validate(0..<raw.count) }
    }

    @Test("raw inserts JSON text verbatim, from a string or from bytes")
    func raw() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("json")
        writer.raw(#"{"nested": [1, 2]}"#)
        writer.key("bytes")
        writer.raw(Array("[true]".utf8))
        writer.key("slice")
        writer.raw(Array("xx\"s\"xx".utf8)[2..<5])
        writer.endObject()
        #expect(text(writer) == #"{"json":{"nested": [1, 2]},"bytes":[true],"slice":"s"}"#)
    }

    @Test("keys and strings escape quotes, backslashes, control characters, U+2028 and U+2029")
    func escaping() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("k\"\\")
        writer.string("\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F} \u{2028}\u{2029}\u{85}\u{FFFD}/é")
        writer.endObject()
        #expect(
            text(writer)
                == #"{"k\"\\":"\u0000\u0001\b\t\n\f\r\u001f \u2028\u2029"# + "\u{85}\u{FFFD}/é\"}"
        )
    }

    @Test("strings round-trip through JSONSerialization and the scanner")
    func roundTrips() throws {
        var samples: [String] = [
            "", "plain", "quote \" and backslash \\ and slash /", "emoji 😀🎉👩‍👩‍👧", "U+2028 \u{2028} U+2029 \u{2029}",
            "U+0085 \u{85} U+FFFD \u{FFFD} U+007F \u{7F}", "\u{E2}\u{80}", "€ is E2 82 AC", "日本語のテキスト",
            String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }),
        ]
        samples.append(String(repeating: "long run of safe text, ", count: 5000) + "\n\"end\"\u{2028}")
        samples.append(String(repeating: "a\u{1}b\"c\\d\u{2029}e", count: 2000))
        for sample in samples {
            let result = try roundTrip(sample)
            #expect(result.foundation == sample, "\(sample.prefix(40))")
            #expect(result.scanner == sample, "\(sample.prefix(40))")
        }
    }

    @Test("every control character is escaped and round-trips on its own")
    func controlCharacters() throws {
        for code in 0..<0x20 {
            let sample = "<" + String(Character(Unicode.Scalar(UInt8(code)))) + ">"
            var writer = JSONWriter()
            writer.string(sample)
            #expect(!writer.bytes.contains { $0 < 0x20 })
            let result = try roundTrip(sample)
            #expect(result.foundation == sample)
            #expect(result.scanner == sample)
        }
    }
}
