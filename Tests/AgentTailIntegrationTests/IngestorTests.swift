import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// The ingest path in-process, step by step, on real files and on-disk SQLite.
struct IngestorTests {
    static var system: [String: Any] { ["role": "system", "content": "You are careful."] }

    /// - Parameter outboxSinks: sinks that read the outbox besides the local store (none by default).
    func daemon(_ workspace: Workspace, outboxSinks: [any Sink] = []) throws -> Daemon {
        let config = try ConfigLoader(defaultHost: "test-host").load(path: workspace.config)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try Daemon(config: config, logger: logger, outboxSinks: outboxSinks)
    }

    /// A sink that takes every batch and counts the rows.
    final class AcceptingSink: Sink {
        let name = "accepting"
        let received = Mutex(0)

        func send(_ rows: [NormalizedRow]) async throws(SinkError) -> [Rejection] {
            received.withLock { $0 += rows.count }
            return []
        }
    }

    /// One ingest step and one delivery round, as the services do after a change.
    func cycle(_ daemon: Daemon) async throws {
        _ = try await daemon.ingestor.step(changed: nil)
        #expect(await daemon.shipper.deliverAvailable() == .drained)
    }

    @Test func entriesWrittenInPiecesAppearOnceAndOnlyWhenComplete() async throws {
        let workspace = try Workspace()
        let daemon = try daemon(workspace)
        var log = MiniAgentLog()
        let request = log.request(messages: [Self.system, ["role": "user", "content": "hello " + String(repeating: "x", count: 600)]])
        let response = log.response(content: "", toolCalls: [("c1", "bash", ["command": "ls"])])
        let name = "agent_run_20261126_100000.log"

        try workspace.append(name, log.header + request.prefix(60))
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions) == 0)

        try workspace.append(name, request.dropFirst(60))
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions) == 1)
        #expect(try workspace.count(.llmCalls) == 0)

        // The response's head arrives before its body, as with entries over 8 KB.
        let split = response.range(of: "LLM Response:")!.upperBound
        try workspace.append(name, response[..<split])
        try await cycle(daemon)
        #expect(try workspace.count(.llmCalls) == 0)
        let middle = response.index(split, offsetBy: 30)
        try workspace.append(name, response[split..<middle])
        try await cycle(daemon)
        #expect(try workspace.count(.llmCalls) == 0)
        try workspace.append(name, response[middle...])
        try await cycle(daemon)
        #expect(try workspace.count(.llmCalls) == 1)

        let result = log.toolResult(name: "bash", arguments: ["command": "ls"], success: true, output: "a\n")
        try workspace.append(name, result)
        try await cycle(daemon)
        try await cycle(daemon)
        #expect(try workspace.count(.toolExecutions) == 1)
        #expect(try workspace.count(.llmCalls) == 1)
        #expect(try workspace.count(.agentSessions, where: "status = 'running' AND tool_calls = 1") == 1)
        #expect(try await daemon.store.outboxCount() == 0)
    }

    @Test func restartResumesFromCheckpointWithSameResult() async throws {
        let name = "agent_run_20261126_100000.log"
        let log = MiniAgentLog.simpleRun(task: "resume me " + String(repeating: "y", count: 600))
        let cut = log.header + log.entries[0] + log.entries[1] + log.entries[2].prefix(40)

        let interrupted = try Workspace()
        try interrupted.write(name, cut)
        try await cycle(try daemon(interrupted))
        try interrupted.append(name, log.text.dropFirst(cut.count))
        try await cycle(try daemon(interrupted))

        let clean = try Workspace()
        try FileManager.default.removeItem(atPath: clean.logs)
        try FileManager.default.createSymbolicLink(atPath: clean.logs, withDestinationPath: interrupted.logs)
        try await cycle(try daemon(clean))
        let first = try interrupted.storeDump()
        #expect(first.count == 1 + 2 + 1)
        #expect(first == (try clean.storeDump()).map { $0.replacingOccurrences(of: clean.logs, with: interrupted.logs) })
    }

    /// Stray lines (a traceback between entries) are one parser error, even when agenttail stops in their middle.
    @Test func strayTextCutByARestartIsReportedOnce() async throws {
        let name = "agent_run_20261126_100000.log"
        var log = MiniAgentLog()
        let request = log.request(messages: [Self.system, ["role": "user", "content": "go " + String(repeating: "x", count: 600)]])
        let response = log.response(content: "done")
        let first = log.header + request + "Traceback (most recent call last):\n"
        let rest = "  File \"agent.py\", line 3\nKeyError: 'x'\n" + response

        let interrupted = try Workspace()
        try interrupted.write(name, first)
        try await cycle(try daemon(interrupted))
        try interrupted.append(name, rest)
        try await cycle(try daemon(interrupted))

        let clean = try Workspace(logs: interrupted.logs)
        try await cycle(try daemon(clean))
        #expect(try clean.count(.agentErrors, where: "source = 'parser'") == 1)
        #expect(try interrupted.storeDump() == (try clean.storeDump()))
    }

    /// With sinks behind, one step stops reading at the slice that fills the outbox instead of reading every backlog.
    @Test func fullOutboxStopsTheStepAndNothingIsLostAfter() async throws {
        let workspace = try Workspace(outboxLimit: 5)
        for index in 0..<6 {
            let run = MiniAgentLog.simpleRun(task: "run \(index) " + String(repeating: "r", count: 600))
            try workspace.write("agent_run_20261126_1000\(index)0.log", run.text)
        }
        let sink = AcceptingSink()
        let daemon = try daemon(workspace, outboxSinks: [sink])
        let step = try await daemon.ingestor.step(changed: nil)
        let perFile = 1 + 2 + 1
        #expect(step.paused)
        #expect(step.outboxRows == step.rows)
        #expect(step.rows >= 5 && step.rows <= 5 - 1 + perFile)
        #expect(try await daemon.ingestor.step(changed: nil).rows == 0)
        // Deliver, read on, until a step finds nothing left: at least two more rounds for the rest.
        var rounds = 0
        repeat {
            #expect(await daemon.shipper.deliverAvailable() == .drained)
            rounds += 1
        } while try await daemon.ingestor.step(changed: nil).rows > 0
        #expect(rounds >= 3)
        #expect(try workspace.storeDump().count == 6 * perFile)
        #expect(sink.received.withLock { $0 } == 6 * perFile)
    }

    @Test func localStoreAloneLeavesTheOutboxEmpty() async throws {
        let workspace = try Workspace()
        try workspace.write("agent_run_1.log", MiniAgentLog.simpleRun(task: "alone " + String(repeating: "a", count: 600)).text)
        let daemon = try daemon(workspace)
        let step = try await daemon.ingestor.step(changed: nil)
        #expect(step.rows == 4 && step.outboxRows == 0)
        #expect(try workspace.count(.llmCalls) == 2)
        #expect(try await daemon.store.outboxCount() == 0)
    }

    /// A rename inside the glob seen in two batches (the old name vanishes in one, the new name appears in the next)
    /// keeps the session: nothing is read twice, no record is cut.
    @Test func renameSeenInTwoBatchesKeepsTheSession() async throws {
        let workspace = try Workspace()
        let daemon = try daemon(workspace)
        var log = MiniAgentLog()
        log.request(messages: [Self.system, ["role": "user", "content": "go " + String(repeating: "g", count: 600)]])
        try workspace.write("agent_run_1.log", log.text)
        try await cycle(daemon)
        let old = "\(workspace.logs)/agent_run_1.log"
        let new = "\(workspace.logs)/agent_run_1b.log"
        try FileManager.default.moveItem(atPath: old, toPath: new)
        _ = try await daemon.ingestor.step(changed: [old])
        try workspace.append("agent_run_1b.log", log.response(content: "done"))
        _ = try await daemon.ingestor.step(changed: [new])
        #expect(await daemon.shipper.deliverAvailable() == .drained)
        #expect(try workspace.count(.agentSessions) == 1)
        #expect(try workspace.count(.agentSessions, where: "status = 'completed' AND source_path LIKE '%agent_run_1b.log'") == 1)
        #expect(try workspace.count(.llmCalls) == 1)
        #expect(try workspace.count(.agentErrors) == 0)
    }

    /// A log shorter than the fingerprint is tracked once it has been quiet a moment, without waiting for a rescan:
    /// a quiet file sends no more notifications.
    @Test func shortQuietFileIsTrackedWithoutAnotherNotification() async throws {
        let workspace = try Workspace()
        let daemon = try daemon(workspace)
        var log = MiniAgentLog()
        log.response(content: "ok")
        #expect(log.text.utf8.count < FileIdentity.fingerprintLimit)
        try workspace.write("agent_run_1.log", log.text)
        let path = "\(workspace.logs)/agent_run_1.log"
        let now = Date()
        #expect(try await daemon.ingestor.step(changed: [path], now: now).rows == 0)
        // Seconds later, with no change reported, the file is quiet long enough.
        let later = now.addingTimeInterval(FileIdentity.smallFileQuietSeconds + 1)
        #expect(try await daemon.ingestor.step(changed: [], now: later).rows > 0)
        #expect(await daemon.shipper.deliverAvailable() == .drained)
        #expect(try workspace.count(.agentSessions) == 1)
    }

    @Test func truncatedFileIsReadAgainAsANewSession() async throws {
        let workspace = try Workspace()
        let daemon = try daemon(workspace)
        let name = "agent_run_20261126_100000.log"
        try workspace.write(name, MiniAgentLog.simpleRun(task: "first run " + String(repeating: "a", count: 600)).text)
        try await cycle(daemon)
        // Same name, same second, opened for overwrite: the second run clobbers the first in place.
        let second = MiniAgentLog.simpleRun(task: "second " + String(repeating: "b", count: 600), answer: "Other.")
        let fd = open("\(workspace.logs)/\(name)", O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        close(fd)
        try workspace.append(name, second.text)
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions) == 2)
        #expect(try workspace.count(.agentSessions, where: "status = 'completed'") == 2)
        #expect(try workspace.count(.llmCalls) == 4)
    }

    @Test func renamedFileKeepsItsSessionAndDeletedFileIsForgotten() async throws {
        let workspace = try Workspace()
        let daemon = try daemon(workspace)
        var log = MiniAgentLog()
        log.request(messages: [Self.system, ["role": "user", "content": "long task " + String(repeating: "z", count: 600)]])
        try workspace.write("agent_run_1.log", log.text)
        try await cycle(daemon)
        try FileManager.default.moveItem(atPath: "\(workspace.logs)/agent_run_1.log", toPath: "\(workspace.logs)/agent_run_2.log")
        let response = log.response(content: "Done.")
        try workspace.append("agent_run_2.log", response)
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions) == 1)
        #expect(try workspace.count(.agentSessions, where: "status = 'completed' AND source_path LIKE '%agent_run_2.log'") == 1)
        #expect(try workspace.count(.llmCalls) == 1)

        try FileManager.default.removeItem(atPath: "\(workspace.logs)/agent_run_2.log")
        try await cycle(daemon)
        #expect(try await daemon.store.allCheckpoints().isEmpty)
        #expect(try workspace.count(.agentSessions) == 1)
    }

    @Test func silentSessionIsConcludedFromFileAge() async throws {
        let workspace = try Workspace(sessionTimeout: "30s")
        let daemon = try daemon(workspace)
        var log = MiniAgentLog()
        log.request(messages: [Self.system, ["role": "user", "content": "stuck " + String(repeating: "s", count: 600)]])
        try workspace.write("agent_run_1.log", log.text)
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions, where: "status = 'running'") == 1)
        // An old file read in a backfill: its age, not the wall clock of reading, decides.
        _ = try await daemon.ingestor.step(changed: [], now: Date().addingTimeInterval(31))
        _ = await daemon.shipper.deliverAvailable()
        #expect(try workspace.count(.agentSessions, where: "status = 'failed'") == 1)
        #expect(try workspace.count(.llmCalls, where: "status = 'no_response'") == 1)
    }

    @Test func descriptorsStayBoundedAndClosedFilesAreReopenedOnChange() async throws {
        let workspace = try Workspace()
        var text = try String(contentsOfFile: workspace.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "tailing:\n", with: "tailing:\n  max_open_files: 4\n")
        try text.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let daemon = try daemon(workspace)
        var logs: [MiniAgentLog] = []
        for index in 0..<10 {
            var log = MiniAgentLog(start: "2026-11-26 10:00:\(String(format: "%02d", index))")
            log.request(messages: [Self.system, ["role": "user", "content": "file \(index) " + String(repeating: "f", count: 600)]])
            try workspace.write("agent_run_\(index).log", log.text)
            logs.append(log)
        }
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions) == 10)
        for index in 0..<10 {
            try workspace.append("agent_run_\(index).log", logs[index].response(content: "answer \(index)"))
        }
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions, where: "status = 'completed'") == 10)
        #expect(try workspace.count(.llmCalls) == 10)
    }

    @Test func startAtEndSkipsExistingContentButReadsNewFilesWhole() async throws {
        let workspace = try Workspace()
        var text = try String(contentsOfFile: workspace.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "    rules: builtin:mini-agent\n", with: "    rules: builtin:mini-agent\n    start_at: end\n")
        try text.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        var old = MiniAgentLog.simpleRun(task: "old " + String(repeating: "o", count: 600))
        try workspace.write("agent_run_old.log", old.text)
        let daemon = try daemon(workspace)
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions) == 0)
        // What the old file gains from now on is read; the new file is read whole.
        try workspace.append("agent_run_old.log", old.request(messages: [Self.system, ["role": "user", "content": "more"]]))
        try workspace.append("agent_run_old.log", old.response(content: "More done."))
        try workspace.write("agent_run_new.log", MiniAgentLog.simpleRun(task: "new " + String(repeating: "n", count: 600)).text)
        try await cycle(daemon)
        #expect(try workspace.count(.llmCalls) == 1 + 2)
        #expect(try workspace.count(.agentErrors, where: "source = 'parser'") == 0)
    }

    @Test func twoSourcesOverTheSameFilesKeepSeparateCheckpointsAndWriteOneSetOfRows() async throws {
        let shared = try Workspace()
        let workspace = try Workspace(
            extraSource: "  - name: again\n    paths: [\"\(shared.logs)/agent_run_*.log\"]\n", logs: shared.logs)
        try workspace.write("agent_run_1.log", MiniAgentLog.simpleRun(task: "shared " + String(repeating: "q", count: 600)).text)
        let daemon = try daemon(workspace)
        try await cycle(daemon)
        try await cycle(daemon)
        let checkpoints = try await daemon.store.allCheckpoints()
        #expect(Set(checkpoints.map(\.source)) == ["mini-agent", "again"])
        #expect(checkpoints.allSatisfy { $0.offset == checkpoints[0].offset && $0.offset > 0 })
        #expect(try workspace.count(.agentSessions) == 1)
        #expect(try workspace.count(.llmCalls) == 2)
    }

    /// A commit that fails in the state (the checkpoint) or in the local store (the rows), as on a full disk.
    @Test(arguments: ["state: files", "store: llm_calls"])
    func failedCommitLosesNothingAfterReload(_ failing: String) async throws {
        let workspace = try Workspace()
        let daemon = try daemon(workspace)
        // A trigger makes inserts into one table fail on demand.
        let parts = failing.split(separator: ": ")
        let database = try DatabaseQueue(path: parts[0] == "state" ? workspace.state : workspace.store)
        try await database.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE fail_writes (x);
                    CREATE TRIGGER simulate_full_disk BEFORE INSERT ON \(parts[1]) WHEN EXISTS (SELECT 1 FROM fail_writes)
                    BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
                    INSERT INTO fail_writes VALUES (1);
                    """)
        }
        try workspace.write("agent_run_1.log", MiniAgentLog.simpleRun(task: "disk " + String(repeating: "d", count: 600)).text)
        await #expect(throws: StateError.self) { _ = try await daemon.ingestor.step(changed: nil) }
        try await database.write { db in try db.execute(sql: "DELETE FROM fail_writes") }
        try await daemon.ingestor.reload()
        try await cycle(daemon)
        #expect(try workspace.count(.agentSessions, where: "status = 'completed'") == 1)
        #expect(try workspace.count(.llmCalls) == 2)
        #expect(try workspace.count(.toolExecutions) == 1)
    }

    @Test func restartInsideTheFileHeaderDoesNotReportTheRestOfTheHeaderAsStrayText() async throws {
        let workspace = try Workspace()
        let log = MiniAgentLog.simpleRun(task: "header " + String(repeating: "h", count: 600))
        let firstLines = log.header.split(separator: "\n", omittingEmptySubsequences: false).prefix(2)
            .joined(separator: "\n") + "\n"
        try workspace.write("agent_run_1.log", firstLines)
        // The small file has been quiet long enough to be tracked; its checkpoint lands inside the header.
        _ = try await daemon(workspace).ingestor.step(changed: nil, now: Date().addingTimeInterval(5))
        #expect(try await daemon(workspace).store.allCheckpoints().first?.offset == Int64(firstLines.utf8.count))
        try workspace.append("agent_run_1.log", log.text.dropFirst(firstLines.count))
        try await cycle(try daemon(workspace))
        #expect(try workspace.count(.agentErrors) == 0)
        #expect(try workspace.count(.agentSessions, where: "status = 'completed'") == 1)
    }
}
