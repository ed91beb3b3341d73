/// What a source adds to the calls its rules read: the model its agent is configured with, for logs that do not write
/// one, and the prices that give each call its cost.
package struct CallEnrichment: Sendable {
    package var model: ModelSource?
    package var prices: ModelPrices

    package init(model: ModelSource? = nil, prices: ModelPrices = .builtIn) {
        self.model = model
        self.prices = prices
    }
}
