import Foundation
import Logging
import Synchronization

/// Moves rows from the outbox to every enabled sink, each at its own pace, and removes them once all have them.
package final class Shipper: Sendable {
    package let store: StateStore
    package let sinks: [any Sink]
    package let batchSize: Int
    /// Masks what a destination says about a row before it is stored or logged: its message may quote the row.
    private let redactor: Redactor
    private let logger: Logger
    /// Sinks stopped by a fatal error; they keep their cursor and resume after a restart.
    private let stopped = Mutex<Set<String>>([])
    /// The longest wait a destination asked for (`Retry-After`) in the last round that failed.
    private let lastRetryAfter = Mutex<Duration?>(nil)

    /// How long the last failed round's destinations asked to be left alone, if they said.
    package var requestedDelay: Duration? { lastRetryAfter.withLock { $0 } }

    /// Whether the last round moved anything forward, even if it ended in a retry; backoff restarts when it did.
    package var lastRoundProgressed: Bool { lastProgress.withLock { $0 } }
    private let lastProgress = Mutex(false)

    /// Names of sinks stopped by a fatal error.
    package var stoppedSinks: Set<String> { stopped.withLock { $0 } }

    package init(
        store: StateStore, sinks: [any Sink], batchSize: Int = 500, redactor: Redactor = Redactor(), logger: Logger
    ) {
        self.store = store
        self.sinks = sinks
        self.batchSize = batchSize
        self.redactor = redactor
        self.logger = logger
    }

    /// The outcome of one delivery round.
    package enum Outcome: Sendable, Equatable {
        /// Every running sink has everything.
        case drained
        /// A sink failed in a way worth retrying; try again after a pause.
        case retry
    }

    /// Delivers everything in the outbox to every running sink.
    package func deliverAvailable() async -> Outcome {
        var outcome = Outcome.drained
        var retryAfter: Duration?
        var progressed = false
        defer {
            lastRetryAfter.withLock { $0 = retryAfter }
            lastProgress.withLock { $0 = progressed }
        }
        let names = sinks.map(\.name)
        for sink in sinks where !stopped.withLock({ $0.contains(sink.name) }) {
            var sinkLogger = logger
            sinkLogger[metadataKey: "sink.name"] = "\(sink.name)"
            do {
                while true {
                    let cursor = try await store.cursor(of: sink.name)
                    let entries = try await store.outbox(after: cursor, limit: batchSize)
                    guard let last = entries.last else { break }
                    let rows = try entries.map { try $0.row() }.latestVersions()
                    do {
                        let rejections = try await sink.send(rows)
                        if !rejections.isEmpty {
                            let reasons = Dictionary(
                                rejections.map { ($0.id.lowercased, redactor.masked($0.reason)) }
                            ) { first, _ in first }
                            // Several outbox entries can hold versions of one row: keep the last as the dead letter.
                            var latest: [String: StateStore.OutboxEntry] = [:]
                            for entry in entries where reasons[entry.eventID] != nil { latest[entry.eventID] = entry }
                            let dead = latest.values.sorted { $0.seq < $1.seq }.map { ($0, reasons[$0.eventID]!) }
                            sinkLogger.error(
                                "rows refused; kept as dead letters",
                                metadata: ["rows": "\(dead.count)", "error": "\(dead.first?.1 ?? "")"])
                            try await store.deadLetter(sink: sink.name, entries: dead)
                        }
                        try await store.acknowledge(sink: sink.name, upTo: last.seq, enabled: names)
                        progressed = true
                        sinkLogger.debug("batch delivered", metadata: ["batch.rows": "\(rows.count)"])
                    } catch let SinkError.fatal(said) {
                        let reason = redactor.masked(said)
                        sinkLogger.critical("sink stopped", metadata: ["error": "\(reason)"])
                        stopped.withLock { _ = $0.insert(sink.name) }
                        try await store.recordSinkError(sink: sink.name, message: reason)
                        break
                    } catch let SinkError.retryable(said, after, partly) {
                        let reason = redactor.masked(said)
                        sinkLogger.warning("delivery failed; will retry", metadata: ["error": "\(reason)"])
                        progressed = progressed || partly
                        try await store.recordSinkError(sink: sink.name, message: reason)
                        if let after { retryAfter = max(retryAfter ?? .zero, after) }
                        outcome = .retry
                        break
                    }
                }
            } catch {
                sinkLogger.error("reading the outbox failed", metadata: ["error": "\(error)"])
                outcome = .retry
            }
        }
        return outcome
    }

}
