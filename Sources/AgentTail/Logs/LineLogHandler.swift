import Foundation
import Logging

/// Writes each log event as one line on stderr, for a person or for a machine.
///
/// - `text`: time, level and message first, then the metadata as `key=value`, sorted by key, a value quoted when it
///   holds a space, a quote or `=`: `2026-12-02T21:35:34Z warning delivery failed sink=langfuse error="HTTP 429"`.
/// - `json`: one object per line with the keys `time`, `level` and `message`, then the metadata's keys (a key
///   that would replace one of those three gets a `meta.` prefix) and `error`.
///
/// A line never breaks: line breaks and other control characters in a message or value are escaped.
package struct LineLogHandler: LogHandler {
    package enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    private let format: Format
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?

    package init(format: Format) {
        self.format = format
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let own = event.metadata { fields.merge(own) { _, new in new } }
        if let error = event.error { fields["error"] = .string("\(error)") }
        let line = Self.line(
            format: format, time: Date(), level: event.level, message: event.message.description, metadata: fields)
        StandardError.write(line + "\n")
    }

    /// The line for one event.
    package static func line(
        format: Format, time: Date, level: Logger.Level, message: String, metadata: Logger.Metadata
    ) -> String {
        let stamp = time.formatted(.iso8601)
        switch format {
        case .text:
            var line = "\(stamp) \(level.rawValue) \(escaped(message))"
            for key in metadata.keys.sorted() {
                line += " \(key)=\(quoted(text(metadata[key]!)))"
            }
            return line
        case .json:
            var object: [String: Any] = [:]
            for (key, value) in metadata {
                object[["time", "level", "message"].contains(key) ? "meta.\(key)" : key] = json(value)
            }
            object["time"] = stamp
            object["level"] = level.rawValue
            object["message"] = message
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let item): item.description
        case .array(let items): "[" + items.map(text).joined(separator: ", ") + "]"
        case .dictionary(let entries):
            "{" + entries.keys.sorted().map { "\($0): \(text(entries[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let item): item.description
        case .array(let items): items.map(json)
        case .dictionary(let entries): entries.mapValues(json)
        }
    }

    /// Control characters as escapes, so that the line stays one line.
    private static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += String(format: "\\u%04X", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A value as it appears after `key=`: quoted (with `"` and `\` escaped) when it is empty or holds a space, a
    /// quote or `=`.
    private static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else {
            return escaped(value)
        }
        let inner = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + escaped(inner) + "\""
    }
}
