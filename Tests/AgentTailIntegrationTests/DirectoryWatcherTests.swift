import Foundation
import Logging
import Testing

@testable import AgentTail

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a test saw over several change sets.
private struct Observed {
    var paths: Set<String> = []
    var rescan = false
    var closed = false
    var largestSet = 0
}

private let testLogger: Logger = {
    var logger = Logger(label: "agenttail.tests.directory-watcher")
    logger.logLevel = .info
    return logger
}()

/// Creates a fresh temporary directory; the caller removes it with `removeTemporaryDirectory`.
private func makeTemporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.path + "/watcher-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func removeTemporaryDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Reads change sets until `done` holds for what was seen, failing the test when `limit` passes first.
private func observe(
    _ watcher: DirectoryWatcher,
    within limit: Duration = .seconds(15),
    sourceLocation: SourceLocation = #_sourceLocation,
    until done: (Observed) -> Bool
) async -> Observed {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    var seen = Observed()
    var changeSets = watcher.changes.makeAsyncIterator()
    while clock.now < deadline {
        guard let changes = await changeSets.next() else {
            seen.closed = true
            Issue.record("watcher returned nil", sourceLocation: sourceLocation)
            return seen
        }
        seen.paths.formUnion(changes.paths)
        seen.rescan = seen.rescan || changes.rescan
        seen.largestSet = max(seen.largestSet, changes.paths.count)
        if done(seen) { return seen }
    }
    Issue.record("expected changes did not show up in time", sourceLocation: sourceLocation)
    return seen
}

/// Writes `text` to `path` with one `write` call per chunk, creating the file when needed.
private func write(_ path: String, chunks: [String], append: Bool = false) throws {
    let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
    let fd = open(path, flags, 0o644)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    for chunk in chunks {
        let written = chunk.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
        guard written >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}

private func makeWatcher(
    _ backend: DirectoryWatcher.Backend,
    pollInterval: Duration = .milliseconds(20),
    rescanInterval: Duration = .seconds(30),
    heartbeat: Duration = .milliseconds(200)
) throws -> DirectoryWatcher {
    let watcher = try DirectoryWatcher(
        backend: backend,
        pollInterval: pollInterval,
        rescanInterval: rescanInterval,
        heartbeat: heartbeat,
        logger: testLogger
    )
    #expect(watcher.backend == backend)
    return watcher
}

@Suite("DirectoryWatcher", .serialized)
struct DirectoryWatcherTests {
    static let backends: [DirectoryWatcher.Backend] = [.inotify, .polling]

    @Test func defaultBackendIsInotifyOnLinux() throws {
        let watcher = try DirectoryWatcher(logger: testLogger)
        defer { watcher.close() }
        #if os(Linux)
        #expect(watcher.backend == .inotify)
        #endif
    }

    @Test(arguments: backends)
    func reportsCreatedFile(backend: DirectoryWatcher.Backend) async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let watcher = try makeWatcher(backend)
        defer { watcher.close() }
        watcher.setDirectories([dir])
        let file = dir + "/session.jsonl"
        try write(file, chunks: ["{}\n"])
        let seen = await observe(watcher) { $0.paths.contains(file) }
        #expect(seen.paths.contains(file))
        #expect(!seen.rescan)
    }

    @Test(arguments: backends)
    func reportsAppendedFile(backend: DirectoryWatcher.Backend) async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let file = dir + "/agent.log"
        try write(file, chunks: ["first\n"])
        let watcher = try makeWatcher(backend)
        defer { watcher.close() }
        watcher.setDirectories([dir])
        for round in 0..<3 {
            try write(file, chunks: ["a \(round)\n", "b \(round)\n", "c \(round)\n"], append: true)
            let seen = await observe(watcher) { $0.paths.contains(file) }
            #expect(seen.paths == [file])
        }
    }

    @Test(arguments: backends)
    func reportsRenameInAndOut(backend: DirectoryWatcher.Backend) async throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        let watched = root + "/watched"
        let outside = root + "/outside"
        try FileManager.default.createDirectory(atPath: watched, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try write(outside + "/incoming.log", chunks: ["x\n"])
        try write(watched + "/leaving.log", chunks: ["y\n"])
        let watcher = try makeWatcher(backend)
        defer { watcher.close() }
        watcher.setDirectories([watched])

        #expect(rename(outside + "/incoming.log", watched + "/arrived.log") == 0)
        let seenIn = await observe(watcher) { $0.paths.contains(watched + "/arrived.log") }
        #expect(seenIn.paths == [watched + "/arrived.log"])

        #expect(rename(watched + "/leaving.log", outside + "/left.log") == 0)
        let seenOut = await observe(watcher) { $0.paths.contains(watched + "/leaving.log") }
        #expect(seenOut.paths == [watched + "/leaving.log"])
    }

    @Test(arguments: backends)
    func reportsDeletedFile(backend: DirectoryWatcher.Backend) async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let file = dir + "/old.log"
        try write(file, chunks: ["bye\n"])
        let watcher = try makeWatcher(backend)
        defer { watcher.close() }
        watcher.setDirectories([dir])
        #expect(unlink(file) == 0)
        let seen = await observe(watcher) { $0.paths.contains(file) }
        #expect(seen.paths == [file])
    }

    @Test(arguments: backends)
    func watchesDirectoryCreatedLater(backend: DirectoryWatcher.Backend) async throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        let later = root + "/later"
        let watcher = try makeWatcher(backend)
        defer { watcher.close() }
        watcher.setDirectories([later])
        var changeSets = watcher.changes.makeAsyncIterator()
        let quiet = await changeSets.next()
        #expect(quiet == ChangeSet())

        try FileManager.default.createDirectory(atPath: later, withIntermediateDirectories: false)
        let appeared = await observe(watcher) { $0.rescan }
        #expect(appeared.rescan)

        let file = later + "/new.log"
        try write(file, chunks: ["hello\n"])
        let seen = await observe(watcher) { $0.paths.contains(file) }
        #expect(seen.paths.contains(file))
    }

    @Test(arguments: backends)
    func rewatchesDirectoryDeletedAndRecreated(backend: DirectoryWatcher.Backend) async throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        let dir = root + "/logs"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let watcher = try makeWatcher(backend)
        defer { watcher.close() }
        watcher.setDirectories([dir])

        try FileManager.default.removeItem(atPath: dir)
        let lost = await observe(watcher) { $0.rescan }
        #expect(lost.rescan)

        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let back = await observe(watcher) { $0.rescan }
        #expect(back.rescan)

        let file = dir + "/again.log"
        try write(file, chunks: ["again\n"])
        let seen = await observe(watcher) { $0.paths.contains(file) }
        #expect(seen.paths.contains(file))
    }

    @Test(arguments: backends)
    func reportsUnderSymlinkedDirectoryPath(backend: DirectoryWatcher.Backend) async throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        let real = root + "/real"
        let link = root + "/link"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: false)
        #expect(symlink(real, link) == 0)
        let watcher = try makeWatcher(backend)
        defer { watcher.close() }
        watcher.setDirectories([link + "/"])

        try write(real + "/through-link.log", chunks: ["via\n"])
        let seen = await observe(watcher) { $0.paths.contains(link + "/through-link.log") }
        #expect(seen.paths == [link + "/through-link.log"])
    }

    @Test(arguments: backends)
    func followsRetargetedSymlinkAtRescan(backend: DirectoryWatcher.Backend) async throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        let old = root + "/old"
        let new = root + "/new"
        let link = root + "/current"
        try FileManager.default.createDirectory(atPath: old, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: new, withIntermediateDirectories: false)
        #expect(symlink(old, link) == 0)
        let watcher = try makeWatcher(backend, rescanInterval: .milliseconds(100))
        defer { watcher.close() }
        watcher.setDirectories([link])

        #expect(symlink(new, link + ".tmp") == 0)
        #expect(rename(link + ".tmp", link) == 0)
        // Once a rescan was reported after the switch, writes in the new target show up under the link.
        _ = await observe(watcher) { $0.rescan }
        _ = await observe(watcher) { $0.rescan }
        let file = new + "/switched.log"
        try write(file, chunks: ["new\n"])
        let seen = await observe(watcher) { $0.paths.contains(link + "/switched.log") }
        #expect(seen.paths.contains(link + "/switched.log"))
    }

    @Test(arguments: backends)
    func stopsReportingRemovedDirectories(backend: DirectoryWatcher.Backend) async throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        let first = root + "/first"
        let second = root + "/second"
        try FileManager.default.createDirectory(atPath: first, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: false)
        let watcher = try makeWatcher(backend)
        defer { watcher.close() }
        watcher.setDirectories([first, second])
        watcher.setDirectories([second])
        try write(first + "/ignored.log", chunks: ["no\n"])
        try write(second + "/seen.log", chunks: ["yes\n"])
        let seen = await observe(watcher) { $0.paths.contains(second + "/seen.log") }
        // Both writes happened before the second one was seen; give stragglers one more short look.
        var changeSets = watcher.changes.makeAsyncIterator()
        let after = await changeSets.next()
        #expect(!seen.paths.contains(first + "/ignored.log"))
        #expect(after?.paths.contains(first + "/ignored.log") == false)
    }

    @Test(arguments: backends)
    func heartbeatYieldsEmptySet(backend: DirectoryWatcher.Backend) async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let watcher = try makeWatcher(backend, heartbeat: .milliseconds(100))
        defer { watcher.close() }
        watcher.setDirectories([dir])
        let clock = ContinuousClock()
        let start = clock.now
        var changeSets = watcher.changes.makeAsyncIterator()
        let changes = await changeSets.next()
        #expect(changes == ChangeSet())
        #expect(clock.now - start < .seconds(5))
        #expect(watcher.takeChanges() == ChangeSet())
    }

    @Test(arguments: backends)
    func periodicRescanIsReported(backend: DirectoryWatcher.Backend) async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let watcher = try makeWatcher(backend, rescanInterval: .milliseconds(100))
        defer { watcher.close() }
        watcher.setDirectories([dir])
        let seen = await observe(watcher) { $0.rescan }
        #expect(seen.rescan)
        #expect(seen.paths.isEmpty)
    }

    @Test(arguments: backends)
    func closeEndsTheSequence(backend: DirectoryWatcher.Backend) async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let watcher = try makeWatcher(backend, heartbeat: .seconds(3600))
        watcher.setDirectories([dir])
        let clock = ContinuousClock()
        let start = clock.now
        let consumer = Task {
            var changeSets = watcher.changes.makeAsyncIterator()
            return await changeSets.next()
        }
        watcher.close()
        #expect(await consumer.value == nil)
        #expect(clock.now - start < .seconds(10))
        #expect(watcher.takeChanges() == nil)
        watcher.close()
    }

    @Test(arguments: backends)
    func cancelledConsumerStopsPromptly(backend: DirectoryWatcher.Backend) async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let watcher = try makeWatcher(backend, heartbeat: .seconds(3600))
        defer { watcher.close() }
        watcher.setDirectories([dir])
        let clock = ContinuousClock()
        let start = clock.now
        let consumer = Task {
            var changeSets = watcher.changes.makeAsyncIterator()
            return await changeSets.next()
        }
        consumer.cancel()
        #expect(await consumer.value == nil)
        #expect(clock.now - start < .seconds(10))
    }

    @Test(arguments: backends)
    func floodYieldsAllPathsOrRescan(backend: DirectoryWatcher.Backend) async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let watcher = try makeWatcher(backend, pollInterval: .milliseconds(250))
        defer { watcher.close() }
        watcher.setDirectories([dir])
        var expected = Set<String>()
        for index in 0..<20_000 {
            let file = dir + "/flood-\(index).log"
            try write(file, chunks: ["\(index)\n"])
            expected.insert(file)
            // Blocking file I/O: let the other tests have the cooperative threads now and then.
            if index % 200 == 0 { await Task.yield() }
        }
        let seen = await observe(watcher, within: .seconds(60)) { $0.rescan || $0.paths.isSuperset(of: expected) }
        #expect(seen.rescan || seen.paths.isSuperset(of: expected))
        #expect(seen.largestSet <= ChangeCollector.defaultMaxPaths)
    }

    @Test func inotifyReportsWithinMilliseconds() async throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let watcher = try makeWatcher(.inotify)
        defer { watcher.close() }
        watcher.setDirectories([dir])
        let clock = ContinuousClock()
        var latencies: [Duration] = []
        for round in 0..<20 {
            let file = dir + "/latency-\(round).log"
            let start = clock.now
            try write(file, chunks: ["x\n"])
            _ = await observe(watcher) { $0.paths.contains(file) }
            latencies.append(clock.now - start)
        }
        latencies.sort()
        let median = latencies[latencies.count / 2]
        print("inotify latency median \(median), max \(latencies.last!)")
        #expect(median < .milliseconds(50))
    }
}
