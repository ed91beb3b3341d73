import Foundation

/// A destination for normalized rows.
///
/// A sink receives rows in outbox order and must store them idempotently: the same row (same id) may arrive again
/// after a crash or a retry and must then replace, never duplicate, what is there.
package protocol Sink: Sendable {
    /// The name used for the sink's cursor, in logs and in `status`.
    var name: String { get }
    /// Stores `rows`; returns only once everything but the returned rejections is durable at the destination.
    /// - Returns: rows the destination refused for good; they go to dead letters with the reason.
    func send(_ rows: [NormalizedRow]) async throws(SinkError) -> [Rejection]
}

/// A row a sink will never accept, with the destination's reason.
package struct Rejection: Sendable, Equatable {
    package var id: UUID
    package var reason: String

    package init(id: UUID, reason: String) {
        self.id = id
        self.reason = reason
    }
}

/// Why a sink could not take a batch; the shipper acts on the kind, never on the message.
package enum SinkError: Error, CustomStringConvertible, Sendable {
    /// Worth trying again later (network, timeout, busy, disk full); `after` is the destination's own hint, and
    /// `progressed` says that part of the batch did get through, so the next try has less to do.
    case retryable(String, after: Duration? = nil, progressed: Bool = false)
    /// The sink cannot work until a person fixes something (credentials, permissions).
    case fatal(String)

    package var description: String {
        switch self {
        case .retryable(let message, _, _), .fatal(let message): return message
        }
    }
}
