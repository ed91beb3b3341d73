/// A destination for normalized rows.
///
/// A sink receives rows in outbox order and must store them idempotently: the same row (same id) may arrive again
/// after a crash or a retry and must then replace, never duplicate, what is there.
package protocol Sink: Sendable {
    /// The name used for the sink's cursor, in logs and in `status`.
    var name: String { get }
    /// Stores `rows`; returns only once they are durable at the destination.
    func send(_ rows: [NormalizedRow]) async throws(SinkError)
}

/// Why a sink could not take a batch; the shipper acts on the kind, never on the message.
package enum SinkError: Error, CustomStringConvertible, Sendable {
    /// Worth trying again later (network, timeout, busy, disk full).
    case retryable(String)
    /// These rows will never be accepted; they go to dead letters with the reason.
    case rejected(String)
    /// The sink cannot work until a person fixes something (credentials, schema).
    case fatal(String)

    package var description: String {
        switch self {
        case .retryable(let message), .rejected(let message), .fatal(let message): return message
        }
    }
}
