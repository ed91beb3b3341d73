import Foundation

/// One OpenTelemetry span, already complete, in the terms OTLP/JSON needs.
///
/// No OpenTelemetry package for Swift fits here: their tracers start spans "now" and end them later, with random
/// ids, while agenttail exports spans that ended in the past, with explicit times and ids derived from the log
/// (the same row always gives the same bytes, so a resend is recognised as the same span).
package struct OTLPSpan: Sendable, Equatable {
    /// 16 bytes.
    package var traceID: [UInt8]
    /// 8 bytes.
    package var spanID: [UInt8]
    package var parentSpanID: [UInt8]?
    package var name: String
    /// OTLP span kind: 1 internal, 3 client.
    package var kind: Int
    /// Times in whole milliseconds (Langfuse keeps milliseconds), so encoding them is exact.
    package var startMillis: Int64
    package var endMillis: Int64
    package var attributes: [(key: String, value: OTLPValue)]
    /// OTLP status: 0 unset, 1 ok, 2 error.
    package var statusCode: Int
    package var statusMessage: String?

    package static func == (lhs: OTLPSpan, rhs: OTLPSpan) -> Bool {
        lhs.traceID == rhs.traceID && lhs.spanID == rhs.spanID && lhs.parentSpanID == rhs.parentSpanID
            && lhs.name == rhs.name && lhs.kind == rhs.kind && lhs.startMillis == rhs.startMillis
            && lhs.endMillis == rhs.endMillis && lhs.statusCode == rhs.statusCode
            && lhs.statusMessage == rhs.statusMessage && lhs.attributes.map(\.key) == rhs.attributes.map(\.key)
            && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }
}

/// An attribute value.
package enum OTLPValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case strings([String])
}

extension Date {
    /// Milliseconds since the epoch, rounded down.
    package var unixMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
}

extension UUID {
    /// The id's 16 bytes.
    package var bytes: [UInt8] {
        let u = uuid
        return [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
    }
}
