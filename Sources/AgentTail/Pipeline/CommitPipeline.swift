import Dispatch

/// Runs the commits of an ingest step on a thread of their own, one at a time and in order, so that masking and the
/// SQLite writes of one slice overlap with reading and parsing the next: on two cores a catch-up takes about the
/// longer of the two halves instead of their sum.
///
/// At most one commit is in flight: `submit` first waits for the previous one and rethrows its failure, so a failed
/// commit stops the step before anything that depends on it is committed, and the ingestor reloads from the stored
/// checkpoints as it does for any failed commit.
final class CommitPipeline: @unchecked Sendable {
    // `failure` is written on `queue` before `group.leave()` and read only after `group.wait()`: the group orders the
    // two, so no lock is needed.
    private let queue = DispatchQueue(label: "agenttail.commit")
    private let group = DispatchGroup()
    private var failure: (any Error)?

    /// Waits for the commit in flight, then starts `work`.
    func submit(_ work: @escaping @Sendable () throws -> Void) throws {
        try wait()
        group.enter()
        queue.async {
            do {
                try work()
            } catch {
                self.failure = error
            }
            self.group.leave()
        }
    }

    /// Waits until no commit is in flight; throws the failure of the last one, if it failed.
    func wait() throws {
        group.wait()
        if let failure {
            self.failure = nil
            throw failure
        }
    }
}
