import Dispatch
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the rules on SIGHUP, and when a rules file changes on disk if asked to, without a restart.
///
/// The new rules are loaded and compiled first, and their own tests run; if any of that fails, the error is logged
/// and the old rules stay in force. Otherwise the ingestor starts again from the committed checkpoints with the new
/// rules: sessions in flight keep their state and every file its offset.
package struct RulesReloadService: Service {
    package let ingestor: Ingestor
    package let watcher: DirectoryWatcher
    /// Loads the rule pack of every source anew (the configuration file is read again for their references).
    package let load: @Sendable () throws -> [String: RulePack]
    package let logger: Logger
    /// Rules files whose changes trigger a reload (`watch_rules: true`); none by default.
    package var watchedFiles: [String] = []
    /// How often the watched files are looked at.
    package var watchInterval: Duration = .seconds(1)

    package init(
        ingestor: Ingestor, watcher: DirectoryWatcher, logger: Logger,
        load: @escaping @Sendable () throws -> [String: RulePack]
    ) {
        self.ingestor = ingestor
        self.watcher = watcher
        self.load = load
        self.logger = logger
    }

    package func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals { await reload() }
                }
                if !watchedFiles.isEmpty {
                    group.addTask { await watchFiles() }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Reloads whenever a watched file's identity, size or modification time changes. An editor that writes in
    /// several steps may trigger a reload of a half-written file: it is refused, and the last write reloads again.
    private func watchFiles() async {
        let statuses = { watchedFiles.map { FileStatus.of(path: $0) } }
        var last = statuses()
        logger.notice("watching the rules files for changes", metadata: ["files": "\(watchedFiles)"])
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: watchInterval)
            } catch {
                return
            }
            let now = statuses()
            if now != last {
                last = now
                logger.info("a rules file changed; reloading", metadata: ["files": "\(watchedFiles)"])
                await reload()
            }
        }
    }

    /// One reload; failures leave the running rules in place.
    package func reload() async {
        let packs: [String: RulePack]
        do {
            // Reading, compiling and testing the rules blocks: not on the cooperative pool.
            let load = self.load
            packs = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(with: Result { try load() }) }
            }
        } catch {
            logger.error("rules not reloaded; the previous rules stay in force", metadata: ["error": "\(error)"])
            ingestor.metrics.rulesReloaded(applied: false)
            return
        }
        do {
            try await ingestor.reload(rules: packs)
            watcher.requestRescan()
            logger.notice("rules reloaded", metadata: ["rules": "\(Set(packs.values.map(\.origin)).sorted())"])
            ingestor.metrics.rulesReloaded(applied: true)
        } catch {
            logger.error(
                "rules not reloaded: the checkpoints could not be read; the previous rules stay in force",
                metadata: ["error": "\(error)"])
            ingestor.metrics.rulesReloaded(applied: false)
        }
    }
}
