import Foundation
import Testing

import AgentTailTestSupport
@testable import AgentTail
@testable import AgentTailCore

/// Runs `validate` over the whole of `bytes`.
private func validate(_ bytes: [UInt8]) throws(JSONError) {
    let result = bytes.withUnsafeBytes { raw in
        Result { () throws(JSONError) in try JSONScanner(raw).validate(0..<raw.count) }
    }
    try result.get()
}

private func validate(_ text: String) throws(JSONError) {
    try validate(Array(text.utf8))
}

/// Whether Foundation's parser accepts `bytes` (top-level scalars allowed).
private func foundationAccepts(_ bytes: [UInt8]) -> Bool {
    (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
}

/// Runs `body` with a scanner over `text` and the single value it holds.
private func withRoot(
    _ text: String, _ body: (JSONScanner, JSONSlice) throws -> Void
) throws {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBytes { raw in
        let scanner = JSONScanner(raw)
        try scanner.validate(0..<raw.count)
        return try body(scanner, try scanner.value(in: 0..<raw.count))
    }
}

private let tricky: [String] = [
    "{}", "[]", " \t\r\n[ ]\n ", "0", "-0", "0.0e+0", "1E-2", "-1.5e300", "123456789012345678901234567890",
    "true", "false", "null", #""""#, #"{"":""}"#,
    #""\u0000\u001f\"\\\/\b\f\n\r\t""#,
    #""\ud83d\ude00 \uD834\uDD1E \u00e9\u65e5""#,
    "\"日本語 🎉 é \u{7F} \u{85} \u{2028} \u{FFFD} \u{10FFFF}\"",
    #"{"a":{"b":[true,false,null,{"c":[[],{}]}]},"a":2}"#,
    #"[1,-1,1.5,-1.5e-5,1e5,1E+5,0.5,10,0]"#,
    "{\n  \"pretty\" : [\n    1 ,\n    \"two\"\n  ]\n}\n",
    #"{"key with \"quotes\" and \\ backslash":"value"}"#,
    String(repeating: "[", count: 500) + String(repeating: "]", count: 500),
    String(repeating: "{\"a\":", count: 300) + "1" + String(repeating: "}", count: 300),
    "[" + String(repeating: "\"long string with some text \\n and escapes \\u0041\",", count: 500) + "0]",
    "\"" + String(repeating: "x", count: 100_000) + "\"",
]

private let invalid: [(name: String, bytes: [UInt8])] = [
    ("empty", []),
    ("only whitespace", Array("  \n ".utf8)),
    ("truncated object", Array(#"{"a":1"#.utf8)),
    ("truncated array", Array("[1,2".utf8)),
    ("truncated string", Array(#""abc"#.utf8)),
    ("truncated member", Array(#"{"a":"#.utf8)),
    ("truncated name", Array(#"{"a"#.utf8)),
    ("truncated literal", Array("tru".utf8)),
    ("lone minus", Array("-".utf8)),
    ("fraction without digits", Array("1.".utf8)),
    ("exponent without digits", Array("1e".utf8)),
    ("exponent sign only", Array("1e+".utf8)),
    ("trailing comma in array", Array("[1,]".utf8)),
    ("trailing comma in object", Array(#"{"a":1,}"#.utf8)),
    ("leading comma", Array("[,1]".utf8)),
    ("missing comma", Array("[1 2]".utf8)),
    ("missing colon", Array(#"{"a" 1}"#.utf8)),
    ("unquoted name", Array("{a:1}".utf8)),
    ("single quotes", Array("['a']".utf8)),
    ("leading zero", Array("01".utf8)),
    ("plus sign", Array("+1".utf8)),
    ("leading dot", Array(".5".utf8)),
    ("NaN", Array("NaN".utf8)),
    ("bad escape x", Array(#""\x""#.utf8)),
    ("bad escape quote", Array(#""\'""#.utf8)),
    ("bad unicode escape", Array(#""\u12G4""#.utf8)),
    ("short unicode escape", Array(#""\u12""#.utf8)),
    ("escaped closing quote", Array(#""\""#.utf8)),
    ("raw newline in string", Array("\"a\nb\"".utf8)),
    ("raw tab in string", Array("\"a\tb\"".utf8)),
    ("raw 0x01 in string", [0x22, 0x01, 0x22]),
    ("raw 0x1F in string", [0x22, 0x1F, 0x22]),
    ("raw NUL in string", [0x22, 0x00, 0x22]),
    ("invalid UTF-8 0xFF", [0x22, 0xFF, 0x22]),
    ("lone continuation byte", [0x22, 0x80, 0x22]),
    ("overlong slash", [0x22, 0xC0, 0xAF, 0x22]),
    ("encoded surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22]),
    ("truncated sequence", [0x22, 0xE2, 0x82, 0x22]),
    ("above U+10FFFF", [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]),
    ("five-byte form", [0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22]),
    ("NUL between elements", [0x5B, 0x31, 0x2C, 0x00, 0x32, 0x5D]),
    ("NUL after value", Array("{}".utf8) + [0x00]),
    ("NUL before value", [0x00] + Array("{}".utf8)),
    ("two values", Array(#"{"a":1}{}"#.utf8)),
    ("extra bracket", Array("[1]]".utf8)),
    ("mismatched brackets", Array("[1}".utf8)),
    ("depth 513", Array((String(repeating: "[", count: 513) + String(repeating: "]", count: 513)).utf8)),
]

/// Whether `error` rejects a comma directly followed (after whitespace) by '}' or ']'.
private func isTrailingComma(_ error: JSONError, in bytes: [UInt8]) -> Bool {
    guard case .unexpectedByte(let byte, _, let offset) = error, byte == 0x7D || byte == 0x5D else { return false }
    var i = offset - 1
    while i >= 0 && [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i -= 1 }
    return i >= 0 && bytes[i] == 0x2C
}

@Suite("JSONScanner")
struct JSONScannerTests {
    @Test("accepts tricky documents that JSONSerialization accepts")
    func acceptsTricky() throws {
        for text in tricky {
            let bytes = Array(text.utf8)
            #expect(foundationAccepts(bytes), "oracle rejects \(text.prefix(60))")
            #expect(throws: Never.self, "\(text.prefix(60))") { try validate(bytes) }
        }
    }

    @Test("rejects malformed documents", arguments: invalid)
    func rejects(_ item: (name: String, bytes: [UInt8])) {
        #expect(throws: JSONError.self, "\(item.name)") { try validate(item.bytes) }
        // Foundation's parser tolerates trailing commas; RFC 8259 does not.
        if !item.name.hasPrefix("trailing comma") {
            #expect(!foundationAccepts(item.bytes), "oracle accepts \(item.name)")
        }
    }

    @Test("depth 512 is accepted, 10000 is an error and not a crash")
    func depth() throws {
        try validate(String(repeating: "[", count: 512) + String(repeating: "]", count: 512))
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.nestingTooDeep(limit: 512, offset: 512)) { try validate(deep) }
        let deepObjects = String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(throws: JSONError.nestingTooDeep(limit: 512, offset: 512 * 5)) { try validate(deepObjects) }
        // Mixed nesting beyond 64 levels uses the overflow stack.
        let mixed = String(repeating: "[{\"k\":", count: 200) + "0" + String(repeating: "}]", count: 200)
        try validate(mixed)
        let wrongClose = String(repeating: "[{\"k\":", count: 200) + "0" + String(repeating: "]}", count: 200)
        #expect(throws: JSONError.self) { try validate(wrongClose) }
    }

    @Test("error descriptions name the problem and the byte offset")
    func errorDescriptions() {
        let expectations: [(String, String)] = [
            ("[1,]", "unexpected ']' at byte 3, expected a value"),
            (#"{"a":1"#, "unexpected end of JSON at byte 6, expected ',' or '}'"),
            (#""\x""#, "invalid escape sequence in string at byte 1"),
            ("\"a\nb\"", "unescaped control character 0x0A in string at byte 2"),
            ("01", "unexpected content after the JSON value at byte 1"),
            ("[1.]", "invalid number at byte 1"),
            ("nul", "invalid literal at byte 0, expected true, false or null"),
        ]
        for (text, message) in expectations {
            do {
                try validate(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description == message)
            }
        }
        do {
            try validate([0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D])
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.description == "invalid UTF-8 in string at byte 2")
        }
    }

    @Test("validation agrees with JSONSerialization on seeded random mutations")
    func mutations() {
        let seeds = [
            #"{"a": [1, 2.5e-3, "x\"y\u00e9", true, null], "b": {"c": "日本", "d": [], "e": {}}, "f": -0}"#,
            #"[{"role": "user", "content": "hi\n"}, {"role": "assistant", "content": [{"type": "text"}]}]"#,
        ]
        let interesting: [UInt8] = Array(#"{}[]",:\ 0123456789.eE+-tfnulrsa"#.utf8) + [0x00, 0x0A, 0x1F, 0x80, 0xC3, 0xE2, 0xFF]
        var random = SeededGenerator(seed: 2024)
        var agreed = 0
        for seed in seeds {
            let original = Array(seed.utf8)
            for _ in 0..<3000 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let position = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes.remove(at: position)
                    case 1: bytes.insert(interesting.randomElement(using: &random)!, at: position)
                    default: bytes[position] = interesting.randomElement(using: &random)!
                    }
                    if bytes.isEmpty { bytes = original }
                }
                let theirs = foundationAccepts(bytes)
                do {
                    try validate(bytes)
                    #expect(theirs, "\(String(decoding: bytes, as: UTF8.self))")
                    if theirs { agreed += 1 }
                } catch {
                    // The one known difference: Foundation tolerates a trailing comma before '}' or ']'.
                    let known = isTrailingComma(error, in: bytes)
                    #expect(!theirs || known, "\(String(decoding: bytes, as: UTF8.self)): \(error)")
                    if !theirs || known { agreed += 1 }
                }
            }
        }
        #expect(agreed == 6000)
    }

    @Test("value(in:) finds the single value and rejects trailing content")
    func valueInRange() throws {
        let bytes = Array("  {\"a\": [1, 2]}  \n".utf8)
        try bytes.withUnsafeBytes { raw in
            let scanner = JSONScanner(raw)
            let root = try scanner.value(in: 0..<raw.count)
            #expect(root == JSONSlice(kind: .object, range: 2..<15))
            let inner = try scanner.value(in: 8..<14)
            #expect(inner.kind == .array)
            #expect(scanner.rawText(inner) == "[1, 2]")
            #expect(throws: JSONError.trailingContent(offset: 10)) { try scanner.value(in: 9..<13) }
            #expect(throws: JSONError.unexpectedEnd(expected: "']' or '}'", offset: 13)) { try scanner.value(in: 8..<13) }
            #expect(throws: JSONError.self) { try scanner.value(in: 0..<0) }
        }
        #expect(throws: JSONError.self) {
            try [UInt8]().withUnsafeBytes { raw in _ = try JSONScanner(raw).value(in: 0..<0) }
        }
    }

    @Test("member finds the first match, compares unescaped names and returns nil when missing")
    func member() throws {
        try withRoot(#"{"a": 1, "a\u0062": "esc", "b\"c": [true], "a": 2, "nested": {"a": null}}"#) { (scanner, root) throws in
            #expect(try scanner.member("a", of: root).map { scanner.rawText($0) } == "1")
            #expect(try scanner.member("ab", of: root).map { try scanner.string($0) } == "esc")
            #expect(try scanner.member("b\"c", of: root)?.kind == .array)
            #expect(try scanner.member("missing", of: root) == nil)
            #expect(try scanner.member("", of: root) == nil)
            let nested = try #require(try scanner.member("nested", of: root))
            #expect(try scanner.member("a", of: nested)?.kind == .null)
            #expect(throws: JSONError.typeMismatch(expected: .object, found: .array, offset: 35)) {
                try scanner.member("x", of: try #require(try scanner.member("b\"c", of: root)))
            }
        }
        try withRoot("{}") { (scanner, root) throws in #expect(try scanner.member("a", of: root) == nil) }
    }

    @Test("elements and members list every child in order")
    func children() throws {
        try withRoot(#"[1, "two", [3], {"four": 4}, true, null, -5.5e1]"#) { (scanner, root) throws in
            let elements = try scanner.elements(of: root)
            #expect(elements.map(\.kind) == [.number, .string, .array, .object, .bool, .null, .number])
            #expect(elements.map { scanner.rawText($0) } == ["1", #""two""#, "[3]", #"{"four": 4}"#, "true", "null", "-5.5e1"])
            let members = try scanner.members(of: elements[3])
            #expect(members.count == 1)
            #expect(members.first?.key == "four")
            #expect(scanner.int(try #require(members.first?.value)) == 4)
        }
        try withRoot(#"{"x\ny": 1, "": [], "é": {}}"#) { (scanner, root) throws in
            #expect(try scanner.members(of: root).map(\.key) == ["x\ny", "", "é"])
        }
        try withRoot("[ ]") { (scanner, root) throws in #expect(try scanner.elements(of: root).isEmpty) }
    }

    @Test("strings decode every escape, surrogate pairs, and lone surrogates as U+FFFD")
    func strings() throws {
        let cases: [(String, String)] = [
            (#""plain text""#, "plain text"),
            (#""""#, ""),
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
            (#""\u0041\u00e9\u65E5\u0000""#, "Aé日\u{0}"),
            (#""\ud83d\ude00!""#, "😀!"),
            (#""\ud83d""#, "\u{FFFD}"),
            (#""\ude00x""#, "\u{FFFD}x"),
            (#""\ud83d\u0041""#, "\u{FFFD}A"),
            (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
            ("\"日本語 🎉\"", "日本語 🎉"),
            ("\"" + String(repeating: "long \\n ", count: 1000) + "\"", String(repeating: "long \n ", count: 1000)),
        ]
        for (json, expected) in cases {
            try withRoot(json) { (scanner, root) throws in
                #expect(try scanner.string(root) == expected, "\(json.prefix(40))")
            }
        }
        try withRoot("1") { (scanner, root) throws in
            #expect(throws: JSONError.typeMismatch(expected: .string, found: .number, offset: 0)) {
                try scanner.string(root)
            }
        }
    }

    @Test("string decoding matches JSONSerialization on seeded random escaped strings")
    func randomStrings() throws {
        var random = SeededGenerator(seed: 77)
        let pieces: [String] = [
            "a", "Z", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000", "\\u001F", "\\u00e9",
            "\\u2028", "\\uD83D\\uDE00", "é", "日", "🎉", "\u{2029}", "\u{85}", "\u{7F}",
        ]
        for _ in 0..<500 {
            let content = (0..<Int.random(in: 0...40, using: &random)).map { _ in pieces.randomElement(using: &random)! }
                .joined()
            let json = "[\"" + content + "\"]"
            let oracle = try #require(
                try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
            ).first
            try withRoot(json) { (scanner, root) throws in
                let element = try #require(try scanner.elements(of: root).first)
                #expect(try scanner.string(element) == oracle)
            }
        }
    }

    @Test("scalars: bool, int, double and raw text")
    func scalars() throws {
        try withRoot(
            #"[true, false, 42, -7, 3.0, 1e2, 1.5, 9223372036854775807, -9223372036854775808, 9223372036854775808, -0, 2.5e-3, "5", null]"#
        ) { (scanner, root) throws in
            let values = try scanner.elements(of: root)
            #expect(try scanner.bool(values[0]) == true)
            #expect(try scanner.bool(values[1]) == false)
            #expect(throws: JSONError.typeMismatch(expected: .bool, found: .number, offset: 14)) {
                try scanner.bool(values[2])
            }
            #expect(values[2...9].map { scanner.int($0) } == [42, -7, 3, 100, nil, Int.max, Int.min, nil])
            #expect(scanner.int(values[12]) == nil)
            #expect(scanner.double(values[6]) == 1.5)
            #expect(scanner.double(values[11]) == 0.0025)
            let negativeZero = try #require(scanner.double(values[10]))
            #expect(negativeZero == 0 && negativeZero.sign == .minus)
            #expect(scanner.double(values[12]) == nil)
            #expect(scanner.double(values[13]) == nil)
            #expect(scanner.rawText(values[12]) == #""5""#)
            #expect(scanner.rawText(values[8]) == "-9223372036854775808")
        }
    }

    @Test("compactText drops whitespace outside strings and keeps strings as written")
    func compactText() throws {
        try withRoot("{\n  \"a b\" : [ 1 ,\t2 ],\r\n  \"s\": \" x \\\" { \\n \"\n}") { (scanner, root) throws in
            #expect(scanner.compactText(root) == #"{"a b":[1,2],"s":" x \" { \n "}"#)
            let array = try #require(try scanner.member("a b", of: root))
            #expect(scanner.compactText(array) == "[1,2]")
            #expect(scanner.rawText(array) == "[ 1 ,\t2 ]")
        }
        try withRoot("\"  spaced  \"") { (scanner, root) throws in
            #expect(scanner.compactText(root) == "\"  spaced  \"")
        }
    }

    @Test("no accessor reads outside its buffer on seeded random mutations")
    func accessorsOnMutations() throws {
        let seed = Array(
            #"{"a": [1, -2.5e3, "x\"y\u00e9\ud83d", true, null], "b\u0062": {"c": "日本", "d": [], "e": {}}, "f": [{"role": "user"}]}"#
                .utf8)
        let interesting: [UInt8] = Array(#"{}[]",:\ 0123456789.eE+-tfnu"#.utf8) + [0x00, 0x0A, 0x80, 0xE2, 0xFF]
        let paths = try ["$.a[2]", "$.bb.c", "$.f[?(@.role=='user')]", "$.a[-1]", "$[*][*]", "$.*"].map { try JSONPath($0) }
        var random = SeededGenerator(seed: 99)
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...8, using: &random)))
                case 1: bytes.insert(interesting.randomElement(using: &random)!, at: position)
                default: bytes[position] = interesting.randomElement(using: &random)!
                }
                if bytes.isEmpty { bytes = seed }
            }
            // An allocation of exactly the document's size, so a sanitizer catches any read past the end.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            defer { buffer.deallocate() }
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            let raw = UnsafeRawBufferPointer(buffer)
            let scanner = JSONScanner(raw)
            _ = try? scanner.validate(0..<raw.count)
            var tracker = JSONValueTracker()
            _ = tracker.feed(raw)
            let whole = JSONSlice(kind: .object, range: 0..<raw.count)
            for path in paths {
                _ = try? path.first(in: scanner, root: whole)
                _ = try? path.all(in: scanner, root: whole)
            }
            var pending = [(try? scanner.value(in: 0..<raw.count)) ?? whole]
            var visited = 0
            while let slice = pending.popLast(), visited < 100 {
                visited += 1
                _ = scanner.rawText(slice)
                _ = scanner.compactText(slice)
                _ = scanner.int(slice)
                _ = scanner.double(slice)
                _ = try? scanner.bool(slice)
                _ = try? scanner.string(slice)
                _ = try? scanner.string(JSONSlice(kind: .string, range: slice.range))
                _ = try? scanner.member("bb", of: JSONSlice(kind: .object, range: slice.range))
                if let elements = try? scanner.elements(of: slice) { pending.append(contentsOf: elements) }
                if let members = try? scanner.members(of: slice) { pending.append(contentsOf: members.map(\.value)) }
            }
        }
    }

    @Test("skipping a truncated document reports an error instead of reading past the end")
    func truncatedSkip() {
        for text in [#"{"a": [1, 2"#, #"{"a": "unterminated"#, #"{"a": "x\"#, "[[[", #"{"a":"#] {
            #expect(throws: JSONError.self, "\(text)") {
                try Array(text.utf8).withUnsafeBytes { raw in
                    let scanner = JSONScanner(raw)
                    _ = try scanner.member("b", of: JSONSlice(kind: .object, range: 0..<raw.count))
                }
            }
        }
    }
}

struct ValidatedValueTests {
    /// The value found by validation is the one `value(in:)` finds, and validation errors are the same.
    @Test(arguments: [
        " {\"a\": [1, \"x\"]}\n", "[ ]", "\t\"text\" ", "-12.5e3", "null", "{\"a\": 1} x", "[1,", "{\"a\" 1}", "",
    ])
    func matchesValidateThenValue(text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            let separate = Result { () throws(JSONError) -> JSONSlice in
                try scanner.validate(0..<raw.count)
                return try scanner.value(in: 0..<raw.count)
            }
            let together = Result { () throws(JSONError) in try scanner.validateValue(in: 0..<raw.count) }
            switch (separate, together) {
            case (.success(let a), .success(let b)): #expect(a == b)
            case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)")
            default: Issue.record("validate then value gave \(separate), validatedValue gave \(together)")
            }
        }
    }
}

extension ValidatedValueTests {
    /// Text taken from validated JSON (made without Swift's UTF-8 check) equals text taken without validating.
    @Test func textFromValidatedJSONMatchesTextFromUncheckedJSON() throws {
        let json = #"{"a": "héllo \u00e9 \ud83d\ude80 \ud800 🚀 数据", "b": [ 1, {"c": "x\ny"} ], "d": "plain"}"#
        let bytes = Array(json.utf8)
        try bytes.withUnsafeBytes { raw in
            let plain = JSONScanner(raw)
            var checked = JSONScanner(raw)
            let root = try checked.validateValue(in: 0..<raw.count)
            #expect(root == (try plain.value(in: 0..<raw.count)))
            for key in ["a", "b", "d"] {
                let value = try #require(try checked.member(key, of: root))
                #expect(checked.rawText(value) == plain.rawText(value))
                #expect(checked.compactText(value) == plain.compactText(value))
                if value.kind == .string { #expect(try checked.string(value) == (try plain.string(value))) }
            }
            let a = try #require(try checked.member("a", of: root))
            #expect(try checked.string(a) == "héllo é 🚀 \u{FFFD} 🚀 数据")
        }
    }
}
