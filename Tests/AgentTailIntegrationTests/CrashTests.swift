import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `agenttail run` killed with SIGKILL at random moments while files grow, restarted each time: the store must end
/// exactly as one clean run over the final files makes it, nothing lost, nothing twice.
@Suite(.serialized)
struct CrashTests {
    /// Pieces of several runs' log files, in the order a set of agents would write them.
    static func plan(seed: UInt64, files: Int, steps: Int) -> [(file: String, text: String)] {
        var generator = SeededGenerator(seed: seed)
        var queues: [[(String, String)]] = []
        for index in 0..<files {
            let name = "agent_run_20261126_10\(String(format: "%02d", index))00.log"
            var log = MiniAgentLog(start: "2026-11-26 10:\(String(format: "%02d", index)):00")
            let system: [String: Any] = ["role": "system", "content": "You are careful. " + String(repeating: "s", count: 500)]
            var history: [[String: Any]] = [system, ["role": "user", "content": "task \(index)"]]
            var texts = [log.header]
            for step in 0..<steps {
                texts.append(log.request(messages: history))
                let id = "call_\(index)_\(step)"
                texts.append(log.response(content: "step \(step)", toolCalls: [(id, "bash", ["command": "echo \(step)"])]))
                let output = String(repeating: "out \(step) ", count: Int.random(in: 1...400, using: &generator))
                texts.append(
                    log.toolResult(name: "bash", arguments: ["command": "echo \(step)"], success: step % 3 != 2, output: output))
                history.append(["role": "assistant", "content": "step \(step)"])
                history.append(["role": "tool", "content": output, "tool_call_id": id])
            }
            texts.append(log.request(messages: history))
            texts.append(log.response(content: "finished \(index)"))
            // The agent writes an entry with several write() calls.
            var pieces: [(String, String)] = []
            for text in texts {
                var rest = Substring(text)
                while !rest.isEmpty {
                    let size = Int.random(in: 1...max(1, rest.count), using: &generator)
                    pieces.append((name, String(rest.prefix(size))))
                    rest = rest.dropFirst(size)
                    if pieces.count % 2 == 0 { break }
                }
                if !rest.isEmpty { pieces.append((name, String(rest))) }
            }
            // The first write holds the header and the start of the first request, as Mini-Agent's does: a file is
            // keyed by its first 512 bytes, or by fewer once it has been quiet for 2 s, and a slow machine must not
            // make this run's keys differ from the clean run's.
            while pieces.count > 1 && pieces[0].1.utf8.count < FileIdentity.fingerprintLimit {
                pieces[0].1 += pieces.remove(at: 1).1
            }
            queues.append(pieces)
        }
        var order: [(file: String, text: String)] = []
        while queues.contains(where: { !$0.isEmpty }) {
            let candidates = queues.indices.filter { !queues[$0].isEmpty }
            let pick = candidates[Int.random(in: 0..<candidates.count, using: &generator)]
            let piece = queues[pick].removeFirst()
            order.append((piece.0, piece.1))
        }
        return order
    }

    @Test func storeAfterRepeatedKillsEqualsOneCleanRun() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed: UInt64 = environment["AGENTTAIL_CRASH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...1_000_000)
        let kills: Int = environment["AGENTTAIL_CRASH_KILLS"].flatMap { Int($0) } ?? 12
        var generator = SeededGenerator(seed: seed &+ 1)
        let pieces = Self.plan(seed: seed, files: 5, steps: 6)
        let workspace = try Workspace()
        var next = 0
        for round in 0..<kills {
            let daemon = try AgentTailProcess(["run", "--config", workspace.config, "--log-level", "error"])
            let count = Int.random(in: 1...max(1, (pieces.count - next) / max(1, kills - round)), using: &generator)
            for piece in pieces[next..<min(pieces.count, next + count)] {
                try workspace.append(piece.file, piece.text)
            }
            next = min(pieces.count, next + count)
            // Kill at a random moment: before it started reading, mid-step, or mid-commit.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...120, using: &generator)))
            daemon.kill(SIGKILL)
            let result = await daemon.finish()
            let killedOrDone = result.status == SIGKILL || result.status == 0
            #expect(killedOrDone, "seed \(seed) round \(round): \(result.stderr)")
        }
        for piece in pieces[next...] { try workspace.append(piece.file, piece.text) }
        let final = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config, "--log-level", "error"])
        #expect(final.status == 0, "seed \(seed): \(final.stderr)")

        let clean = try Workspace(logs: workspace.logs)
        let reference = try await AgentTailProcess.run(["run", "--once", "--config", clean.config, "--log-level", "error"])
        #expect(reference.status == 0)
        let expected = try clean.storeDump()
        // 5 runs × (1 session + 7 LLM calls + 6 tools + 2 failed tools' errors).
        let expectedRows = 5 * (1 + 7 + 6 + 2)
        #expect(expected.count == expectedRows, "seed \(seed)")
        let actual = try workspace.storeDump()
        #expect(actual.count == expected.count, "seed \(seed)")
        let extra = Set(actual).subtracting(expected).sorted()
        let missing = Set(expected).subtracting(actual).sorted()
        #expect(extra.isEmpty && missing.isEmpty, "seed \(seed): extra \(extra) missing \(missing)")
    }
}
