import AgentTailTestSupport
import Foundation
import Testing

@testable import AgentTail

/// What a newcomer meets on a first run, through the real binary: each mistake named, nothing created by `check`.
struct FirstRunTests {
    /// Every file and folder under `root`, with its size and modification time.
    private func tree(_ root: String) throws -> [String: String] {
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let name = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(root)/\(name)")
            let size = attributes[.size] as? Int ?? 0
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries[name] = "\(size) \(modified)"
        }
        return entries
    }

    @Test func aMissingConfigurationFileIsNamedWithWhatToDo() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-first-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let missing = folder.appendingPathComponent("agenttail.yaml").path
        for command in ["check", "run", "report", "status"] {
            let result = try await AgentTailProcess.run([command, "--config", "\(folder.path)/./agenttail.yaml"])
            #expect(result.status == 2, "\(command)")
            #expect(
                result.stderr
                    == "\(missing): error: no such file; pass --config PATH, or start from config.yaml.example\n",
                "\(command)")
        }
    }

    @Test func checkNamesPatternsThatMatchNothingAndCreatesNothing() async throws {
        let workspace = try Workspace()
        // A second pattern under a folder that does not exist, and state in a folder not made yet.
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(
                of: "paths: [\"\(workspace.logs)/agent_run_*.log\"]",
                with: "paths: [\"\(workspace.logs)/agent_run_*.log\", \"\(workspace.root)/later/x/*.log\"]")
            .replacingOccurrences(of: "path: \(workspace.root)/state.sqlite", with: "path: \(workspace.root)/new/state.sqlite")
        try config.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let before = try tree(workspace.root)
        let first = try await AgentTailProcess.run(["check", "--config", workspace.config])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains(
            "warning: source 'mini-agent': no file matches \(workspace.logs)/agent_run_*.log yet; agenttail will "
                + "follow files that appear there"))
        #expect(first.stdout.contains(
            "warning: source 'mini-agent': folder \(workspace.root)/later does not exist (pattern "
                + "\(workspace.root)/later/x/*.log)"))
        #expect(first.stdout.contains("can be written (agenttail run creates the folder \(workspace.root)/new)"))
        #expect(try tree(workspace.root) == before)

        // With logs read into the store, check reads the store and still changes nothing.
        try workspace.write("agent_run_20261201_100000.log", try String(contentsOfFile: Fixtures.path("mini-agent/01_single_tool.log"), encoding: .utf8))
        let run = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(run.status == 0, "\(run.stderr)")
        let read = try tree(workspace.root)
        let second = try await AgentTailProcess.run(["check", "--config", workspace.config])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("ok: source 'mini-agent': 1 files match (\(workspace.logs)/agent_run_20261201_100000.log)"))
        #expect(try tree(workspace.root) == read)
    }

    @Test func runSaysAtStartWhatEachSourceMatches() async throws {
        let workspace = try Workspace()
        try workspace.write("agent_run_20261201_100000.log", try String(contentsOfFile: Fixtures.path("mini-agent/01_single_tool.log"), encoding: .utf8))
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8).replacingOccurrences(
            of: "paths: [\"\(workspace.logs)/agent_run_*.log\"]",
            with: "paths: [\"\(workspace.logs)/agent_run_*.log\", \"\(workspace.root)/later/*.log\"]")
        try config.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let result = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("source matches 1 files"))
        #expect(result.stderr.contains("files=\(workspace.logs)/agent_run_20261201_100000.log"))
        #expect(result.stderr.contains(
            "folder \(workspace.root)/later does not exist (pattern \(workspace.root)/later/*.log); watching for files "
                + "to appear there"))
    }

    @Test func everyConfigurationErrorIsNamedWithItsPlace() async throws {
        let workspace = try Workspace()
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(of: "tailing:\n", with: "tailing:\n  poll_interval: fast\n  watcher: kqueue\n")
            + "\nwatch_rules: maybe\n"
        try config.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let lines = config.split(separator: "\n", omittingEmptySubsequences: false)
        func line(_ text: String) -> Int { (lines.firstIndex { $0.contains(text) } ?? -1) + 1 }
        for command in ["check", "run"] {
            let result = try await AgentTailProcess.run([command, "--config", workspace.config])
            #expect(result.status == 2)
            #expect(
                result.stderr.split(separator: "\n") == [
                    "\(workspace.config):\(line("poll_interval")):18: error: tailing.poll_interval: expected a duration "
                        + "such as 500ms, 30s, 10m or 1h, got 'fast'",
                    "\(workspace.config):\(line("kqueue")):12: error: tailing.watcher: expected one of auto, inotify, "
                        + "polling, got 'kqueue'",
                    "\(workspace.config):\(line("maybe")):14: error: watch_rules: expected true or false, got 'maybe'",
                ], "\(command)")
        }
    }

    @Test func runOncePrintsEachErrorPatternOnOneLine() async throws {
        let workspace = try Workspace()
        var log = MiniAgentLog(start: "2026-12-01 10:00:00")
        let system: [String: Any] = ["role": "system", "content": "You are a careful coding assistant."]
        let user: [String: Any] = ["role": "user", "content": "Run the tests."]
        log.request(messages: [system, user])
        log.response(content: "Running.", toolCalls: [("toolu_1", "bash", ["command": "pytest"])])
        let traceback = "Traceback (most recent call last):\n  File \"t.py\", line 3, in <module>\n\u{1B}[31mValueError: "
            + String(repeating: "bad ", count: 60)
        log.toolResult(name: "bash", arguments: ["command": "pytest"], success: false, output: traceback)
        log.request(messages: [system, user, ["role": "assistant", "content": "Running."]])
        log.response(content: "The tests fail.")
        try workspace.write("agent_run_20261201_100000.log", log.text)
        let result = try await AgentTailProcess.run(
            ["run", "--once", "--config", workspace.config], environment: ["COLUMNS": "80"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let pattern = try #require(lines.first { $0.contains("Traceback (most recent call last):") })
        #expect(pattern.count <= 80)
        #expect(!result.stdout.contains("File \"t.py\"") && !result.stdout.contains("\u{1B}"))
    }

    @Test func versionNamesTheCommit() async throws {
        let result = try await AgentTailProcess.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.wholeMatch(of: /\d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n/) != nil, "\(result.stdout)")
    }

    @Test func completionScriptsNameEveryCommand() async throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try await AgentTailProcess.run(["--generate-completion-script", shell])
            #expect(result.status == 0)
            for command in ["run", "report", "status", "check", "dead-letters", "test-rules"] {
                #expect(result.stdout.contains(command), "\(shell) \(command)")
            }
        }
        // The bash script is valid bash.
        let bash = try await AgentTailProcess.run(["--generate-completion-script", "bash"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-completion-\(UUID()).bash")
        try bash.stdout.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        check.arguments = ["-n", file.path]
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
    }
}

/// `--log-format` through the real binary.
struct LogFormatTests {
    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let workspace = try Workspace()
        try workspace.write(
            "agent_run_20261201_100000.log",
            try String(contentsOfFile: Fixtures.path("mini-agent/01_single_tool.log"), encoding: .utf8))
        let result = try await AgentTailProcess.run(
            ["run", "--once", "--config", workspace.config, "--log-format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["time"] is String && object["level"] is String && object["message"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains(#""message":"agenttail started""#) })
    }

    @Test func textLogsStartWithTimeLevelAndMessage() async throws {
        let workspace = try Workspace()
        let result = try await AgentTailProcess.run(["run", "--once", "--config", workspace.config])
        #expect(result.status == 0, "\(result.stderr)")
        let started = try #require(result.stderr.split(separator: "\n").first { $0.contains("agenttail started") })
        #expect(try #require(try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ info agenttail started config="#)).firstMatch(in: String(started)) != nil, "\(started)")
    }
}
