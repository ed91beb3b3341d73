import AgentTail
import AgentTailTestSupport
import Foundation
import Testing

@Suite("Summary of the local store")
struct LocalStoreReportTests {
    @Test func listsTheLatestSessionsOfABigStore() async throws {
        let folder = try TemporaryFolder()
        let store = try SeededStore(path: folder.file("events.sqlite"))
        for index in 0..<25 {
            try store.insert(.agentSessions, [
                "id": "s\(index)", "agent": "mini-agent", "status": "completed", "llm_calls": 1, "tool_calls": 0,
                "tool_errors": 0, "source_path": "/logs/agent_run_\(index).log", "task": "task \(index)",
                "started_at": String(format: "2026-12-01T10:%02d:00.000Z", index),
            ])
        }
        let text = try await LocalStoreReport.make(path: store.path).text
        let listed = text.split(separator: "\n").filter { $0.contains("agent_run_") }
        #expect(listed.count == 20)
        #expect(listed.first?.contains("agent_run_5.log") == true && listed.last?.contains("agent_run_24.log") == true)
        #expect(text.contains("the last 20 of 25 sessions"))
    }

    @Test func printsEachErrorPatternOnOneLineCutToTheWidth() async throws {
        let folder = try TemporaryFolder()
        let store = try SeededStore(path: folder.file("events.sqlite"))
        let traceback = "Traceback (most recent call last):\n  File \"x.py\", line 1\n\u{1B}[31mValueError: " + String(repeating: "x", count: 300)
        try store.insert(.agentErrors, [
            "id": "e1", "source": "tool", "fingerprint": "F1", "message": traceback,
            "occurred_at": "2026-12-01T10:00:00.000Z",
        ])
        let text = try await LocalStoreReport.make(path: store.path, width: 60).text
        let line = try #require(text.split(separator: "\n").first { $0.contains("error (tool)") })
        #expect(line == "  error (tool) x1: Traceback (most recent call last):")
        let long = "ValueError: " + String(repeating: "y", count: 300)
        try store.insert(.agentErrors, [
            "id": "e2", "source": "tool", "fingerprint": "F2", "message": long, "occurred_at": "2026-12-01T10:00:00.000Z",
        ])
        let cut = try await LocalStoreReport.make(path: store.path, width: 60).text
        let longLine = try #require(cut.split(separator: "\n").first { $0.contains("ValueError") })
        #expect(longLine.count == 60 && longLine.hasSuffix("…"))
        #expect(!cut.contains("\u{1B}"))
    }
}
