/// The delivery core both HTTP sinks share: it remembers what a batch already got through (so that a retry sends only
/// what is left), sends request by request, bisects a refused request down to the rows at fault, and says whether a
/// failed batch made progress. Each sink supplies only how rows become requests (grouping, encoding, size caps) and
/// how one request is posted and its answer classified.
package struct HTTPDelivery: Sendable {
    private let memory = DeliveryMemory()

    package init() {}

    /// Sends the rows of a batch that are not settled yet.
    /// - Parameters:
    ///   - requests: cuts the rows into requests; each item pairs a row with what the request carries for it (a row
    ///     with nothing to send is left out, and counts as delivered).
    ///   - post: sends one request and classifies the answer: accepted, refused for its content (then it is cut in
    ///     halves), or an error that stops the batch.
    /// - Returns: the rows refused on their own, with the destination's reason.
    package func send<Payload: Sendable>(
        _ rows: [NormalizedRow], requests: ([NormalizedRow]) -> [[(row: NormalizedRow, payload: Payload)]],
        post: ([Payload]) async throws(SinkError) -> BatchSplitter.Answer
    ) async throws(SinkError) -> [Rejection] {
        let (pending, known) = memory.unsettled(rows)
        var rejections = known
        var progressed = false
        for request in requests(pending) {
            do {
                rejections += try await BatchSplitter.deliver(
                    request, post: { (part) async throws(SinkError) in try await post(part.map(\.payload)) },
                    settled: { accepted, refused in
                        progressed = true
                        memory.settle(accepted: accepted.map(\.row), refused: refused.map { ($0.item.row, $0.reason) })
                    }
                ).map { Rejection(id: $0.item.row.id, reason: $0.reason) }
            } catch .retryable(let message, let after, _) {
                throw .retryable(message, after: after, progressed: progressed)
            } catch {
                throw error
            }
        }
        // The batch is settled; the shipper acknowledges it now, so its memory is no longer needed.
        memory.clear()
        return rejections
    }
}
