import Testing

import AgentTailTestSupport
@testable import AgentTail
@testable import AgentTailCore

/// Feeds `bytes` in chunks of the given sizes (the last chunk takes the rest) and returns the tracker.
private func track(_ bytes: [UInt8], chunks: [Int]) -> (end: Int?, tracker: JSONValueTracker) {
    var tracker = JSONValueTracker()
    var end: Int?
    var offset = 0
    var sizes = chunks[...]
    bytes.withUnsafeBytes { raw in
        while offset < raw.count {
            let size = min(sizes.popFirst() ?? raw.count, raw.count - offset)
            let result = tracker.feed(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]))
            if end == nil { end = result }
            offset += size
        }
    }
    return (end, tracker)
}

/// The inputs: a prefix that comes before the value, the value, and what follows it.
private let cases: [(prefix: String, value: String, suffix: String)] = [
    ("", #"{"a":1}"#, ""),
    ("LLM Request:\n\n", #"{"model": "m", "messages": [{"role": "user", "content": "say \"hi\" {["}]}"#, "\nnext line"),
    ("Response: ", #"["\\", "\\\\", "\"", "a\\\"b", "]", "}", "{", "["]"#, " trailing"),
    ("label\n", #"{"path": "C:\\dir\\", "q": "\\\"", "arr": [[[]]], "o": {"}": "{"}}"#, "\n\n"),
    ("", "{\n  \"nested\": {\n    \"deeper\": [\n      1,\n      \"x\\n\"\n    ]\n  }\n}", "\n"),
    ("x: ", #"{"unicode": "日本語 🎉 \u00e9", "emptyString": "", "escapedSlash": "\/"}"#, "}}}"),
    ("", "[" + String(repeating: "[\"\\\\\"],", count: 50) + "0" + "]", ""),
    ("LLM Response:\n", "{" + (0..<40).map { "\"k\($0)\": \"\(String(repeating: "v\\\"", count: $0))\"" }.joined(separator: ", ") + "}", "\n"),
]

@Suite("JSONValueTracker")
struct JSONValueTrackerTests {
    @Test("fed whole, the end and start match the value")
    func whole() {
        for item in cases {
            let bytes = Array((item.prefix + item.value + item.suffix).utf8)
            let (end, tracker) = track(bytes, chunks: [bytes.count])
            let start = item.prefix.utf8.count
            #expect(end == start + item.value.utf8.count, "\(item.value)")
            #expect(tracker.valueStart == start)
            #expect(tracker.isComplete)
        }
    }

    @Test("fed byte by byte, the end is the same as fed whole")
    func byteByByte() {
        for item in cases {
            let bytes = Array((item.prefix + item.value + item.suffix).utf8)
            let whole = track(bytes, chunks: [bytes.count])
            let single = track(bytes, chunks: Array(repeating: 1, count: bytes.count))
            #expect(single.end == whole.end)
            #expect(single.tracker.valueStart == whole.tracker.valueStart)
        }
    }

    @Test("fed in seeded random chunk sizes, the end is the same as fed whole")
    func randomChunks() {
        var random = SeededGenerator(seed: 0xA6E7_7A11)
        for item in cases {
            let bytes = Array((item.prefix + item.value + item.suffix).utf8)
            let whole = track(bytes, chunks: [bytes.count])
            for _ in 0..<200 {
                var sizes: [Int] = []
                var total = 0
                while total < bytes.count {
                    let size = Int.random(in: 1...17, using: &random)
                    sizes.append(size)
                    total += size
                }
                let chunked = track(bytes, chunks: sizes)
                #expect(chunked.end == whole.end)
                #expect(chunked.tracker.valueStart == whole.tracker.valueStart)
            }
        }
    }

    @Test("every split into two chunks (so every backslash lands at a chunk edge) gives the same end")
    func everySplit() {
        for item in cases {
            let bytes = Array((item.prefix + item.value + item.suffix).utf8)
            let whole = track(bytes, chunks: [bytes.count])
            for cut in 1..<bytes.count {
                #expect(track(bytes, chunks: [cut]).end == whole.end)
            }
        }
    }

    @Test("an unfinished value returns nil until it closes, then the same end forever")
    func incompleteThenComplete() {
        var tracker = JSONValueTracker()
        let first = Array("LLM Request:\n{\"a\": \"x\\".utf8)
        let second = Array("\"}\"\n".utf8)
        #expect(first.withUnsafeBytes { tracker.feed($0) } == nil)
        #expect(!tracker.isComplete)
        #expect(tracker.valueStart == 13)
        // The backslash ended the first chunk, so the quote that starts the second one is escaped.
        #expect(second.withUnsafeBytes { tracker.feed($0) } == nil)
        #expect(Array("}".utf8).withUnsafeBytes { tracker.feed($0) } == first.count + second.count + 1)
        let end = first.count + second.count + 1
        #expect(Array("[[[".utf8).withUnsafeBytes { tracker.feed($0) } == end)
        #expect(tracker.isComplete)
    }

    @Test("text without a bracket is skipped, and empty chunks change nothing")
    func labelOnly() {
        var tracker = JSONValueTracker()
        #expect(Array("LLM Request:\n\n".utf8).withUnsafeBytes { tracker.feed($0) } == nil)
        #expect(tracker.valueStart == nil)
        #expect([UInt8]().withUnsafeBytes { tracker.feed($0) } == nil)
        #expect(Array("[1]".utf8).withUnsafeBytes { tracker.feed($0) } == 17)
        #expect(tracker.valueStart == 14)
    }

    @Test("reset starts over")
    func reset() {
        var tracker = JSONValueTracker()
        #expect(Array("{}".utf8).withUnsafeBytes { tracker.feed($0) } == 2)
        tracker.reset()
        #expect(!tracker.isComplete)
        #expect(tracker.valueStart == nil)
        #expect(Array("  [ ]".utf8).withUnsafeBytes { tracker.feed($0) } == 5)
        #expect(tracker.valueStart == 2)
    }

    @Test("a long value of long strings and indentation fed in 4 KB chunks")
    func longValue() {
        var writer = JSONWriter()
        writer.beginArray()
        for index in 0..<2000 {
            writer.string(String(repeating: "x\"\\y", count: index % 37) + String(repeating: " ", count: index % 19))
        }
        writer.endArray()
        let bytes = Array("label\n".utf8) + writer.bytes + Array("\n".utf8)
        let whole = track(bytes, chunks: [bytes.count])
        #expect(whole.end == bytes.count - 1)
        let chunked = track(bytes, chunks: Array(repeating: 4096, count: bytes.count / 4096 + 1))
        #expect(chunked.end == whole.end)
    }
}
