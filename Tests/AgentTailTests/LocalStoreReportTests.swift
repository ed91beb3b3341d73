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
}
