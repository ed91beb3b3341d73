import Foundation
import Logging
import ServiceLifecycle

/// Watches the log folders and feeds what changes through the ingestor, live.
///
/// The watcher's heartbeat (an empty change set every second without changes) is when silent sessions are checked.
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
    /// How long changes are gathered after the first one (`tailing.batch_window`).
    package var batchWindow: Duration = .zero
    /// Poked once the first scan of every file is committed.
    package var firstScanDone: Wakeup?

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
            var watched = watcher.changes.makeAsyncIterator()
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
                if changed == nil, !result.paused, let done = firstScanDone {
                    done.poke()
                    done.finish()
                }
                if result.paused {
                    logger.warning("outbox full; tailing paused until sinks catch up")
                    outboxReady.poke()
                    if await drained.next() == nil { break }
                    changed = nil
                    continue
                }
                guard var changes = await watched.next() else { break }
                if !changes.isEmpty, !changes.rescan, batchWindow > .zero {
                    // The writes that follow the first one (the rest of the entry) join this step.
                    do {
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: batchWindow) }
                    } catch {
                        // Shutting down: read what arrived, then stop.
                    }
                    if let more = watcher.takeChanges() {
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
