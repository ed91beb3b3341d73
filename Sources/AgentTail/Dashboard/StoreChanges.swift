import Foundation
import GRDB

/// Tells the dashboard's live pages when the embedded store changed, whichever process wrote it.
///
/// While a page listens, the store's `PRAGMA data_version` is read four times a second on one read-only connection:
/// SQLite changes it whenever another connection commits. Nothing is read while no page listens.
package actor StoreChanges {
    /// What a listener hears.
    package enum Tick: Sendable {
        /// Something was committed.
        case changed
        /// Nothing for a while: a page's connection is kept alive with it.
        case quiet
    }

    private let path: String
    private let interval: Duration
    private let quietAfter: Duration
    private var listeners: [UUID: AsyncStream<Tick>.Continuation] = [:]
    private var poller: Task<Void, Never>?

    package init(path: String, interval: Duration = .milliseconds(250), quietAfter: Duration = .seconds(15)) {
        self.path = path
        self.interval = interval
        self.quietAfter = quietAfter
    }

    /// The ticks from now on, until the stream is dropped.
    package func listen() -> AsyncStream<Tick> {
        let (stream, continuation) = AsyncStream.makeStream(of: Tick.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        listeners[id] = continuation
        continuation.onTermination = { _ in Task { await self.forget(id) } }
        if poller == nil { poller = Task { await self.poll() } }
        return stream
    }

    private func forget(_ id: UUID) {
        listeners[id] = nil
        if listeners.isEmpty {
            poller?.cancel()
            poller = nil
        }
    }

    private func send(_ tick: Tick) {
        for continuation in listeners.values { continuation.yield(tick) }
    }

    private func poll() async {
        var connection: DatabaseQueue?
        var version: Int?
        var quiet = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if connection == nil, FileManager.default.fileExists(atPath: path) {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.label = "agenttail.ui.changes"
                connection = try? DatabaseQueue(path: path, configuration: configuration)
            }
            let now = try? await connection?.read { db in try Int.fetchOne(db, sql: "PRAGMA data_version") }
            // The first reading is a change too: what was committed between a listener's joining and this reading
            // has no version before it to differ from (listeners compare what they show, so a change that was
            // none costs one comparison).
            if let now, version.map({ now != $0 }) ?? true {
                send(.changed)
                quiet = .now
            } else if ContinuousClock.now - quiet > quietAfter {
                send(.quiet)
                quiet = .now
            }
            if let now { version = now }
        }
    }
}
