import Foundation
import Synchronization
import Testing

@testable import AgentTail

struct BatchSplitterTests {
    @Test func refusedItemsAreIsolatedAndTheRestAccepted() async throws {
        let requests = Mutex(0)
        let accepted = Mutex<[Int]>([])
        let refused = try await BatchSplitter.deliver(
            Array(0..<8),
            post: { (items: [Int]) async throws(SinkError) -> BatchSplitter.Answer in
                requests.withLock { $0 += 1 }
                return items.contains(5) ? .refused("bad \(items)") : .accepted
            },
            settled: { ok, _ in accepted.withLock { $0 += ok } })
        #expect(refused.map(\.item) == [5])
        #expect(refused.first?.reason == "bad [5]")
        #expect(accepted.withLock { $0.sorted() } == [0, 1, 2, 3, 4, 6, 7])
        // 8 → 4+4 → 2+2 → 1+1: one request per level on the poisoned side, one per clean half.
        #expect(requests.withLock { $0 } == 7)
    }

    @Test func settledRowsAreSkippedOnRetryUnlessTheyChanged() {
        let memory = DeliveryMemory()
        let id = UUID()
        let first = NormalizedRow(table: .agentSessions, id: id, values: ["status": .text("running")])
        let other = NormalizedRow(table: .toolExecutions, id: UUID(), values: ["tool_name": .text("bash")])
        memory.settle(accepted: [first], refused: [(other, "HTTP 400")])
        let again = memory.unsettled([first, other])
        #expect(again.pending.isEmpty)
        #expect(again.refused == [Rejection(id: other.id, reason: "HTTP 400")])
        let changed = NormalizedRow(table: .agentSessions, id: id, values: ["status": .text("completed")])
        #expect(memory.unsettled([changed]).pending == [changed])
        memory.clear()
        #expect(memory.unsettled([first]).pending == [first])
    }
}
