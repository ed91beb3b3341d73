/// Isolates the items a destination refuses: a refused batch is cut in halves until each refused item is alone.
package enum BatchSplitter {
    /// What the destination said about one request.
    package enum Answer: Sendable {
        case accepted
        /// The request's content was refused, with the destination's reason.
        case refused(String)
    }

    /// Sends `items` with `post`, splitting on refusals.
    /// - Returns: the items refused on their own, with the reason.
    package static func deliver<Item: Sendable>(
        _ items: [Item], post: (_ items: [Item]) async throws(SinkError) -> Answer
    ) async throws(SinkError) -> [(item: Item, reason: String)] {
        guard !items.isEmpty else { return [] }
        switch try await post(items) {
        case .accepted:
            return []
        case .refused(let reason):
            guard items.count > 1 else { return [(items[0], reason)] }
            let middle = items.count / 2
            let first = try await deliver(Array(items[..<middle]), post: post)
            return first + (try await deliver(Array(items[middle...]), post: post))
        }
    }
}
