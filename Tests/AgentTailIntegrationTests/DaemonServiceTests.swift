import Foundation
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// The service `agenttail run` starts, run in-process: real files and inotify, sinks the test controls.
struct DaemonServiceTests {
    var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// A sink that keeps failing (and asks for 2 s between tries) does not hold back the other: the healthy sink
    /// gets the run as it is written, and graceful shutdown ends the service with everything read committed.
    @Test func eachSinkAtItsOwnPaceUntilGracefulShutdown() async throws {
        let workspace = try Workspace()
        let config = try ConfigLoader().load(path: workspace.config)
        let healthy = RecordingSink(name: "healthy")
        let failing = RecordingSink(name: "failing", behaviour: .retry(after: .seconds(30)))
        let daemon = try Daemon(config: config, logger: logger, outboxSinks: [healthy, failing])
        let clock = ContinuousClock()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await daemon.run() }
                // The failing sink has been tried once: it now waits 30 s before its next try.
                try workspace.write("agent_run_20261126_100000.log", MiniAgentLog.simpleRun(task: "first").text)
                await failing.received { !$0.isEmpty }
                let written = clock.now
                try workspace.write(
                    "agent_run_20261126_110000.log",
                    MiniAgentLog.simpleRun(task: "second", start: "2026-11-26 11:00:00").text)
                await healthy.received { batches in
                    batches.joined().contains { $0.table == .agentSessions && $0.text("task") == "second" }
                }
                #expect(clock.now - written < .seconds(10))
                #expect(failing.received.count == 1)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(try workspace.count(.agentSessions, where: "status = 'completed'") == 2)
        let store = try StateStore(path: config.state.path)
        #expect(try await store.outboxDepth(for: "healthy") == 0)
        #expect(try await store.outboxDepth(for: "failing") > 0)
        #expect(try await store.sinkStatus("failing").lastError == "down")
    }
}
