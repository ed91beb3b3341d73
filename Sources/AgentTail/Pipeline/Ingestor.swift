import AgentTailCore
import Foundation
import Logging
import Synchronization

@preconcurrency import Dispatch

/// Reads every source's files and commits rows with checkpoints, on a thread of its own.
///
/// File reads and SQLite writes block, so they never run on the cooperative pool: each `step` hops to the ingest
/// queue, where the tailers live behind a mutex only that queue takes.
package final class Ingestor: Sendable {
    private let tailers: Mutex<[SourceTailer]>
    private let queue = DispatchQueue(label: "agenttail.ingest")
    package let store: StateStore
    package let outboxLimit: Int
    private let logger: Logger
    /// Set on shutdown: the step in progress stops after the slice it is committing.
    private let stopping = Atomic<Bool>(false)

    /// What one step did.
    package struct StepResult: Sendable {
        /// Rows committed.
        package var rows = 0
        /// Rows added to the outbox (all of them, unless no sink reads the outbox).
        package var outboxRows = 0
        /// True when tailing held back because the outbox is full.
        package var paused = false
    }

    private let config: AgentTailConfig
    /// The rule pack of each source; replaced by `reload(rules:)`.
    private let rules: Mutex<[String: RulePack]>
    /// Applied to every row before it is committed: nothing unmasked ever reaches the outbox or the local store.
    /// Only the commit thread uses it; the lock is never contended.
    private let masker: Mutex<RowMasker>
    /// Written with each slice, before its checkpoint is committed.
    private let localStore: LocalStore?
    /// Whether any sink reads the outbox; without one, rows go to the local store only.
    private let fillsOutbox: Bool
    package let metrics: PipelineMetrics
    /// Where reading stands in every followed file.
    package let progress: TailProgress
    /// Samples the agents' processes while their tools run.
    private let sampler: ResourceSampler

    /// - Parameters:
    ///   - localStore: the embedded store, when configured.
    ///   - fillsOutbox: false when no sink reads the outbox.
    package init(
        config: AgentTailConfig, rules: [String: RulePack], store: StateStore, localStore: LocalStore?,
        fillsOutbox: Bool, metrics: PipelineMetrics, logger: Logger
    ) throws(StateError) {
        let progress = TailProgress()
        let sampler = ResourceSampler(rate: config.resources.rate)
        self.tailers = Mutex(
            try Self.tailers(
                config: config, rules: rules, store: store, metrics: metrics, progress: progress, sampler: sampler,
                logger: logger))
        self.metrics = metrics
        self.progress = progress
        self.sampler = sampler
        self.config = config
        self.rules = Mutex(rules)
        self.store = store
        self.localStore = localStore
        self.fillsOutbox = fillsOutbox
        self.outboxLimit = config.state.outboxLimit
        self.masker = Mutex(RowMasker(redactor: config.redaction.redactor))
        self.logger = logger
    }

    private static func tailers(
        config: AgentTailConfig, rules: [String: RulePack], store: StateStore, metrics: PipelineMetrics,
        progress: TailProgress, sampler: ResourceSampler, logger: Logger
    ) throws(StateError) -> [SourceTailer] {
        var tailers: [SourceTailer] = []
        for source in config.sources {
            guard let pack = rules[source.name] else { continue }
            let checkpoints = try store.checkpointsBlocking(source: source.name)
            tailers.append(
                SourceTailer(
                    source: source, rules: pack, host: config.host, tailing: config.tailing, checkpoints: checkpoints,
                    metrics: metrics.source(source.name), progress: progress, sampler: sampler, logger: logger))
        }
        return tailers
    }

    /// Forgets everything held in memory and starts again from the committed checkpoints.
    ///
    /// After a failed commit (disk full, I/O error) the tailers' memory is ahead of the database; continuing from it
    /// would skip the rows that were not stored. Reloading makes the next step re-read them.
    package func reload() async throws(StateError) {
        let failure: StateError? = await withCheckedContinuation { continuation in
            queue.async {
                let failure = self.tailers.withLock { tailers -> StateError? in
                    do throws(StateError) {
                        tailers = try Self.tailers(
                            config: self.config, rules: self.rules.withLock { $0 }, store: self.store,
                            metrics: self.metrics, progress: self.progress, sampler: self.sampler, logger: self.logger)
                        return nil
                    } catch {
                        return error
                    }
                }
                continuation.resume(returning: failure)
            }
        }
        if let failure { throw failure }
    }

    /// Starts reading with new rules from the committed checkpoints, between two steps.
    ///
    /// Every step commits all it read, so nothing is lost: each file is read on from its last checkpoint (a record
    /// boundary), and each open session keeps its committed state.
    package func reload(rules newRules: [String: RulePack]) async throws(StateError) {
        rules.withLock { $0 = newRules }
        try await reload()
    }

    /// The folders holding files of any source.
    package var directories: Set<String> {
        tailers.withLock { tailers in tailers.reduce(into: Set<String>()) { $0.formUnion($1.directories) } }
    }

    /// Bytes known to be unread.
    package var pendingBytes: Int64 {
        tailers.withLock { tailers in tailers.reduce(0) { $0 + $1.pendingBytes } }
    }

    /// Asks the step in progress to stop at the next slice boundary (everything before it is committed).
    package func requestStop() {
        stopping.store(true, ordering: .relaxed)
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Rows in the outbox as of the last commit of the step in progress.
    private let depth = Atomic<Int>(0)

    private var isOutboxFull: Bool { depth.load(ordering: .relaxed) >= outboxLimit }

    /// One pass over all sources.
    /// - Parameter changed: changed paths; nil looks at every file (start-up, rescans), an empty set only concludes
    ///   silent sessions.
    /// What one source has left to read.
    package struct Unread: Sendable, Equatable {
        package var source: String
        package var files: Int
        package var bytes: Int64
    }

    /// What each source has left to read, as of the last step.
    package func unread() async -> [Unread] {
        await withCheckedContinuation { continuation in
            queue.async {
                let unread = self.tailers.withLock { tailers in
                    tailers.map { tailer in
                        let left = tailer.unread
                        return Unread(source: tailer.source.name, files: left.files, bytes: left.bytes)
                    }
                }
                continuation.resume(returning: unread)
            }
        }
    }

    package func step(changed: Set<String>?, now: Date = Date()) async throws -> StepResult {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.stepBlocking(changed: changed, now: now) })
            }
        }
    }

    private func stepBlocking(changed: Set<String>?, now: Date) throws -> StepResult {
        var result = StepResult()
        following.store(changed != nil, ordering: .relaxed)
        // The outbox's depth, kept up to date through the step: reading stops at the slice that reaches the limit,
        // so one step never pours a whole backlog into the outbox.
        depth.store(fillsOutbox ? try store.outboxCountBlocking() : 0, ordering: .relaxed)
        guard !isOutboxFull else {
            result.paused = true
            paused.store(true, ordering: .relaxed)
            return result
        }
        let pipeline = CommitPipeline { [self] commit in try commitBlocking(commit) }
        try tailers.withLock { tailers in
            // Whatever ends the step, it ends with no commit in flight.
            defer { try? pipeline.wait() }
            for tailer in tailers where !isStopping && !isOutboxFull {
                try tailer.step(changed: changed, now: now, shouldContinue: { !self.isStopping && !self.isOutboxFull }) {
                    commit in
                    let slice = commit
                    commit = StateStore.Commit()
                    result.rows += slice.rows.count
                    if fillsOutbox {
                        // Counted when gathered, so that the limit check before the next slice includes them.
                        self.depth.add(slice.rows.count, ordering: .relaxed)
                        result.outboxRows += slice.rows.count
                    }
                    try pipeline.add(slice)
                }
            }
            try pipeline.finish()
        }
        result.paused = isOutboxFull
        paused.store(result.paused, ordering: .relaxed)
        return result
    }

    /// True when the last step held back because the outbox is full: reading waits for the sinks.
    package var isPaused: Bool { paused.load(ordering: .relaxed) }
    private let paused = Atomic<Bool>(false)

    /// Masks the rows of one commit and what its checkpoints hold from the log, writes the rows to the local store,
    /// then commits them to the outbox (when a sink reads it) with the checkpoints they belong to. A row written more than once in the commit (a call whose
    /// message spans several records) is written once, as last written.
    private func commitBlocking(_ gathered: StateStore.Commit) throws {
        var commit = gathered
        commit.rows = commit.rows.latestVersions(deliveryOrder: false)
        masker.withLock { masker in
            masker.redact(&commit.rows)
            masker.redact(&commit.checkpoints)
        }
        // The local store first: if agenttail dies before the checkpoint below, the slice is read again and the same
        // rows replace themselves.
        try localStore?.writeBlocking(commit.rows)
        let rows = commit.rows
        if !fillsOutbox { commit.rows = [] }
        try store.commitBlocking(commit)
        metrics.committed(rows)
        logConcluded(rows)
    }

    /// Whether the step in progress follows changes as they happen (not a scan of everything, such as the catch-up
    /// at start, where sessions end by the thousand).
    private let following = Atomic<Bool>(false)

    /// Tells of each session that ended in a commit, and how: at `info` while following, else at `debug`.
    private func logConcluded(_ rows: [NormalizedRow]) {
        let level: Logger.Level = following.load(ordering: .relaxed) ? .info : .debug
        guard logger.logLevel <= level else { return }
        for row in rows where row.table == .agentSessions {
            guard case .text(let status) = row["status"], PipelineMetrics.endedStatuses.contains(status) else {
                continue
            }
            var metadata: Logger.Metadata = ["session.id": "\(row.id.lowercased)", "status": "\(status)"]
            if case .int(let calls) = row["llm_calls"] { metadata["llm_calls"] = "\(calls)" }
            if case .int(let tools) = row["tool_calls"] { metadata["tool_calls"] = "\(tools)" }
            if case .int(let duration) = row["duration_ms"] { metadata["duration_ms"] = "\(duration)" }
            if case .text(let path) = row["source_path"] { metadata["file.path"] = "\(path)" }
            logger.log(level: level, "session \(status)", metadata: metadata)
        }
    }
}
