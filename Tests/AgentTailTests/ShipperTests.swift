import Foundation
import Logging
import Synchronization
import Testing

import AgentTailTestSupport

@testable import AgentTail
@testable import AgentTailCore

struct ShipperTests {
    func rows(_ count: Int, session: UUID = UUID()) -> [NormalizedRow] {
        (0..<count).map { index in
            NormalizedRow(
                table: .toolExecutions, id: UUID(v5: "row \(index) \(session)"),
                values: ["session_id": .uuid(session), "tool_name": .text("bash"), "success": .bool(true)])
        }
    }

    func store(with rows: [NormalizedRow]) async throws -> StateStore {
        let store = try StateStore(inMemory: ())
        var commit = StateStore.Commit()
        commit.rows = rows
        try store.commitBlocking(commit)
        return store
    }

    var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    @Test func rowsLeaveTheOutboxOnlyWhenEverySinkHasThem() async throws {
        let input = rows(3)
        let store = try await store(with: input)
        let fast = RecordingSink(name: "fast")
        let slow = RecordingSink(name: "slow", behaviour: .retry())
        let shipper = Shipper(store: store, sinks: [fast, slow], logger: logger)
        #expect(await shipper.deliverAvailable() == .retry)
        #expect(shipper.requestedDelay == .seconds(2))
        #expect(try await store.outboxCount() == 3)
        #expect(try await store.outboxDepth(for: "fast") == 0)
        #expect(try await store.outboxDepth(for: "slow") == 3)
        #expect(try await store.sinkStatus("slow").lastError == "down")
        slow.behave(.accept)
        #expect(await shipper.deliverAvailable() == .drained)
        #expect(try await store.outboxCount() == 0)
        #expect(fast.received.flatMap { $0 } == input)
        #expect(slow.received.last == input)
        #expect(try await store.sinkStatus("slow").lastError == nil)
    }

    @Test func rejectedRowsBecomeDeadLettersAndTheRestIsAcknowledged() async throws {
        let input = rows(5)
        let store = try await store(with: input)
        let sink = RecordingSink(name: "picky", behaviour: .reject([input[2].id]))
        let shipper = Shipper(store: store, sinks: [sink], logger: logger)
        #expect(await shipper.deliverAvailable() == .drained)
        #expect(try await store.outboxCount() == 0)
        let dead = try await store.deadLetters(sink: "picky")
        #expect(dead.map(\.eventID) == [input[2].id.lowercased])
        #expect(dead.first?.reason == "HTTP 400 23514: bad")
    }

    /// A destination's answer may quote the row it refuses: what is stored as the reason and the last error is masked.
    @Test func deadLetterReasonsAndSinkErrorsAreMasked() async throws {
        let input = rows(2)
        let store = try await store(with: input)
        let sink = RecordingSink(
            name: "picky", behaviour: .reject([input[0].id], reason: "HTTP 400: bad value 'export GH_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345'"))
        let shipper = Shipper(store: store, sinks: [sink], logger: logger)
        #expect(await shipper.deliverAvailable() == .drained)
        let reason = try #require(try await store.deadLetters(sink: "picky").first?.reason)
        #expect(!reason.contains("ghp_0123456789") && reason.contains("[REDACTED:"), "\(reason)")
        let more = rows(1, session: UUID())
        var commit = StateStore.Commit()
        commit.rows = more
        try store.commitBlocking(commit)
        sink.behave(.retry(reason: "HTTP 503: upstream said PGPASSWORD=Zq8xLm2Pw9Vb"))
        #expect(await shipper.deliverAvailable() == .retry)
        let lastError = try #require(try await store.sinkStatus("picky").lastError)
        #expect(!lastError.contains("Zq8xLm2Pw9Vb") && lastError.contains("[REDACTED:"), "\(lastError)")
    }

    @Test func fatalErrorStopsOnlyThatSink() async throws {
        let store = try await store(with: rows(2))
        let broken = RecordingSink(name: "broken", behaviour: .fatal)
        let healthy = RecordingSink(name: "healthy")
        let shipper = Shipper(store: store, sinks: [broken, healthy], logger: logger)
        #expect(await shipper.deliverAvailable() == .drained)
        #expect(shipper.stoppedSinks == ["broken"])
        #expect(healthy.received.count == 1)
        #expect(try await store.outboxDepth(for: "broken") == 2)
        #expect(try await store.sinkStatus("broken").lastError == "key refused")
        // A stopped sink is not called again until a restart.
        _ = await shipper.deliverAvailable()
        #expect(broken.received.count == 1)
    }

    @Test func onlyTheLatestVersionOfARowIsSentSessionsFirst() throws {
        let session = UUID()
        let tool = rows(1, session: session)[0]
        let v1 = NormalizedRow(table: .agentSessions, id: session, values: ["status": .text("running")])
        let v2 = NormalizedRow(table: .agentSessions, id: session, values: ["status": .text("completed")])
        #expect([v1, tool, v2].latestVersions() == [v2, tool])
    }
}

struct FieldCapTests {
    @Test func longTextIsCutOnACharacterBoundaryWithAMarker() {
        let row = NormalizedRow(
            table: .toolExecutions, id: UUID(), values: ["result": .text(String(repeating: "é", count: 1000))])
        let capped = FieldCap.apply(to: row, limit: 201)
        guard case .text(let text) = capped["result"] else {
            Issue.record("result is not text")
            return
        }
        // 201 bytes leave 137 for text before the marker: 68 two-byte characters, never half of one.
        #expect(text == String(repeating: "é", count: 68) + " […truncated by agenttail: 2000 bytes]")
        #expect(text.utf8.count <= 201)
    }

    @Test func aCutKeepsWholeCharactersOnly() {
        // Characters of several scalars: a family emoji, a flag, a letter with a combining accent.
        let text = "ab👩‍👩‍👧 🇫🇷 e\u{301}数据 ok"
        let characters = Array(text)
        for budget in 0...(text.utf8.count + 1) {
            let cut = FieldCap.cut(text, to: budget)
            // The longest run of whole characters from the start that fits the budget.
            var fits = 0
            var bytes = 0
            while fits < characters.count, bytes + String(characters[fits]).utf8.count <= budget {
                bytes += String(characters[fits]).utf8.count
                fits += 1
            }
            #expect(cut == String(characters.prefix(fits)), "budget \(budget)")
        }
    }

    @Test func longJSONBecomesAValidMarkerObject() throws {
        let json = "[" + (0..<1000).map(String.init).joined(separator: ",") + "]"
        let row = NormalizedRow(table: .llmCalls, id: UUID(), values: ["input": .json(json), "output": .text("short")])
        let capped = FieldCap.apply(to: row, limit: 200)
        guard case .json(let replaced) = capped["input"] else {
            Issue.record("input is not JSON")
            return
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(replaced.utf8)) as? [String: Any])
        #expect(object["agenttail_truncated"] as? Bool == true)
        #expect(object["bytes"] as? Int == json.utf8.count)
        #expect((object["head"] as? String)?.hasPrefix("[0,1,2") == true)
        #expect(capped["output"] == .text("short"))
    }
}

struct RetryAfterTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test func secondsAndHTTPDatesAreHonouredWithinAnHour() {
        #expect(HTTPExchange.retryDelay("7", now: now) == .seconds(7))
        #expect(HTTPExchange.retryDelay("86400", now: now) == .seconds(3600))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        #expect(HTTPExchange.retryDelay(formatter.string(from: now.addingTimeInterval(42)), now: now) == .seconds(42))
        #expect(HTTPExchange.retryDelay(formatter.string(from: now.addingTimeInterval(-5)), now: now) == .zero)
        #expect(HTTPExchange.retryDelay("soon", now: now) == nil)
        #expect(HTTPExchange.retryDelay("-3", now: now) == nil)
    }
}
