import Foundation
import Logging

/// Puts dead letters back in their sink's queue and delivers them at once, then tells what became of each: taken,
/// refused again (kept as a dead letter with the new reason), or still waiting because the sink is failing (the
/// next `run` delivers them).
package struct DeadLetterRetry: Sendable {
    package let store: StateStore
    /// The sinks of the configuration, by name.
    package let sinks: [any Sink]
    package let redactor: Redactor
    package let logger: Logger
    /// How long to keep trying a sink that fails in a way worth retrying.
    package var patience: Duration = .seconds(30)

    package init(store: StateStore, sinks: [any Sink], redactor: Redactor, logger: Logger) {
        self.store = store
        self.sinks = sinks
        self.redactor = redactor
        self.logger = logger
    }

    /// What became of the rows put back for one sink.
    package struct Outcome: Sendable {
        package var sink: String
        package var delivered: [StateStore.Requeued] = []
        /// Refused again, with the new reason.
        package var refused: [(row: StateStore.Requeued, reason: String)] = []
        /// Still in the queue: the sink failed meanwhile (its last error) or stopped.
        package var waiting: [StateStore.Requeued] = []
        package var lastError: String?
    }

    /// Retries the dead letters `filter` takes whose sink is configured; letters of other sinks stay as they are.
    package func retry(_ filter: StateStore.DeadLetterFilter) async throws -> [Outcome] {
        let names = sinks.map(\.name)
        let started = Date()
        var outcomes: [Outcome] = []
        for sink in sinks where filter.sink == nil || filter.sink == sink.name {
            var own = filter
            own.sink = sink.name
            let requeued = try await store.requeueDeadLetters(own)
            guard !requeued.isEmpty else { continue }
            let delivery = SinkDelivery(sink: sink, store: store, enabled: names, redactor: redactor, logger: logger)
            let deadline = ContinuousClock.now + patience
            var backoff = RetryBackoff()
            rounds: while true {
                switch await delivery.deliverAvailable() {
                case .drained, .stopped:
                    break rounds
                case .retry(let after, let progressed):
                    if progressed { backoff.reset() }
                    let delay = max(backoff.next(), after ?? .zero)
                    guard ContinuousClock.now + delay < deadline else { break rounds }
                    try await Task.sleep(for: delay)
                }
            }
            outcomes.append(try await outcome(of: requeued, sink: sink.name, since: started))
        }
        return outcomes
    }

    private func outcome(of requeued: [StateStore.Requeued], sink: String, since: Date) async throws -> Outcome {
        var outcome = Outcome(sink: sink)
        let refusedNow = try await store.deadLetters(StateStore.DeadLetterFilter(sink: sink, since: since))
        let reasons = Dictionary(refusedNow.map { ($0.eventID, $0.reason) }) { _, last in last }
        let acked = try await store.cursor(of: sink)
        for row in requeued {
            if let reason = reasons[row.letter.eventID] {
                outcome.refused.append((row, reason))
            } else if acked >= row.seq {
                outcome.delivered.append(row)
            } else {
                outcome.waiting.append(row)
            }
        }
        if !outcome.waiting.isEmpty { outcome.lastError = try await store.sinkStatus(sink).lastError }
        return outcome
    }
}
