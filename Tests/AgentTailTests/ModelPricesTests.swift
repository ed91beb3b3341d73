import Foundation
import Testing

@testable import AgentTail

/// Costs from the shipped price table, checked against figures worked out by hand from its prices.
struct ModelPricesTests {
    let prices = ModelPrices.builtIn

    @Test func theSnapshotSaysWhereItCameFrom() {
        #expect(prices.source.hasPrefix("litellm "))
        #expect(prices.models.count > 100)
    }

    /// claude-sonnet-4-5: $3 input, $15 output, $0.30 cache read, $3.75 cache write per million tokens. A prompt of
    /// 10,000 tokens of which 8,000 read from the cache and 1,000 written to it, and 500 output tokens:
    /// 1,000 × 3 + 8,000 × 0.30 + 1,000 × 3.75 + 500 × 15 = 16,650 per million, $0.01665.
    @Test func cacheReadsAndWritesArePricedApart() throws {
        let price = try #require(prices.price(for: "claude-sonnet-4-5-20250929"))
        #expect(price == ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75))
        let cost = try #require(price.cost(prompt: 10_000, completion: 500, cacheRead: 8_000, cacheWrite: 1_000))
        #expect(abs(cost - 0.01665) < 1e-12)
        // Without the cache: 10,000 × 3 + 500 × 15 = 37,500 per million.
        #expect(abs(price.cost(prompt: 10_000, completion: 500)! - 0.0375) < 1e-12)
    }

    @Test func aModelIsFoundWithoutItsProvidersPrefixAndInAnyCase() throws {
        // The table has minimax/MiniMax-M2: $0.30 input, $1.20 output.
        let price = try #require(prices.price(for: "MiniMax-M2"))
        #expect(price.input == 0.3 && price.output == 1.2)
        #expect(prices.price(for: "minimax-m2") == price)
        #expect(prices.price(for: "openrouter/minimax/MiniMax-M2") == price)
    }

    @Test func anUnknownModelOrAnUnknownCachePriceHasNoCost() throws {
        #expect(prices.price(for: "my-local-llama") == nil)
        let noCachePrices = ModelPrice(input: 1, output: 2)
        #expect(noCachePrices.cost(prompt: 100, completion: 10, cacheRead: 50) == nil)
        #expect(noCachePrices.cost(prompt: 100, completion: 10) == 120.0 / 1_000_000)
        #expect(noCachePrices.cost(prompt: 10, completion: 1, cacheRead: 50) == nil)  // more cache than prompt
    }

    @Test func theConfigurationsPricesOverrideAndAdd() throws {
        let overridden = prices.overriding([
            "my-local-llama": ModelPrice(input: 0, output: 0),
            "claude-sonnet-4-5-20250929": ModelPrice(input: 2, output: 10, cacheRead: 0.2, cacheWrite: 2.5),
        ])
        #expect(overridden.price(for: "my-local-llama")?.cost(prompt: 1000, completion: 1000) == 0)
        #expect(overridden.price(for: "claude-sonnet-4-5-20250929")?.input == 2)
        #expect(overridden.price(for: "gpt-4o") == prices.price(for: "gpt-4o"))
    }
}
