/// Isolates the items a destination refuses: a refused batch is cut in halves until each refused item is alone.
package enum BatchSplitter {
    /// What the destination said about one request.
    package enum Answer: Sendable {
        case accepted
        /// The request's content was refused, with the destination's reason.
        case refused(String)
    }

    /// Sends `items` with `post`, splitting on refusals. `settled` hears about items as soon as their fate is known,
    /// so that progress survives a retryable error later in the same batch.
    /// - Returns: the items refused on their own, with the reason.
    package static func deliver<Item: Sendable>(
        _ items: [Item], post: (_ items: [Item]) async throws(SinkError) -> Answer,
        settled: (_ accepted: [Item], _ refused: [(item: Item, reason: String)]) -> Void = { _, _ in }
    ) async throws(SinkError) -> [(item: Item, reason: String)] {
        guard !items.isEmpty else { return [] }
        switch try await post(items) {
        case .accepted:
            settled(items, [])
            return []
        case .refused(let reason):
            guard items.count > 1 else {
                settled([], [(items[0], reason)])
                return [(items[0], reason)]
            }
            let middle = items.count / 2
            let first = try await deliver(Array(items[..<middle]), post: post, settled: settled)
            return first + (try await deliver(Array(items[middle...]), post: post, settled: settled))
        }
    }

    /// Cuts items into consecutive requests of at most `maxCount` items and `maxBytes` bytes (a single item larger
    /// than `maxBytes` still gets a request of its own).
    package static func chunks<Item>(
        _ items: [Item], maxCount: Int, maxBytes: Int, overhead: Int, size: (Item) -> Int
    ) -> [[Item]] {
        var result: [[Item]] = []
        var current: [Item] = []
        var bytes = overhead
        for item in items {
            let itemSize = size(item)
            if !current.isEmpty, current.count >= maxCount || bytes + itemSize > maxBytes {
                result.append(current)
                current = []
                bytes = overhead
            }
            current.append(item)
            bytes += itemSize
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
