import Foundation
import Logging
import Synchronization

/// The outbox's sinks, each with its own delivery: rows leave the outbox once every sink has them.
package final class Shipper: Sendable {
    package let store: StateStore
    package let deliveries: [SinkDelivery]
    private let lastRetryAfter = Mutex<Duration?>(nil)

    package init(
        store: StateStore, sinks: [any Sink], batchSize: Int = 500, redactor: Redactor = Redactor(),
        metrics: PipelineMetrics? = nil, logger: Logger
    ) {
        self.store = store
        let names = sinks.map(\.name)
        deliveries = sinks.map { sink in
            SinkDelivery(
                sink: sink, store: store, enabled: names, batchSize: batchSize, redactor: redactor, metrics: metrics,
                logger: logger)
        }
    }

    package var sinks: [any Sink] { deliveries.map(\.sink) }

    /// Names of sinks stopped by a fatal error.
    package var stoppedSinks: Set<String> { Set(deliveries.filter { $0.stopReason != nil }.map(\.name)) }

    /// The longest wait a destination asked for (`Retry-After`) in the last round that failed.
    package var requestedDelay: Duration? { lastRetryAfter.withLock { $0 } }

    /// The outcome of one round over every sink.
    package enum Outcome: Sendable, Equatable {
        /// Every running sink has everything.
        case drained
        /// A sink failed in a way worth retrying.
        case retry
    }

    /// One round of every running sink, side by side.
    package func deliverAvailable() async -> Outcome {
        let rounds = await withTaskGroup(of: SinkDelivery.Round.self) { group in
            for delivery in deliveries { group.addTask { await delivery.deliverAvailable() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var retryAfter: Duration?
        var outcome = Outcome.drained
        for case .retry(let after, _) in rounds {
            outcome = .retry
            if let after { retryAfter = max(retryAfter ?? .zero, after) }
        }
        lastRetryAfter.withLock { $0 = retryAfter }
        return outcome
    }
}
