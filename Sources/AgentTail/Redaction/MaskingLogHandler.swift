import Logging
import Synchronization

/// The redactor log lines are masked with; the executable sets the configured one once the configuration is read.
package final class LogRedaction: Sendable {
    private let current = Mutex(Redactor())

    package init() {}

    /// Masks with `redactor` from now on.
    package func use(_ redactor: Redactor) { current.withLock { $0 = redactor } }

    /// `text` with its secrets masked.
    package func mask(_ text: String) -> String {
        current.withLock { $0 }.masked(text)
    }

    /// `value` with the secrets of every string in it masked.
    package func mask(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): return .string(mask(text))
        case .stringConvertible(let item): return .string(mask(item.description))
        case .array(let items): return .array(items.map(mask))
        case .dictionary(let entries): return .dictionary(entries.mapValues(mask))
        }
    }
}

/// A log handler that masks secrets in every message, metadata value and error before another handler writes them:
/// log lines at `trace` quote records, and errors quote what a destination answered.
package struct MaskingLogHandler<Inner: LogHandler>: LogHandler {
    private var inner: Inner
    private let redaction: LogRedaction

    package init(_ inner: Inner, redaction: LogRedaction) {
        self.inner = inner
        self.redaction = redaction
    }

    package func log(event: LogEvent) {
        var event = event
        event.message = "\(redaction.mask(event.message.description))"
        event.metadata = event.metadata?.mapValues(redaction.mask)
        if let error = event.error { event.error = MaskedError(description: redaction.mask("\(error)")) }
        inner.log(event: event)
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue.map(redaction.mask) }
    }

    package var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue.mapValues(redaction.mask) }
    }

    package var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }
}

/// An error as text whose secrets are masked.
private struct MaskedError: Error, CustomStringConvertible {
    var description: String
}
