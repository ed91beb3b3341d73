/// A coalescing "something is ready" signal between two services: many pokes before a wait count as one.
package struct Wakeup: Sendable {
    package let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    package init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    package func poke() { continuation.yield() }

    /// Ends the stream: a waiting consumer's loop finishes.
    package func finish() { continuation.finish() }
}
