import AgentTail
import ArgumentParser
import Foundation
import Logging

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show how far each file was read, what waits in the outbox, and each sink's last error.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var configOption: ConfigOption

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        _ = common.bootstrapLogging(default: .notice)
        let config = try configOption.load()
        try configOption.requireState(of: config)
        let report: StatusReport
        do {
            report = try await StatusReport.make(config: config)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        print(json ? report.json : report.text)
    }
}
