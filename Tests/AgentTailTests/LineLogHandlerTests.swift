import AgentTail
import Foundation
import Logging
import Testing

@Suite("Log lines")
struct LineLogHandlerTests {
    let time = Date(timeIntervalSince1970: 1_796_247_334)  // 2026-12-02T21:35:34Z

    @Test func textPutsTimeLevelAndMessageFirstThenSortedMetadata() {
        let line = LineLogHandler.line(
            format: .text, time: time, level: .warning, message: "delivery failed",
            metadata: ["sink": "langfuse", "error": "HTTP 429 Too Many Requests", "attempt": "3", "empty": ""])
        #expect(
            line == #"2026-12-02T21:35:34Z warning delivery failed attempt=3 empty="" error="HTTP 429 Too Many Requests" sink=langfuse"#)
    }

    @Test func aLineNeverBreaks() {
        let line = LineLogHandler.line(
            format: .text, time: time, level: .error, message: "parse failed\nat line 2",
            metadata: ["error": "Traceback:\n  File \"x\"\u{1B}[31m", "path": "/a b=c"])
        #expect(!line.contains("\n") && !line.contains("\u{1B}"))
        #expect(
            line == #"2026-12-02T21:35:34Z error parse failed\nat line 2 error="Traceback:\n  File \"x\"\u001B[31m" path="/a b=c""#)
    }

    @Test func jsonHasStableKeysAndKeepsTheMetadata() throws {
        let line = LineLogHandler.line(
            format: .json, time: time, level: .info, message: "session concluded",
            metadata: ["status": "completed", "message": "shadowed", "files": .array(["a", "b"])])
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2026-12-02T21:35:34Z")
        #expect(object["level"] as? String == "info")
        #expect(object["message"] as? String == "session concluded")
        #expect(object["meta.message"] as? String == "shadowed")
        #expect(object["status"] as? String == "completed")
        #expect(object["files"] as? [String] == ["a", "b"])
    }
}
