import Testing

@testable import AgentTail

@Suite("ChangeCollector")
struct ChangeCollectorTests {
    @Test func dropsPathsBeyondLimitForRescan() {
        let collector = ChangeCollector(maxPaths: 3)
        defer { collector.close() }
        collector.add(["/a", "/b", "/c"])
        #expect(collector.take() == ChangeSet(paths: ["/a", "/b", "/c"]))
        collector.add(["/a", "/b", "/c", "/d"])
        #expect(collector.take() == ChangeSet(paths: [], rescan: true))
        #expect(collector.take() == ChangeSet())
    }

    @Test func burstOfChangesIsOneWakeUp() async {
        let collector = ChangeCollector()
        for index in 0..<100 { collector.add(["/file-\(index)"]) }
        collector.requestRescan()
        var signals = collector.signals.makeAsyncIterator()
        #expect(await signals.next() != nil)
        let taken = collector.take()
        #expect(taken?.paths.count == 100)
        #expect(taken?.rescan == true)
        // Closing ends the stream: had the burst queued more than one signal, one would still be delivered here.
        collector.close()
        #expect(await signals.next() == nil)
    }

    @Test func emptyAddDoesNotWakeButHeartbeatDoes() async {
        let collector = ChangeCollector()
        collector.add([String]())
        collector.heartbeat()
        var signals = collector.signals.makeAsyncIterator()
        #expect(await signals.next() != nil)
        #expect(collector.take() == ChangeSet())
        collector.close()
        #expect(await signals.next() == nil)
    }

    @Test func closeDropsAndRefusesChanges() {
        let collector = ChangeCollector()
        collector.add(["/before"])
        #expect(collector.close())
        #expect(collector.take() == nil)
        collector.add(["/late"])
        #expect(collector.take() == nil)
        #expect(!collector.close())
    }
}
