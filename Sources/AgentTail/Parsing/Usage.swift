/// Tokens and cost of one LLM call, or the sum over a session's calls; nil where no call said.
package struct Usage: Sendable, Codable, Equatable {
    /// The whole prompt: fresh tokens, cache reads and cache writes.
    package var promptTokens: Int?
    package var completionTokens: Int?
    package var cacheReadTokens: Int?
    package var cacheCreationTokens: Int?
    package var cost: USDAmount?

    package init(
        promptTokens: Int? = nil, completionTokens: Int? = nil, cacheReadTokens: Int? = nil,
        cacheCreationTokens: Int? = nil, cost: USDAmount? = nil
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheCreationTokens = cacheCreationTokens
        self.cost = cost
    }

    /// True when the call reported any token count.
    package var hasTokens: Bool {
        promptTokens != nil || completionTokens != nil || cacheReadTokens != nil || cacheCreationTokens != nil
    }

    /// This sum with `new` counted in place of `old` (an earlier version of the same call, or nothing).
    func replacing(_ old: Usage?, with new: Usage) -> Usage {
        func replaced<Value: AdditiveArithmetic>(_ total: Value?, _ old: Value?, _ new: Value?) -> Value? {
            guard old != nil || new != nil else { return total }
            return (total ?? .zero) + (new ?? .zero) - (old ?? .zero)
        }
        return Usage(
            promptTokens: replaced(promptTokens, old?.promptTokens, new.promptTokens),
            completionTokens: replaced(completionTokens, old?.completionTokens, new.completionTokens),
            cacheReadTokens: replaced(cacheReadTokens, old?.cacheReadTokens, new.cacheReadTokens),
            cacheCreationTokens: replaced(cacheCreationTokens, old?.cacheCreationTokens, new.cacheCreationTokens),
            cost: replaced(cost, old?.cost, new.cost))
    }
}
