import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// Parses text as one finished log file with the Mini-Agent rules.
func parseMiniAgent(_ text: String, chunkSizes: [Int]? = nil) throws -> [NormalizedRow] {
    let folder = try TemporaryFolder()
    let path = try folder.write("agent_run_test.log", text)
    return try FileParser.rows(path: path, rules: try Fixtures.miniAgentRules, host: "test-host")
}
