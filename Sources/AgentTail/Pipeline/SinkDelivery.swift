import AgentTailCore
import CoreMetrics
import Foundation
import Logging
import Synchronization

/// Moves the outbox to one sink: reads the rows after the sink's cursor, sends them, keeps what the destination
/// refuses for good as dead letters, and acknowledges; an outbox row leaves once every enabled sink has it.
///
/// One round goes on until the sink has everything, fails in a way worth retrying, or stops for good (a refused
/// key): what to do next is the caller's (`DeliveryLoop`), so that each sink keeps its own pace.
package final class SinkDelivery: Sendable {
    package let sink: any Sink
    package var name: String { sink.name }
    private let store: StateStore
    /// Every sink that reads the outbox, to know when a row may leave it.
    private let enabled: [String]
    private let batchSize: Int
    /// Masks what a destination says about a row before it is stored or logged: its message may quote the row.
    private let redactor: Redactor
    private let logger: Logger
    private let metrics: SinkMetrics
    private let state = Mutex(State())

    private struct State {
        var stopReason: String?
        var delivered = 0
    }

    /// How a round ended.
    package enum Round: Sendable, Equatable {
        /// The sink has every row of the outbox.
        case drained
        /// A failure worth retrying: after the destination's own hint, if it gave one; `progressed` when part of
        /// the round got through.
        case retry(after: Duration?, progressed: Bool)
        /// The sink cannot work until a person fixes something; it keeps its cursor for the next start.
        case stopped
    }

    package init(
        sink: any Sink, store: StateStore, enabled: [String], batchSize: Int = 500, redactor: Redactor = Redactor(),
        metrics: PipelineMetrics? = nil, logger: Logger
    ) {
        self.sink = sink
        self.metrics = (metrics ?? PipelineMetrics(sources: [], sinks: [])).sink(sink.name)
        self.store = store
        self.enabled = enabled
        self.batchSize = batchSize
        self.redactor = redactor
        var logger = logger
        logger[metadataKey: "sink.name"] = "\(sink.name)"
        self.logger = logger
    }

    /// Why the sink stopped for good, once it has.
    package var stopReason: String? { state.withLock { $0.stopReason } }

    /// Rows this process delivered (dead letters included: the destination answered for them).
    package var delivered: Int { state.withLock { $0.delivered } }

    /// Sends everything after the sink's cursor, batch by batch.
    package func deliverAvailable() async -> Round {
        guard stopReason == nil else { return .stopped }
        var progressed = false
        do {
            while true {
                let cursor = try await store.cursor(of: name)
                let entries = try await store.outbox(for: name, after: cursor, limit: batchSize)
                guard let last = entries.last else { return .drained }
                let rows = try entries.map { try $0.row() }.latestVersions()
                do {
                    let rejections = try await sink.send(rows)
                    if !rejections.isEmpty { try await keepDeadLetters(rejections, of: entries) }
                    try await store.acknowledge(sink: name, upTo: last.seq, enabled: enabled)
                    state.withLock { $0.delivered += rows.count }
                    recordDelivery(of: entries, rows: rows.count, refused: Set(rejections.map(\.id)).count)
                    progressed = true
                    logger.debug("batch delivered", metadata: ["batch.rows": "\(rows.count)"])
                } catch let SinkError.fatal(said) {
                    let reason = redactor.masked(said)
                    logger.critical("sink stopped", metadata: ["error": "\(reason)"])
                    state.withLock { $0.stopReason = reason }
                    try await store.recordSinkError(sink: name, message: reason)
                    return .stopped
                } catch let SinkError.retryable(said, after, partly) {
                    metrics.retried(rows.count)
                    let reason = redactor.masked(said)
                    logger.warning("delivery failed; will retry", metadata: ["error": "\(reason)"])
                    try await store.recordSinkError(sink: name, message: reason)
                    return .retry(after: after, progressed: progressed || partly)
                }
            }
        } catch {
            logger.error("reading the outbox failed", metadata: ["error": "\(error)"])
            return .retry(after: nil, progressed: progressed)
        }
    }

    /// Counts one acknowledged batch, and how long each of its rows took from the outbox to the destination.
    private func recordDelivery(of entries: [StateStore.OutboxEntry], rows: Int, refused: Int) {
        metrics.delivered(rows - refused, refused: refused)
        let now = Date()
        for entry in entries {
            guard let committedAt = entry.committedAt else { continue }
            metrics.latency.recordNanoseconds(Int64(max(0, now.timeIntervalSince(committedAt)) * 1e9))
        }
    }

    private func keepDeadLetters(_ rejections: [Rejection], of entries: [StateStore.OutboxEntry]) async throws {
        let reasons = Dictionary(rejections.map { ($0.id.lowercased, redactor.masked($0.reason)) }) { first, _ in first }
        // Several outbox entries can hold versions of one row: keep the last as the dead letter.
        var latest: [String: StateStore.OutboxEntry] = [:]
        for entry in entries where reasons[entry.eventID] != nil { latest[entry.eventID] = entry }
        let dead = latest.values.sorted { $0.seq < $1.seq }.map { ($0, reasons[$0.eventID]!) }
        logger.error(
            "rows refused; kept as dead letters", metadata: ["rows": "\(dead.count)", "error": "\(dead.first?.1 ?? "")"])
        try await store.deadLetter(sink: name, entries: dead)
    }
}
