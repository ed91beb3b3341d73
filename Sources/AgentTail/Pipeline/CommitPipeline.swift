import Dispatch
import Synchronization

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
final class CommitPipeline: Sendable {
    private let queue = DispatchQueue(label: "agenttail.commit")
    private let group = DispatchGroup()
    /// The failure of the commit in flight: the only thing that crosses threads.
    private let failure = Failure()
    private let commit: @Sendable (StateStore.Commit) throws -> Void
    /// What is gathered for the next commit; only the thread that runs the step uses it (the lock is uncontended).
    private let gathered = Mutex((commit: StateStore.Commit(), bytes: 0))
    /// Small slices are gathered up to this size.
    static let gatherBytes = 4 << 20
    /// A slice with this many bytes of rows (a large file's read slice) is handed over at once instead of waiting for
    /// the next one: at most one such slice is gathered, one committed and one read at any time.
    static let largeSlice = 1 << 20

    init(commit: @escaping @Sendable (StateStore.Commit) throws -> Void) {
        self.commit = commit
    }

    /// A row this large is committed before reading goes on: while it is masked and written (SQLite copies it once
    /// more into its record), the next records are not read, so memory holds one multi-megabyte entry at a time and
    /// peaks at about twice the largest entry rather than four times.
    static let largeRow = 4 << 20

    /// Adds one slice; hands the gathered commit over once it is large enough.
    func add(_ slice: StateStore.Commit) throws {
        var sliceBytes = 0
        var holdsLargeRow = false
        for row in slice.rows {
            let bytes = row.approximateBytes
            sliceBytes += bytes
            holdsLargeRow = holdsLargeRow || bytes >= Self.largeRow
        }
        let full = gathered.withLock { gathered in
            gathered.commit.rows += slice.rows
            gathered.commit.checkpoints += slice.checkpoints
            gathered.commit.forget += slice.forget
            gathered.bytes += sliceBytes
            return sliceBytes >= Self.largeSlice || gathered.bytes >= Self.gatherBytes
                || gathered.commit.rows.count >= 5000 || gathered.commit.checkpoints.count >= 1000
        }
        if full || !slice.forget.isEmpty || holdsLargeRow { try handOver() }
        if !slice.forget.isEmpty || holdsLargeRow { try wait() }
    }

    /// Commits what is gathered and waits until everything is committed; throws the failure of the last commit.
    ///
    /// The last commit of a step runs on the calling thread: nothing is left to overlap it with, and a live step
    /// (one small commit) then costs no thread hand-off.
    func finish() throws {
        try wait()
        let next = take()
        guard !next.isEmpty else { return }
        try commit(next)
    }

    /// What is gathered, which starts afresh.
    private func take() -> StateStore.Commit {
        gathered.withLock { gathered in
            defer { gathered = (StateStore.Commit(), 0) }
            return gathered.commit
        }
    }

    /// Waits until no commit is in flight; throws the failure of the last one, if it failed.
    func wait() throws {
        group.wait()
        if let error = failure.take() { throw error }
    }

    private func handOver() throws {
        let gathered = take()
        guard !gathered.isEmpty else { return }
        try wait()
        group.enter()
        queue.async { [commit, failure, group] in
            do {
                try commit(gathered)
            } catch {
                failure.record(error)
            }
            group.leave()
        }
    }

    /// The failure of the commit in flight, handed from the commit thread to the step's.
    private final class Failure: Sendable {
        private let error = Mutex<(any Error)?>(nil)

        func record(_ error: any Error) { self.error.withLock { $0 = error } }

        /// The failure recorded, if any, which is then forgotten.
        func take() -> (any Error)? { error.withLock { error in defer { error = nil }; return error } }
    }
}
