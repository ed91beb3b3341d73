import Foundation
import Logging
import ServiceLifecycle

/// Watches the log folders and feeds what changes through the ingestor, live.
///
/// On graceful shutdown it stops watching, finishes the step in progress (which commits), and returns; nothing read
/// is left uncommitted. On cancellation it returns at the next step boundary.
package struct IngestService: Service {
    package let ingestor: Ingestor
    package let watcher: DirectoryWatcher
    /// Poked after every commit that added rows.
    package let outboxReady: Wakeup
    /// Poked by the shipper after it removed rows, to resume a paused tailer.
    package let outboxDrained: Wakeup
    package let logger: Logger
    /// How often silent sessions are checked when nothing changes.
    package var tick: Duration = .seconds(1)
    /// How long changes are gathered after the first one (`tailing.batch_window`).
    package var batchWindow: Duration = .zero

    package init(ingestor: Ingestor, watcher: DirectoryWatcher, outboxReady: Wakeup, outboxDrained: Wakeup, logger: Logger) {
        self.ingestor = ingestor
        self.watcher = watcher
        self.outboxReady = outboxReady
        self.outboxDrained = outboxDrained
        self.logger = logger
    }

    package func run() async throws {
        let watcher = self.watcher
        await withGracefulShutdownHandler {
            watcher.setDirectories(ingestor.directories)
            var changed: Set<String>? = nil
            var drained = outboxDrained.stream.makeAsyncIterator()
            var backoff = RetryBackoff()
            while !Task.isCancelled {
                let result: Ingestor.StepResult
                do {
                    result = try await ingestor.step(changed: changed)
                    backoff.reset()
                } catch {
                    // Nothing of the failed step was committed: start again from the stored checkpoints.
                    logger.error("storing what was read failed; retrying", metadata: ["error": "\(error)"])
                    let delay = backoff.next()
                    do {
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                        try await ingestor.reload()
                    } catch {
                        break
                    }
                    changed = nil
                    continue
                }
                if result.outboxRows > 0 { outboxReady.poke() }
                if result.paused {
                    logger.warning("outbox full; tailing paused until sinks catch up")
                    outboxReady.poke()
                    if await drained.next() == nil { break }
                    changed = nil
                    continue
                }
                guard var changes = await watcher.nextChanges(timeout: tick) else { break }
                if !changes.isEmpty, !changes.rescan, batchWindow > .zero {
                    // The writes that follow the first one (the rest of the entry) join this step.
                    do {
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: batchWindow) }
                    } catch {
                        // Shutting down: read what arrived, then stop.
                    }
                    if let more = await watcher.nextChanges(timeout: .zero) {
                        changes.paths.formUnion(more.paths)
                        changes.rescan = changes.rescan || more.rescan
                    }
                }
                if changes.rescan {
                    watcher.setDirectories(ingestor.directories)
                    changed = nil
                } else {
                    changed = changes.paths
                }
            }
            logger.info("tailing stopped")
        } onGracefulShutdown: { [ingestor] in
            ingestor.requestStop()
            watcher.close()
        }
    }
}

/// Delivers the outbox to the sinks as rows arrive: one `DeliveryLoop` per sink, side by side, each with its own
/// backoff, so that one sink's outage never delays another.
///
/// On graceful shutdown (which comes after the ingest service has stopped) each sink makes one last round and
/// returns; rows a sink could not take stay in the outbox for the next start.
package struct ShipperService: Service {
    package let shipper: Shipper
    package let outboxReady: Wakeup
    package let outboxDrained: Wakeup
    package let logger: Logger
    /// How long rows are gathered after a commit before a round starts (`delivery.batch_window`).
    package var batchWindow: Duration = .zero

    package init(shipper: Shipper, outboxReady: Wakeup, outboxDrained: Wakeup, logger: Logger) {
        self.shipper = shipper
        self.outboxReady = outboxReady
        self.outboxDrained = outboxDrained
        self.logger = logger
    }

    package func run() async throws {
        let ready = outboxReady
        let perSink = shipper.deliveries.map { _ in Wakeup() }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Every sink hears of new rows; the input ends for all when the service shuts down.
                    for await _ in ready.stream { perSink.forEach { $0.poke() } }
                    perSink.forEach { $0.finish() }
                }
                for (delivery, wakeup) in zip(shipper.deliveries, perSink) {
                    let loop = DeliveryLoop(delivery: delivery, roundDone: outboxDrained, batchWindow: batchWindow)
                    group.addTask { _ = await loop.run(ready: wakeup.stream) }
                }
            }
        } onGracefulShutdown: {
            ready.finish()
        }
        outboxDrained.finish()
        logger.info("delivery stopped")
    }
}

/// Exponential backoff with full jitter, from 0.5 s up to 30 s.
package struct RetryBackoff: Sendable {
    private var attempt = 0
    package var base: Duration = .milliseconds(500)
    package var cap: Duration = .seconds(30)

    package init() {}

    package mutating func next() -> Duration {
        let ceiling = min(cap, base * (1 << min(attempt, 16)))
        attempt += 1
        let millis = ceiling.components.seconds * 1000 + ceiling.components.attoseconds / 1_000_000_000_000_000
        return .milliseconds(Int64.random(in: (millis / 2)...max(millis / 2, millis)))
    }

    package mutating func reset() { attempt = 0 }
}
