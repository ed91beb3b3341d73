import Foundation
import Logging
import ServiceLifecycle

/// Delivers to one sink at its own pace: a round whenever rows are ready, a backoff of its own after a failure
/// (never shorter than the destination asked for, restarted whenever a round gets something through), so that an
/// outage, a slow answer or a refused key in one sink never delays another.
package struct DeliveryLoop: Sendable {
    package let delivery: SinkDelivery
    /// Poked after every round: rows may have left the outbox, so a paused reader may go on.
    package let roundDone: Wakeup
    /// How long rows are gathered after a wake-up before a round starts (`delivery.batch_window`).
    package var batchWindow: Duration = .zero
    /// Once the input ends: nil to make one last round and return (a service shutting down), or how long to keep
    /// trying without any successful round before giving up (a catch-up finishing its work). In a catch-up, the
    /// same wait without success gives up while rows still come.
    package var giveUpAfter: Duration?
    package var backoff = RetryBackoff()

    package init(delivery: SinkDelivery, roundDone: Wakeup, batchWindow: Duration = .zero, giveUpAfter: Duration? = nil) {
        self.delivery = delivery
        self.roundDone = roundDone
        self.batchWindow = batchWindow
        self.giveUpAfter = giveUpAfter
    }

    /// How the loop ended.
    package enum End: Sendable, Equatable {
        /// The input ended and the sink has what it could take (everything, unless shutting down cut it short).
        case finished
        /// The sink stopped for good (a refused key).
        case stopped
        /// No round succeeded for `giveUpAfter`.
        case gaveUp
    }

    /// Runs rounds as `ready` wakes it, until `ready` ends.
    package func run(ready: AsyncStream<Void>) async -> End {
        var backoff = self.backoff
        var wakeups = ready.makeAsyncIterator()
        var lastSuccess = ContinuousClock.now
        var inputOpen = true
        while true {
            if inputOpen {
                if await wakeups.next() == nil {
                    inputOpen = false
                } else if batchWindow > .zero {
                    // Shutting down ends the wait early; the round below delivers what is there.
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: batchWindow) }
                }
            }
            rounds: while true {
                let round = await delivery.deliverAvailable()
                roundDone.poke()
                switch round {
                case .stopped:
                    return .stopped
                case .drained:
                    backoff.reset()
                    lastSuccess = .now
                    break rounds
                case .retry(let after, let progressed):
                    if progressed {
                        backoff.reset()
                        lastSuccess = .now
                    }
                    if let giveUpAfter, ContinuousClock.now - lastSuccess >= giveUpAfter { return .gaveUp }
                    if !inputOpen, giveUpAfter == nil { return .finished }
                    let delay = max(backoff.next(), after ?? .zero)
                    do {
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                    } catch {
                        // Shutting down: one last round, then return.
                        inputOpen = false
                    }
                }
            }
            if !inputOpen { return .finished }
        }
    }
}
