import Logging
import ServiceLifecycle
import Synchronization

/// What happened since it was last taken, for the once-a-minute line of `run`'s log.
package final class Activity: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    package init() {}

    func add(_ key: String, _ amount: Int) {
        guard amount != 0 else { return }
        counts.withLock { $0[key, default: 0] += amount }
    }

    /// The counts since the last call, by name; empty when nothing happened.
    package func take() -> [String: Int] {
        counts.withLock { counts in
            defer { counts = [:] }
            return counts
        }
    }
}

/// Logs, at `info`, one line a minute of what happened in it (rows committed, sessions ended, rows delivered per
/// sink, ...), and nothing in a minute when nothing did; a last line on shutdown.
package struct ActivitySummaryService: Service {
    package let activity: Activity
    package let logger: Logger
    package var interval: Duration = .seconds(60)

    package init(activity: Activity, logger: Logger, interval: Duration = .seconds(60)) {
        self.activity = activity
        self.logger = logger
        self.interval = interval
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            summarize("in the last \(interval.text)")
        }
        summarize("since the last summary")
    }

    private func summarize(_ message: String) {
        let counts = activity.take()
        guard !counts.isEmpty else { return }
        var metadata: Logger.Metadata = [:]
        for (key, count) in counts { metadata[key] = "\(count)" }
        logger.info("\(message)", metadata: metadata)
    }
}
