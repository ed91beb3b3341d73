import Foundation
import Synchronization

/// What a sink already settled within the batch it is working on: rows the destination accepted or refused for
/// good, with a digest of the bytes sent.
///
/// When a batch fails halfway with a retryable error, the shipper sends the whole batch again; the sink then skips
/// what is settled (same id, same bytes: resending would change nothing) and only sends the rest, so a flaky
/// destination still sees progress.
package final class DeliveryMemory: Sendable {
    private struct Settled {
        var digest: Int
        /// Nil when accepted.
        var refusal: String?
    }

    private let settled = Mutex<[UUID: Settled]>([:])

    package init() {}

    /// Splits `rows` into those still to send and the refusals already known.
    package func unsettled(_ rows: [NormalizedRow]) -> (pending: [NormalizedRow], refused: [Rejection]) {
        let known = settled.withLock { $0 }
        var pending: [NormalizedRow] = []
        var refused: [Rejection] = []
        for row in rows {
            guard let entry = known[row.id], entry.digest == Self.digest(row) else {
                pending.append(row)
                continue
            }
            if let reason = entry.refusal { refused.append(Rejection(id: row.id, reason: reason)) }
        }
        return (pending, refused)
    }

    /// Records the destination's answer for rows.
    package func settle(accepted: [NormalizedRow], refused: [(row: NormalizedRow, reason: String)]) {
        settled.withLock { settled in
            for row in accepted { settled[row.id] = Settled(digest: Self.digest(row), refusal: nil) }
            for (row, reason) in refused { settled[row.id] = Settled(digest: Self.digest(row), refusal: reason) }
        }
    }

    /// Forgets everything: the shipper acknowledged the batch.
    package func clear() {
        settled.withLock { $0.removeAll(keepingCapacity: true) }
    }

    private static func digest(_ row: NormalizedRow) -> Int {
        var hasher = Hasher()
        RowCodec.encode(row).withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}
