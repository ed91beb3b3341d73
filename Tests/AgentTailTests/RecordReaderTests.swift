import AgentTail
import AgentTailTestSupport
import Foundation
import Testing

@Suite("Answers about past runs")
struct RecordReaderTests {
    @Test func cursorsComeBackAsTheyWereGivenAndNothingElseIsOne() {
        for cursor in [
            PageCursor.after(startedAt: "2026-12-01T10:00:00.000Z", id: "ab"), .after(startedAt: nil, id: "cd"),
            .offset(0), .offset(140),
        ] {
            #expect(PageCursor(token: cursor.token) == cursor)
            #expect(!cursor.token.contains("=") && !cursor.token.contains("/") && !cursor.token.contains("+"))
        }
        for garbage in ["", "not-a-cursor", "eyJvIjoiLTEifQ", "eyJ4IjoiMSJ9", "e30"] {
            #expect(PageCursor(token: garbage) == nil, "\(garbage)")
        }
    }

    @Test func aCutTextSaysHowMuchItLeftOut() {
        let cut = TextCut(limit: 5)
        #expect(cut.text("12345") == "12345")
        #expect(cut.text("1234567") == "12345 […2 more characters cut]")
        #expect(cut.text("67890", length: 12, keep: .tail) == "[7 earlier characters cut…] 67890")
        #expect(cut.text(nil, length: nil) == nil)
    }

    @Test func toolRunsOfNoCallAreStepsInTheirPlaceAndPagesCoverEveryStepOnce() async throws {
        let folder = try TemporaryFolder()
        let store = try SeededStore(path: folder.file("events.sqlite"))
        try store.insert(.agentSessions, [
            "id": "5e55", "agent": "claude-code", "status": "completed", "started_at": "2026-12-01T10:00:00.000Z",
        ])
        for (seq, second) in [(1, 10), (2, 30)] {
            try store.insert(.llmCalls, [
                "id": "c\(seq)", "session_id": "5e55", "seq": seq,
                "started_at": String(format: "2026-12-01T10:00:%02d.000Z", second), "output": "answer \(seq)",
            ])
        }
        // A run of call 1, one before any call, one between the calls and one after them, none with a call.
        for (id, call, second) in [("t1", "c1", 12), ("t0", nil, 5), ("t2", nil, 20), ("t3", nil, 40)] as [(String, String?, Int)] {
            try store.insert(.toolExecutions, [
                "id": id, "session_id": "5e55", "llm_call_id": call, "tool_name": "bash", "success": 1,
                "started_at": String(format: "2026-12-01T10:00:%02d.000Z", second),
            ])
        }
        let reader = RecordReader(path: store.path)
        var steps: [String] = []
        var cursor: PageCursor?
        repeat {
            let page = try await reader.session("5e55", limit: 2, cursor: cursor, textCut: TextCut(limit: 100))
            #expect(page.stepsTotal == 5)
            steps += page.steps.map { step in step.call.map { "\($0.id)[\(step.tools.map(\.id).joined())]" } ?? step.tools[0].id }
            cursor = page.nextCursor.flatMap(PageCursor.init(token:))
        } while cursor != nil
        #expect(steps == ["t0", "c1[t1]", "t2", "c2[]", "t3"])
        await #expect(throws: RecordReader.Problem.noSession(id: "ffff")) {
            try await reader.session("ffff", limit: 2, cursor: nil, textCut: TextCut(limit: 100))
        }
    }
}
