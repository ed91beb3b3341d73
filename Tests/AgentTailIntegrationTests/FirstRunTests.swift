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
