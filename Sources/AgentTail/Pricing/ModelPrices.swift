import Foundation

/// What a model's tokens cost, in US dollars per million tokens.
package struct ModelPrice: Sendable, Equatable, Codable {
    package var input: Double
    package var output: Double
    /// A prompt token read from the provider's cache; nil when the table does not say.
    package var cacheRead: Double?
    /// A prompt token written to the provider's cache; nil when the table does not say.
    package var cacheWrite: Double?

    package init(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }

    enum CodingKeys: String, CodingKey {
        case input, output
        case cacheRead = "cache_read"
        case cacheWrite = "cache_write"
    }

    /// The cost of one call in US dollars. `prompt` is the whole prompt (fresh tokens, cache reads and cache writes,
    /// as `llm_calls.prompt_tokens` counts it). Nil when the call used the cache and the price of that is not known:
    /// a cost is never guessed.
    package func cost(prompt: Int, completion: Int, cacheRead read: Int = 0, cacheWrite written: Int = 0) -> Double? {
        let fresh = prompt - read - written
        guard fresh >= 0, completion >= 0 else { return nil }
        var total = Double(fresh) * input + Double(completion) * output
        if read > 0 {
            guard let cacheRead else { return nil }
            total += Double(read) * cacheRead
        }
        if written > 0 {
            guard let cacheWrite else { return nil }
            total += Double(written) * cacheWrite
        }
        return total / 1_000_000
    }
}

/// The prices agenttail knows: a snapshot of litellm's model price file (`Resources/pricing/model-prices.json`,
/// written by `scripts/model-prices.py`, which records the version and the day), with the configuration's own
/// prices over it.
package struct ModelPrices: Sendable {
    /// Prices by model name as the table writes it (`claude-sonnet-4-5-20250929`, `minimax/MiniMax-M2`).
    package let models: [String: ModelPrice]
    /// Where the snapshot came from, as the resource says.
    package let source: String
    /// Names by their lower-cased form and by the part after a provider's prefix, for lookups.
    private let aliases: [String: String]

    /// The snapshot agenttail ships with.
    package static let builtIn = BundledResource.load("pricing/model-prices.json") { try ModelPrices(json: $0) }

    init(json: Data) throws {
        struct Document: Decodable {
            var source: String
            var models: [String: ModelPrice]
        }
        let document = try JSONDecoder().decode(Document.self, from: json)
        self.init(models: document.models, source: document.source)
    }

    package init(models: [String: ModelPrice], source: String) {
        self.models = models
        self.source = source
        var aliases: [String: String] = [:]
        // A provider's prefix is dropped for the lookup (`minimax/MiniMax-M2` answers `MiniMax-M2`) unless another
        // entry has that name already; names are visited in order, so the table decides, not chance.
        for name in models.keys.sorted() {
            aliases[name.lowercased()] = aliases[name.lowercased()] ?? name
        }
        for name in models.keys.sorted() where name.contains("/") {
            let bare = String(name[name.index(after: name.lastIndex(of: "/")!)...]).lowercased()
            aliases[bare] = aliases[bare] ?? name
        }
        self.aliases = aliases
    }

    /// These prices with `overrides` (the configuration's `pricing:`) over them.
    package func overriding(_ overrides: [String: ModelPrice]) -> ModelPrices {
        overrides.isEmpty ? self : ModelPrices(models: models.merging(overrides) { $1 }, source: source)
    }

    /// The price of `model`: by its exact name, then ignoring case, then without a provider's prefix on either
    /// side. Nil for a model the table does not know.
    package func price(for model: String) -> ModelPrice? {
        if let price = models[model] { return price }
        let key = model.lowercased()
        if let name = aliases[key] { return models[name] }
        if let slash = key.lastIndex(of: "/"), let name = aliases[String(key[key.index(after: slash)...])] {
            return models[name]
        }
        return nil
    }
}
