import Foundation
import GRDB
import Testing

@testable import AgentTail

#if canImport(Glibc)
import Glibc
#endif

/// The `agenttail` binary built next to the test bundle.
enum Binary {
    static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["AGENTTAIL_BIN"] { return explicit }
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("agenttail").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/agenttail").path
    }
}

/// A running or finished `agenttail` process.
final class AgentTailProcess: @unchecked Sendable {
    // Mutable state is only touched by the test that owns the process, sequentially.
    let process = Process()
    let stderr = Pipe()
    let stdout = Pipe()

    /// - Parameter stderrPath: a file that takes stderr instead of a pipe, to be read while the process runs.
    init(_ arguments: [String], environment: [String: String] = [:], stderrPath: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        if let stderrPath {
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            try stderr.fileHandleForWriting.close()
        } else {
            process.standardError = stderr
        }
        process.standardOutput = stdout
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func kill(_ signal: Int32) {
        Glibc.kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end and returns its exit status, stdout and stderr.
    func finish() async -> (status: Int32, stdout: String, stderr: String) {
        let out = stdout.fileHandleForReading
        let err = stderr.fileHandleForReading
        async let outText = Task.detached { String(decoding: out.readDataToEndOfFile(), as: UTF8.self) }.value
        async let errText = Task.detached { String(decoding: err.readDataToEndOfFile(), as: UTF8.self) }.value
        let (o, e) = await (outText, errText)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume()
            }
        }
        return (process.terminationStatus, o, e)
    }

    /// Runs agenttail to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try await AgentTailProcess(arguments, environment: environment).finish()
    }
}

/// A temporary workspace with a log folder, a config and the state and store paths.
final class Workspace {
    let root: String
    let logs: String
    var config: String { "\(root)/agenttail.yaml" }
    var store: String { "\(root)/events.sqlite" }
    var state: String { "\(root)/state.sqlite" }
    /// The sources the configuration has besides Mini-Agent's.
    private let extraSource: String
    private let sessionTimeout: String

    /// - Parameter logs: a log folder to read instead of a new one (to compare two runs over the same files).
    init(sessionTimeout: String = "1h", extraSource: String = "", logs: String? = nil, outboxLimit: Int = 100_000) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-it-\(UUID().uuidString)").path
        self.logs = logs ?? "\(root)/logs"
        self.extraSource = extraSource
        self.sessionTimeout = sessionTimeout
        try FileManager.default.createDirectory(atPath: "\(root)/logs", withIntermediateDirectories: true)
        try """
            sources:
              - name: mini-agent
                paths: ["\(self.logs)/agent_run_*.log"]
                rules: builtin:mini-agent
                session_timeout: \(sessionTimeout)
            \(extraSource)
            state:
              path: \(root)/state.sqlite
              outbox_limit: \(outboxLimit)
            tailing:
              rescan_interval: 5s
            sinks:
              local:
                path: \(root)/events.sqlite
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    /// Writes a whole file.
    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: "\(logs)/\(name)", atomically: false, encoding: .utf8)
    }

    /// Appends bytes with one write() call.
    func append(_ name: String, _ text: some StringProtocol) throws {
        let fd = open("\(logs)/\(name)", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var data = Array(text.utf8)
        let written = data.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw POSIXError(.EIO) }
    }

    /// What a fresh agenttail stores reading this workspace's folder once, whole, with the same sources (`run
    /// --once` into a store of its own), as `storeDump` gives it.
    func onePassDump() async throws -> [String] {
        let once = try Workspace(sessionTimeout: sessionTimeout, extraSource: extraSource, logs: logs)
        let run = try await AgentTailProcess.run(["run", "--once", "--config", once.config])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        return try once.storeDump()
    }

    /// The local store's tables as sorted lines of `table|id|columns...`, for whole-store comparisons.
    func storeDump() throws -> [String] {
        guard FileManager.default.fileExists(atPath: store) else { return [] }
        let queue = try openStore()
        return try queue.read { db in
            var lines: [String] = []
            for table in NormalizedTable.allCases {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table.rawValue) ORDER BY id") {
                    let values = table.columns.map { column -> String in
                        let value: DatabaseValue = row[column]
                        return value.isNull ? "NULL" : value.description
                    }
                    lines.append("\(table.rawValue)|" + values.joined(separator: "|"))
                }
            }
            return lines.sorted()
        }
    }

    /// Number of rows in a table of the local store (0 when the store does not exist yet).
    func count(_ table: NormalizedTable, where condition: String = "1") throws -> Int {
        guard FileManager.default.fileExists(atPath: store) else { return 0 }
        let queue = try openStore()
        return try queue.read { db in
            guard try db.tableExists(table.rawValue) else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.rawValue) WHERE \(condition)") ?? 0
        }
    }

    /// One column of a table of the local store, as text, in the given order.
    func column(_ name: String, of table: NormalizedTable, orderedBy order: String) throws -> [String] {
        let queue = try openStore()
        return try queue.read { db in
            try String.fetchAll(db, sql: "SELECT \(name) FROM \(table.rawValue) ORDER BY \(order)")
        }
    }

    /// The local store as a reader beside a running agenttail: it waits while agenttail holds the write lock (while
    /// it creates the store, for one) instead of failing with "database is locked".
    private func openStore() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: store, configuration: configuration)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

/// Polls `condition` until it holds; fails the test when `timeout` passes first. For state in another process,
/// where no event can be awaited.
func eventually(
    timeout: Duration = .seconds(20), _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}
