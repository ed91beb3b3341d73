import Foundation
import Logging
import Synchronization

/// Moves rows from the outbox to every enabled sink, each at its own pace, and removes them once all have them.
package final class Shipper: Sendable {
    package let store: StateStore
    package let sinks: [any Sink]
    package let batchSize: Int
    private let logger: Logger
    /// Sinks stopped by a fatal error; they keep their cursor and resume after a restart.
    private let stopped = Mutex<Set<String>>([])

    package init(store: StateStore, sinks: [any Sink], batchSize: Int = 500, logger: Logger) {
        self.store = store
        self.sinks = sinks
        self.batchSize = batchSize
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
        let names = sinks.map(\.name)
        for sink in sinks where !stopped.withLock({ $0.contains(sink.name) }) {
            var sinkLogger = logger
            sinkLogger[metadataKey: "sink.name"] = "\(sink.name)"
            do {
                while true {
                    let cursor = try await store.cursor(of: sink.name)
                    let entries = try await store.outbox(after: cursor, limit: batchSize)
                    guard let last = entries.last else { break }
                    let rows = try Self.latestVersions(entries.map { try $0.row() })
                    do {
                        try await sink.send(rows)
                        try await store.acknowledge(sink: sink.name, upTo: last.seq, enabled: names)
                        sinkLogger.debug("batch delivered", metadata: ["batch.rows": "\(rows.count)"])
                    } catch let SinkError.rejected(reason) {
                        sinkLogger.error("rows rejected; kept as dead letters", metadata: ["error": "\(reason)"])
                        try await store.deadLetter(sink: sink.name, entries: entries, reason: reason)
                        try await store.acknowledge(sink: sink.name, upTo: last.seq, enabled: names)
                    } catch let SinkError.fatal(reason) {
                        sinkLogger.critical("sink stopped", metadata: ["error": "\(reason)"])
                        stopped.withLock { _ = $0.insert(sink.name) }
                        try await store.recordSinkError(sink: sink.name, message: reason)
                        break
                    } catch let SinkError.retryable(reason) {
                        sinkLogger.warning("delivery failed; will retry", metadata: ["error": "\(reason)"])
                        try await store.recordSinkError(sink: sink.name, message: reason)
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

    /// Keeps only the last version of each row (sessions are re-emitted as they progress), in delivery order:
    /// sessions first, so that later rows refer to existing ones.
    static func latestVersions(_ rows: [NormalizedRow]) throws -> [NormalizedRow] {
        var lastIndex: [UUID: Int] = [:]
        for (index, row) in rows.enumerated() { lastIndex[row.id] = index }
        return rows.enumerated().filter { lastIndex[$0.element.id] == $0.offset }
            .sorted { ($0.element.table.deliveryRank, $0.offset) < ($1.element.table.deliveryRank, $1.offset) }
            .map(\.element)
    }
}
