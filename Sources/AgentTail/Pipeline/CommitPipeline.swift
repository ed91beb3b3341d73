import Dispatch

/// Gathers the slices of one ingest step into commits and runs them on a thread of their own, one at a time and in
/// order, so that masking and the SQLite writes of one commit overlap with reading and parsing what follows: on two
/// cores a catch-up takes about the longer of the two halves instead of their sum.
///
/// - Slices of small files are gathered until they hold 4 MiB of rows: a folder of ten thousand short runs must not
///   cost ten thousand synced transactions.
/// - At most one commit is in flight: handing one over first waits for the previous one and rethrows its failure, so a
///   failed commit stops the step before anything that depends on it is committed, and the ingestor reloads from the
///   stored checkpoints as it does for any failed commit.
/// - A slice that forgets a file is committed before `add` returns: that file cannot be read again.
final class CommitPipeline: @unchecked Sendable {
    // `failure` is written on `queue` before `group.leave()` and read only after `group.wait()`: the group orders the
    // two. `pending` is used only by the thread that runs the step.
    private let queue = DispatchQueue(label: "agenttail.commit")
    private let group = DispatchGroup()
    private var failure: (any Error)?
    private let commit: @Sendable (StateStore.Commit) throws -> Void
    private var pending = StateStore.Commit()
    private var pendingBytes = 0
    /// Small slices are gathered up to this size.
    static let gatherBytes = 4 << 20
    /// A slice with this many bytes of rows (a large file's read slice) is handed over at once instead of waiting for
    /// the next one: at most one such slice is gathered, one committed and one read at any time.
    static let largeSlice = 1 << 20

    init(commit: @escaping @Sendable (StateStore.Commit) throws -> Void) {
        self.commit = commit
    }

    /// Adds one slice; hands the gathered commit over once it is large enough.
    func add(_ slice: StateStore.Commit) throws {
        pending.rows += slice.rows
        pending.checkpoints += slice.checkpoints
        pending.forget += slice.forget
        let sliceBytes = slice.rows.reduce(0) { $0 + $1.approximateBytes }
        pendingBytes += sliceBytes
        if sliceBytes >= Self.largeSlice || pendingBytes >= Self.gatherBytes || pending.rows.count >= 5000
            || pending.checkpoints.count >= 1000 || !slice.forget.isEmpty
        {
            try handOver()
        }
        if !slice.forget.isEmpty { try wait() }
    }

    /// Commits what is gathered and waits until everything is committed; throws the failure of the last commit.
    ///
    /// The last commit of a step runs on the calling thread: nothing is left to overlap it with, and a live step
    /// (one small commit) then costs no thread hand-off.
    func finish() throws {
        try wait()
        guard !pending.isEmpty else { return }
        let gathered = pending
        pending = StateStore.Commit()
        pendingBytes = 0
        try commit(gathered)
    }

    /// Waits until no commit is in flight; throws the failure of the last one, if it failed.
    func wait() throws {
        group.wait()
        if let failure {
            self.failure = nil
            throw failure
        }
    }

    private func handOver() throws {
        guard !pending.isEmpty else { return }
        let gathered = pending
        pending = StateStore.Commit()
        pendingBytes = 0
        try wait()
        group.enter()
        queue.async { [commit] in
            do {
                try commit(gathered)
            } catch {
                self.failure = error
            }
            self.group.leave()
        }
    }
}
