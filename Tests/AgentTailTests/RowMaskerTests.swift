import Foundation
import Testing

@testable import AgentTail

/// The masker remembers the history a session's LLM calls repeat; its result must be the redactor's, value for value.
struct RowMaskerTests {
    let redactor = Redactor()
    let session = UUID()

    func call(_ messages: [String], session: UUID) -> NormalizedRow {
        NormalizedRow(
            table: .llmCalls, id: UUID(),
            values: ["session_id": .uuid(session), "input": .json("[" + messages.joined(separator: ",") + "]")])
    }

    /// Each value masked alone by the redactor, as the masker must give.
    func expected(_ rows: [NormalizedRow]) -> [NormalizedRow] {
        rows.map { row in
            var row = row
            var single = [row]
            redactor.redact(&single)
            row = single[0]
            return row
        }
    }

    static func input(_ row: NormalizedRow) -> String {
        guard case .json(let text) = row["input"] else { return "" }
        return text
    }

    static let messages = [
        #"{"role":"system","content":"You are careful."}"#,
        #"{"role":"user","content":"deploy with OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv please"}"#,
        #"{"role":"assistant","content":"","tool_calls":[{"id":"c1","function":{"name":"bash","arguments":{"command":"ls"}}}]}"#,
        #"{"role":"tool","content":"found token ghp_0123456789abcdefghijABCDEFGHIJ012345 in .env"}"#,
        #"{"role":"assistant","content":"done","api_key":"plain-value-1"}"#,
    ]

    @Test func growingHistoryIsMaskedAsTheRedactorMasksEachInput() {
        let rows = (1...Self.messages.count).map { count in call(Array(Self.messages.prefix(count)), session: session) }
        var masker = RowMasker(redactor: redactor)
        var masked = rows
        let found = masker.redact(&masked)
        #expect(masked == expected(rows))
        // The key in message 2 is masked in every input from the second on, and the rest as they appear.
        #expect(found == 0 + 1 + 1 + 2 + 3)
        #expect(!masked.contains { Self.input($0).contains("sk-proj-") })
    }

    @Test func aChangedEarlierMessageIsScannedAgain() {
        var edited = Self.messages
        edited[0] = #"{"role":"system","content":"Use password=hunter2 for the db."}"#
        let rows = [call(Array(Self.messages.prefix(3)), session: session), call(Array(edited.prefix(4)), session: session)]
        var masker = RowMasker(redactor: redactor)
        var masked = rows
        masker.redact(&masked)
        #expect(masked == expected(rows))
        #expect(Self.input(masked[1]).contains("password=[REDACTED:secret_assignment]"))
    }

    @Test func sessionsAndTinyBudgetsDoNotMixHistories() {
        let other = UUID()
        let rows = [
            call(Array(Self.messages.prefix(2)), session: session),
            call([#"{"role":"user","content":"nothing secret"}"#, Self.messages[1]], session: other),
            call(Array(Self.messages.prefix(4)), session: session),
        ]
        for budget in [0, 100, 32 << 20] {
            var masker = RowMasker(redactor: redactor, budget: budget)
            var masked = rows
            masker.redact(&masked)
            #expect(masked == expected(rows), "budget \(budget)")
        }
    }

    /// A history of outputs larger than the whole memory is still scanned once: the memory holds digests, not bytes.
    /// A large output that holds a secret is scanned again each time, and masked each time.
    @Test func historiesLargerThanTheMemoryAreScannedOnce() {
        let huge = (0..<3).map { n in
            #"{"role":"tool","content":""# + String(repeating: "line \(n) of a long output\\n", count: 60_000) + "\"}"
        }
        let secret = #"{"role":"tool","content":""# + String(repeating: "more output\\n", count: 100_000)
            + #" AKIAIOSFODNN7EXAMPLE"}"#
        let history = [Self.messages[0], huge[0], Self.messages[1], huge[1], huge[2], Self.messages[2]]
        let rows = (1...history.count).map { count in call(Array(history.prefix(count)), session: session) }
        var masker = RowMasker(redactor: redactor, budget: 64 << 10)
        var masked = rows
        masker.redact(&masked)
        #expect(masked == expected(rows))
        #expect(masker.scannedElementBytes == history.reduce(0) { $0 + $1.utf8.count })
        #expect(huge.allSatisfy { $0.utf8.count > 1 << 20 })

        let withSecret = (1...3).map { count in call(Array(([secret] + history).prefix(count)), session: UUID()) }
        var secretMasker = RowMasker(redactor: redactor, budget: 64 << 10)
        var secretMasked = withSecret
        secretMasker.redact(&secretMasked)
        #expect(secretMasked == expected(withSecret))
        #expect(!secretMasked.contains { Self.input($0).contains("AKIAIOSFODNN7EXAMPLE") })
    }

    /// A long tool output is scanned as the tool's result; sent back to the model in the next request it is known
    /// clean and not scanned again. Anything that differs from it is scanned.
    @Test func aLongOutputFoundCleanIsNotScannedAgainInTheNextRequest() {
        let output = String(repeating: "total 48\ndrwxr-xr-x 2 dev dev 4096 src\n", count: 2_000)
        let leaked = output + "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        func tool(_ result: String) -> NormalizedRow {
            NormalizedRow(
                table: .toolExecutions, id: UUID(), values: ["session_id": .uuid(session), "result": .text(result)])
        }
        func message(_ content: String) -> String {
            let escaped = String(decoding: try! JSONEncoder().encode(content), as: UTF8.self)
            return #"{"role":"tool","content":"# + escaped + "}"
        }
        let rows = [
            tool(output), call([Self.messages[0], message(output)], session: session),
            tool(leaked), call([Self.messages[0], message(output), message(leaked)], session: session),
        ]
        var masker = RowMasker(redactor: redactor)
        var masked = rows
        masker.redact(&masked)
        #expect(masked == expected(rows))
        #expect(masker.cleanTextHits == 1)
        #expect(!masked.contains { row in
            row.values.contains { value in
                if case .text(let text) = value { return text.contains("wJalrXUtnFEMI") }
                if case .json(let text) = value { return text.contains("wJalrXUtnFEMI") }
                return false
            }
        })
    }

    @Test func valuesThatAreNotArraysOfASessionAreMaskedWhole() {
        let row = NormalizedRow(
            table: .toolExecutions, id: UUID(),
            values: [
                "session_id": .uuid(session), "arguments": .json(#"{"token":"abc123secret"}"#),
                "result": .text("AKIAIOSFODNN7EXAMPLE"),
            ])
        var masker = RowMasker(redactor: redactor)
        var masked = [row]
        #expect(masker.redact(&masked) == 2)
        #expect(masked == expected([row]))
    }

    /// The session state saved with a checkpoint keeps no secret of the log, and a run restored from it writes the
    /// rows an uninterrupted run writes.
    @Test func checkpointsAreMaskedAndRestoredStatesGiveTheSameRows() throws {
        var state = SessionState(sourcePath: "/logs/run.log")
        state.task = "deploy with export GH_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345"
        state.pendingRequest = SessionState.PendingRequest(
            callID: UUID(), seq: 2, offset: 10, startedAt: Date(timeIntervalSince1970: 0),
            input: "[" + Self.messages.joined(separator: ",") + "]")
        state.pendingToolCalls = [
            SessionState.PendingToolCall(
                call: ToolCall(id: "c1", name: "bash", arguments: #"{"command":"mysql -u root -pS3cretPass1 shop"}"#),
                llmCallID: UUID())
        ]
        let identity = FileIdentity(device: 1, inode: 2, fingerprintLength: 0, fingerprint: "")
        var checkpoints = [
            FileCheckpoint(fileKey: "k", source: "s", path: "/logs/run.log", identity: identity, offset: 0, size: 0, session: state)
        ]
        var masker = RowMasker(redactor: redactor)
        masker.redact(&checkpoints)
        let saved = String(decoding: try JSONEncoder().encode(checkpoints[0].session), as: UTF8.self)
        for secret in ["ghp_0123456789abcdefghij", "sk-proj-Ab3dEf6h", "S3cretPass1", "plain-value-1"] {
            #expect(!saved.contains(secret), "\(secret) in \(saved)")
        }
        // Masking what was masked changes nothing, so rows built from the saved state come out as the others do.
        let restored = checkpoints[0].session
        #expect(redactor.masked(restored.task!) == restored.task)
        #expect(redactor.masked(json: restored.pendingRequest!.input!) == restored.pendingRequest!.input)
        #expect(restored.pendingRequest!.input == redactor.masked(json: state.pendingRequest!.input!))
    }
}
