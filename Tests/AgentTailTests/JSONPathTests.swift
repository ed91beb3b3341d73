import Foundation
import Testing

@testable import AgentTail
@testable import AgentTailCore

private let document = #"""
    {
      "model": "m-1",
      "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello", "meta": {"lang": "en", "n": 1}},
        {"role": "assistant", "content": [{"type": "text", "text": "hi"}], "meta": {"lang": "fr", "n": 2}},
        {"role": "user", "content": "second", "flag": true, "meta": {"lang": "en", "n": 123}},
        {"role": "us\u0065r", "content": "escaped role", "flag": false}
      ],
      "usage": {"input_tokens": 12, "output_tokens": 3.5, "cached": null},
      "a": {"b": {"c": "deep"}},
      "weird key": 1,
      "quote\"key": 2,
      "numbers": [10, 20, 30]
    }
    """#

/// Evaluates `path` on `json` and returns the raw text of each result.
private func select(_ path: String, in json: String = document, all: Bool = false) throws -> [String] {
    let parsed = try JSONPath(path)
    return try Array(json.utf8).withUnsafeBytes { raw in
        let scanner = JSONScanner(raw)
        // A truncated document still has a usable root slice: evaluation reads only what it needs.
        let root =
            (try? scanner.value(in: 0..<raw.count))
            ?? JSONSlice(kind: json.hasPrefix("[") ? .array : .object, range: 0..<raw.count)
        if all { return try parsed.all(in: scanner, root: root).map { scanner.rawText($0) } }
        return try parsed.first(in: scanner, root: root).map { [scanner.rawText($0)] } ?? []
    }
}

@Suite("JSONPath")
struct JSONPathTests {
    @Test("parses every syntax form")
    func parsing() throws {
        #expect(try JSONPath("$").segments == [])
        #expect(try JSONPath("$.a.b_c-d").segments == [.member("a"), .member("b_c-d")])
        #expect(try JSONPath("$['a b'][\"c'd\"]").segments == [.member("a b"), .member("c'd")])
        #expect(try JSONPath(#"$['it\'s']"#).segments == [.member("it's")])
        #expect(try JSONPath("$[0][-2][ 3 ]").segments == [.index(0), .index(-2), .index(3)])
        #expect(try JSONPath("$[*].x.*").segments == [.wildcard, .member("x"), .wildcard])
        #expect(
            try JSONPath("$.m[?(@.role=='user')]").segments
                == [.member("m"), .filter(.init(path: [.member("role")], isNegated: false, literal: .string("user")))]
        )
        #expect(
            try JSONPath("$[?(@.a.b != \"x\")]").segments
                == [.filter(.init(path: [.member("a"), .member("b")], isNegated: true, literal: .string("x")))]
        )
        #expect(
            try JSONPath("$[?(@.n==123)][?(@.f==true)][?(@['k'][0]==null)][?@.d==-1.5]").segments == [
                .filter(.init(path: [.member("n")], isNegated: false, literal: .number(123))),
                .filter(.init(path: [.member("f")], isNegated: false, literal: .bool(true))),
                .filter(.init(path: [.member("k"), .index(0)], isNegated: false, literal: .null)),
                .filter(.init(path: [.member("d")], isNegated: false, literal: .number(-1.5))),
            ])
        #expect(try JSONPath("$.a[0]").description == "$.a[0]")
        #expect(try JSONPath("$.a[0]['b']").isDefinite)
        #expect(try !JSONPath("$.a[*]").isDefinite)
        #expect(try !JSONPath("$.a[?(@.x==1)].b").isDefinite)
    }

    @Test("malformed paths report what was expected and where")
    func errors() {
        let cases: [(String, String)] = [
            ("$.a[", "invalid JSON path '$.a[': expected ']' at character 5"),
            ("a.b", "invalid JSON path 'a.b': expected '$' or '@' at character 1"),
            ("", "invalid JSON path '': expected '$' or '@' at character 1"),
            ("$.", "invalid JSON path '$.': expected a member name at character 3"),
            ("$[1", "invalid JSON path '$[1': expected ']' at character 4"),
            ("$x", "invalid JSON path '$x': expected '.' or '[' at character 2"),
            ("$..a", "invalid JSON path '$..a': recursive descent '..' is not supported at character 3"),
            ("$['a", "invalid JSON path '$['a': expected a closing ' at character 5"),
            ("$[-]", "invalid JSON path '$[-]': expected a digit at character 4"),
            ("$[a]", "invalid JSON path '$[a]': expected a quoted name, an index, '*' or a filter at character 3"),
            ("$[?(@.a=1)]", "invalid JSON path '$[?(@.a=1)]': expected '==' or '!=' at character 8"),
            ("$[?(@.a=='x']", "invalid JSON path '$[?(@.a=='x']': expected ')' at character 13"),
            ("$[?(x=='x')]", "invalid JSON path '$[?(x=='x')]': expected '@' at character 5"),
            ("$[?(@.a==yes)]", "invalid JSON path '$[?(@.a==yes)]': expected a string, number, true, false or null at character 10"),
            ("$[?(@.a==tru)]", "invalid JSON path '$[?(@.a==tru)]': expected a string, number, true, false or null at character 10"),
            ("$[?(@[*]==1)]", "invalid JSON path '$[?(@[*]==1)]': wildcards are not supported inside a filter at character 7"),
            ("$[99999999999999999999]", "invalid JSON path '$[99999999999999999999]': index out of range at character 3"),
        ]
        for (path, message) in cases {
            do {
                _ = try JSONPath(path)
                Issue.record("\(path) parsed")
            } catch {
                #expect(error.description == message)
            }
        }
    }

    @Test("members, quoted names and nested members")
    func members() throws {
        #expect(try select("$.model") == [#""m-1""#])
        #expect(try select("$['model']") == [#""m-1""#])
        #expect(try select(#"$["a"].b['c']"#) == [#""deep""#])
        #expect(try select("$['weird key']") == ["1"])
        #expect(try select(#"$['quote"key']"#) == ["2"])
        #expect(try select("$.usage.input_tokens") == ["12"])
        #expect(try select("$.usage.cached") == ["null"])
        #expect(try select("$").first?.hasPrefix("{") == true)
    }

    @Test("missing keys, wrong kinds and out-of-range indexes give nil")
    func missing() throws {
        #expect(try select("$.nope") == [])
        #expect(try select("$.a.b.c.d") == [])
        #expect(try select("$.model.x") == [])
        #expect(try select("$.messages.role") == [])
        #expect(try select("$.model[0]") == [])
        #expect(try select("$.numbers[3]") == [])
        #expect(try select("$.numbers[-4]") == [])
        #expect(try select("$.messages[?(@.role=='nobody')].content") == [])
        #expect(try select("$.nope", all: true) == [])
    }

    @Test("positive and negative indexes")
    func indexes() throws {
        #expect(try select("$.numbers[0]") == ["10"])
        #expect(try select("$.numbers[2]") == ["30"])
        #expect(try select("$.numbers[-1]") == ["30"])
        #expect(try select("$.numbers[-3]") == ["10"])
        #expect(try select("$.messages[-1].content") == [#""escaped role""#])
        #expect(try select("$.messages[2].content[0].text") == [#""hi""#])
        #expect(try select("$[1]", in: "[[], {}]") == ["{}"])
    }

    @Test("wildcards select every element or member value")
    func wildcards() throws {
        #expect(try select("$.numbers[*]", all: true) == ["10", "20", "30"])
        #expect(try select("$.numbers[*]") == ["10"])
        #expect(try select("$.usage.*", all: true) == ["12", "3.5", "null"])
        #expect(try select("$.messages[*].meta.lang", all: true) == [#""en""#, #""fr""#, #""en""#])
        #expect(try select("$.messages[*].meta.n") == ["1"])
    }

    @Test("a filter picks the first user message's content")
    func userMessage() throws {
        #expect(try select("$.messages[?(@.role=='user')].content") == [#""hello""#])
        #expect(try select(#"$.messages[?(@.role=="user")].content"#, all: true) == [
            #""hello""#, #""second""#, #""escaped role""#,
        ])
        #expect(try select("$.messages[?(@.role != 'user')].role", all: true) == [#""system""#, #""assistant""#])
    }

    @Test("filters on numbers, booleans, null, nested paths and missing members")
    func filters() throws {
        #expect(try select("$.messages[?(@.meta.n==123)].content") == [#""second""#])
        #expect(try select("$.messages[?(@.meta.n==1.0)].content") == [#""hello""#])
        #expect(try select("$.messages[?(@.flag==true)].content") == [#""second""#])
        #expect(try select("$.messages[?(@.flag==false)].content") == [#""escaped role""#])
        #expect(try select("$.messages[?(@.meta.lang!='en')].content", all: true) == [
            #""be brief""#, #"[{"type": "text", "text": "hi"}]"#, #""escaped role""#,
        ])
        #expect(try select("$.messages[?(@.content[0].type=='text')].role") == [#""assistant""#])
        #expect(try select("$.usage[?(@==null)]", all: true) == ["null"])
        #expect(try select("$.numbers[?(@==20)]", all: true) == ["20"])
        #expect(try select("$.numbers[?(@=='20')]", all: true) == [])
    }

    @Test("first stops at the first match and does not read the rest")
    func lazy() throws {
        let truncated = #"{"a": {"b": 1}, "rest": [1, 2, "unterminated"#
        #expect(try select("$.a.b", in: truncated) == ["1"])
        let messages = #"[{"role": "user", "content": "x"}, {"role": "user", "content": "#
        #expect(try select("$[?(@.role=='user')].content", in: messages) == [#""x""#])
        #expect(throws: JSONError.self) { try select("$[?(@.role=='user')].content", in: messages, all: true) }
        #expect(throws: JSONError.self) { try select("$.missing", in: truncated) }
    }

    @Test("a 5 MB document validates and first returns the right slice")
    func largeDocument() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("model")
        writer.string("big")
        writer.key("messages")
        writer.beginArray()
        let filler = String(repeating: "lorem ipsum \"quoted\" \\ dolor sit amet, 日本語 ", count: 40)
        for index in 0..<2500 {
            writer.beginObject()
            writer.key("role")
            writer.string(index == 2400 ? "user" : "assistant")
            writer.key("index")
            writer.int(index)
            writer.key("content")
            writer.string(index == 2400 ? "the needle" : filler)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        let bytes = writer.bytes
        #expect(bytes.count > 5_000_000)
        let needle = Array(#""the needle""#.utf8)
        let expectedStart = try #require(
            bytes.indices.first { bytes[$0] == needle[0] && bytes[$0..<min(bytes.count, $0 + needle.count)].elementsEqual(needle) }
        )
        try bytes.withUnsafeBytes { raw in
            let scanner = JSONScanner(raw)
            try scanner.validate(0..<raw.count)
            let root = try scanner.value(in: 0..<raw.count)
            let path = try JSONPath("$.messages[?(@.role=='user')].content")
            let slice = try #require(try path.first(in: scanner, root: root))
            #expect(slice == JSONSlice(kind: .string, range: expectedStart..<(expectedStart + needle.count)))
            #expect(try scanner.string(slice) == "the needle")
            let index = try #require(try JSONPath("$.messages[?(@.role=='user')].index").first(in: scanner, root: root))
            #expect(scanner.int(index) == 2400)
            #expect(try JSONPath("$.messages[-1].index").first(in: scanner, root: root).flatMap { scanner.int($0) } == 2499)
            #expect(try JSONPath("$.messages[*].role").all(in: scanner, root: root).count == 2500)
        }
        #expect(try JSONSerialization.jsonObject(with: Data(bytes)) is [String: Any])
    }
}
