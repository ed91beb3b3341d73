import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// Tokens with their cache parts and the cost of each call and session, on Claude Code fixtures, against figures
/// computed by hand from the price table (US dollars per million tokens).
struct CostTests {
    func rows(_ fixture: String, pricing: [String: ModelPrice] = [:]) throws -> [NormalizedRow] {
        var rules = try RulePackLoader.load(.builtin("claude-code"))
        rules.enrichment = CallEnrichment(prices: ModelPrices.builtIn.overriding(pricing))
        return try FileParser.rows(path: Fixtures.path("claude-code/\(fixture)"), rules: rules, host: "test-host")
            .latestVersions()
    }

    func usd(_ row: NormalizedRow) -> USDAmount? {
        if case .usd(let amount) = row["cost_usd"] { return amount }
        return nil
    }

    @Test func cacheReadsAndWritesArePricedApart() throws {
        let rows = try rows("01_single_tool.jsonl")
        let calls = rows.rows(.llmCalls)
        try #require(calls.count == 2)
        // claude-sonnet-4-5-20250929: $3 input, $15 output, $0.30 a cache read, $3.75 a cache write.
        // 4 × 3 + 1523 × 3.75 + 14210 × 0.30 + 118 × 15 = 11756.25 millionths.
        #expect(calls[0].text("prompt_tokens") == "15737")
        #expect(calls[0].text("cache_read_tokens") == "14210")
        #expect(calls[0].text("cache_creation_tokens") == "1523")
        #expect(calls[0].text("completion_tokens") == "118")
        #expect(usd(calls[0]) == USDAmount(nanos: 11_756_250))
        // 7 × 3 + 412 × 3.75 + 15733 × 0.30 + 96 × 15 = 7725.9 millionths.
        #expect(usd(calls[1]) == USDAmount(nanos: 7_725_900))
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("prompt_tokens") == "\(15737 + 16152)")
        #expect(session.text("completion_tokens") == "\(118 + 96)")
        #expect(session.text("cache_read_tokens") == "\(14210 + 15733)")
        #expect(session.text("cache_creation_tokens") == "\(1523 + 412)")
        #expect(usd(session) == USDAmount(nanos: 19_482_150))
        #expect(session.text("cost_usd") == "0.019482150")
    }

    @Test func aModelWithoutAPriceHasNoCostAndIsNamed() throws {
        let rows = try rows("02_parallel_tools_and_failure.jsonl")
        let calls = rows.rows(.llmCalls)
        #expect(!calls.isEmpty && calls.allSatisfy { $0.text("model") == "claude-sonnet-4-20250514" })
        #expect(calls.allSatisfy { $0["cost_usd"] == .null && $0["prompt_tokens"] != .null })
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session["cost_usd"] == .null)
        let prompt = [4, 2210, 11876, 4, 689, 14086].reduce(0, +)
        #expect(session.text("prompt_tokens") == String(prompt))
        #expect(session.text("metadata")?.contains(#""unpriced_models":["claude-sonnet-4-20250514"]"#) == true)
    }

    @Test func theConfigurationPricesAModel() throws {
        let config = try ConfigLoader().load(
            text: """
                sources: [{name: cc, paths: /tmp/x/*.jsonl, rules: builtin:claude-code}]
                pricing:
                  claude-sonnet-4-20250514: {input: 3, output: 15, cache_read: 0.3, cache_write: 3.75}
                """, file: "/tmp/agenttail-test.yaml")
        let rows = try rows("02_parallel_tools_and_failure.jsonl", pricing: config.pricing)
        let calls = rows.rows(.llmCalls)
        // 4 × 3 + 2210 × 3.75 + 11876 × 0.30 + 201 × 15 = 14877.3 millionths; 4 × 3 + 689 × 3.75 + 14086 × 0.30
        // + 143 × 15 = 8966.55 millionths.
        #expect(calls.map(usd) == [USDAmount(nanos: 14_877_300), USDAmount(nanos: 8_966_550)])
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(usd(session) == USDAmount(nanos: 23_843_850))
        #expect(session.metadataText("unpriced_models") == nil)
    }

    @Test func pricesInTheConfigurationAreChecked() {
        #expect(throws: ConfigError.self) {
            try ConfigLoader().load(
                text: "sources: [{name: cc, paths: /tmp/x/*.jsonl}]\npricing: {m: {input: cheap, output: 1}}",
                file: "/tmp/agenttail-test.yaml")
        }
        #expect(throws: ConfigError.self) {
            try ConfigLoader().load(
                text: "sources: [{name: cc, paths: /tmp/x/*.jsonl}]\npricing: {m: {input: 1}}", file: "/tmp/agenttail-test.yaml")
        }
    }

    @Test func anAPIErrorIsNoCallAndCostsNothing() throws {
        let rows = try rows("04_multi_turn_api_error.jsonl")
        let calls = rows.rows(.llmCalls)
        #expect(calls.count == 5)
        #expect(calls.allSatisfy { $0.text("model") == "claude-opus-4-5-20251101" && usd($0) != nil })
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("workspace") == "/home/lee/projects/parcel-tracker")
        #expect(session.text("git_branch") == "fix/eta-rounding")
        #expect(session.text("agent_version") == "2.1.9")
        #expect(usd(session) == calls.compactMap(usd).reduce(.zero, +))
    }
}
