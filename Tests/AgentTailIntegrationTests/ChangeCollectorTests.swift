import Foundation
import Testing

@testable import AgentTail

@Suite("ChangeCollector")
struct ChangeCollectorTests {
    @Test func dropsPathsBeyondLimitForRescan() async {
        let collector = ChangeCollector(queue: DispatchQueue(label: "test"), maxPaths: 3)
        defer { collector.close() }
        collector.add(["/a", "/b", "/c"])
        #expect(await collector.wait(timeout: .zero) == ChangeSet(paths: ["/a", "/b", "/c"]))
        collector.add(["/a", "/b", "/c", "/d"])
        #expect(await collector.wait(timeout: .zero) == ChangeSet(paths: [], rescan: true))
        #expect(await collector.wait(timeout: .zero) == ChangeSet())
    }

    @Test func newWaiterSupersedesWaitingOne() async {
        let collector = ChangeCollector(queue: DispatchQueue(label: "test"))
        defer { collector.close() }
        let first = Task { await collector.wait(timeout: .seconds(60)) }
        await waitUntil { collector.hasWaiter }
        let second = Task { await collector.wait(timeout: .seconds(60)) }
        #expect(await first.value == ChangeSet())
        await waitUntil { collector.hasWaiter }
        collector.add(["/x"])
        #expect(await second.value == ChangeSet(paths: ["/x"]))
    }

    @Test func cancelledWaiterKeepsChangesForNextCall() async {
        let collector = ChangeCollector(queue: DispatchQueue(label: "test"))
        defer { collector.close() }
        let waiting = Task { await collector.wait(timeout: .seconds(60)) }
        await waitUntil { collector.hasWaiter }
        waiting.cancel()
        #expect(await waiting.value == nil)
        #expect(!collector.hasWaiter)
        collector.add(["/kept"])
        #expect(await collector.wait(timeout: .seconds(60)) == ChangeSet(paths: ["/kept"]))
    }

    @Test func timeoutAndCloseResumeWaiter() async {
        let collector = ChangeCollector(queue: DispatchQueue(label: "test"))
        #expect(await collector.wait(timeout: .milliseconds(20)) == ChangeSet())
        let waiting = Task { await collector.wait(timeout: .seconds(60)) }
        await waitUntil { collector.hasWaiter }
        collector.close()
        #expect(await waiting.value == nil)
        #expect(await collector.wait(timeout: .zero) == nil)
        collector.add(["/late"])
        #expect(await collector.wait(timeout: .zero) == nil)
    }
}

/// Yields until `condition` holds, failing the test after ten seconds.
private func waitUntil(sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool) async {
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(10)
    while !condition() {
        guard clock.now < deadline else {
            Issue.record("condition not met in time", sourceLocation: sourceLocation)
            return
        }
        await Task.yield()
    }
}
