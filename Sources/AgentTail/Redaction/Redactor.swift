import AgentTailCore
import Foundation

/// A secret pattern of the user's, from the configuration's `redaction.patterns`.
package struct RedactionPattern: Sendable {
    /// Names the marker: `[REDACTED:<name>]`.
    package let name: String
    package let source: String
    private let regex: SendableRegex

    /// Compiles `source`; the error text is the regex engine's own message.
    package init(name: String, regex source: String) throws(RegexProblem) {
        do {
            regex = SendableRegex(try NSRegularExpression(pattern: source, options: []))
        } catch {
            throw RegexProblem(pattern: source, message: "the regex engine rejected it: \(error.localizedDescription)")
        }
        self.name = name
        self.source = source
    }

    /// `text` with every match replaced by the marker, and the number of matches.
    func replace(in text: String) -> (text: String, count: Int) {
        let whole = NSRange(text.startIndex..<text.endIndex, in: text)
        let found = regex.value.matches(in: text, options: [], range: whole).filter { $0.range.length > 0 }
        guard !found.isEmpty else { return (text, 0) }
        var result = ""
        var copied = text.startIndex
        for match in found {
            guard let range = Range(match.range, in: text), range.lowerBound >= copied else { continue }
            result += text[copied..<range.lowerBound]
            result += SecretKind.marker(name)
            copied = range.upperBound
        }
        result += text[copied...]
        return (result, found.count)
    }
}

/// Masks secrets in rows before they are stored in the outbox, so that nothing read from a log file leaves the host
/// with a credential in it: every text value, and every string inside JSON values, is scanned.
///
/// A secret becomes `[REDACTED:<kind>]`; names stay visible (`OPENAI_API_KEY=[REDACTED:secret_assignment]`), so a
/// reader sees that something was removed and what it was. In JSON, a string member whose name announces a secret
/// (`"api_key": "..."`) is masked whole.
package struct Redactor: Sendable {
    package let scanner: SecretScanner
    /// The provider formats in use; nil when `provider_formats` is disabled.
    package let providers: ProviderRules?
    package let patterns: [RedactionPattern]

    /// - Parameters:
    ///   - kinds: the built-in detectors in use.
    ///   - disabledRules: names of provider rules not to apply (`ProviderRules.names`).
    ///   - patterns: the user's own patterns, applied after the built-in ones.
    package init(
        kinds: Set<SecretKind> = Set(SecretKind.allCases), disabledRules: Set<String> = [],
        patterns: [RedactionPattern] = []
    ) {
        self.scanner = SecretScanner(kinds: kinds)
        self.providers = kinds.contains(.providerFormats) ? ProviderRules.builtIn.removing(disabledRules) : nil
        self.patterns = patterns
    }

    /// Masks secrets in every text and JSON value of `rows`.
    /// - Returns: the number of secrets masked.
    @discardableResult
    package func redact(_ rows: inout [NormalizedRow]) -> Int {
        var total = 0
        for r in rows.indices {
            for c in rows[r].values.indices {
                switch rows[r].values[c] {
                case .text(let text):
                    if let (masked, count) = redact(text: text) {
                        rows[r].values[c] = .text(masked)
                        total += count
                    }
                case .json(let json):
                    if let (masked, count) = redact(json: json) {
                        rows[r].values[c] = .json(masked)
                        total += count
                    }
                case .null, .int, .bool, .timestamp, .uuid, .usd:
                    break
                }
            }
            total += redact(traceOf: &rows[r])
        }
        return total
    }

    /// Masks the facts a row carries for tracing sinks, as the session row's columns are masked.
    /// - Returns: the number of secrets masked.
    func redact(traceOf row: inout NormalizedRow) -> Int {
        guard var trace = row.trace else { return 0 }
        var total = 0
        for path in [\TraceContext.workspace, \.gitBranch, \.agentVersion] {
            if let text = trace[keyPath: path], let (masked, count) = redact(text: text) {
                trace[keyPath: path] = masked
                total += count
            }
        }
        row.trace = trace
        return total
    }

    /// `text` with its secrets masked.
    package func masked(_ text: String) -> String { redact(text: text)?.0 ?? text }

    /// The JSON text `json` with the secrets in its strings masked.
    package func masked(json: String) -> String { redact(json: json)?.0 ?? json }

    /// A field's text with its secrets masked: JSON values (arguments, messages) by their members, the rest as text.
    package func masked(field value: String) -> String {
        let first = value.utf8.first { $0 > 0x20 }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[") ? masked(json: value) : masked(value)
    }

    /// The bytes JSON may hold outside its strings: white space, `{}[],:`, numbers and the letters of true, false
    /// and null.
    private static let outsideStrings: [Bool] = (0..<256).map { b in
        " \t\n\r{}[],:-+.0123456789eEtrufalsn".utf8.contains(UInt8(b))
    }

    /// `text` with its secrets masked and how many there were, or nil when it holds none.
    package func redact(text: String) -> (String, Int)? {
        var text = text
        return text.withUTF8 { redact(utf8: $0) }
    }

    /// `text` masked as `redact(text:)` does; a long text found clean before is not scanned again.
    func redact(text: String, clean: inout CleanTexts) -> (String, Int)? {
        var text = text
        return text.withUTF8 { redact(utf8: $0, clean: &clean) }
    }

    /// `utf8` masked as `redact(utf8:)` does, through the memory of long texts found clean.
    private func redact(utf8: UnsafeBufferPointer<UInt8>, clean: inout CleanTexts) -> (String, Int)? {
        guard let digest = CleanTexts.digest(utf8) else { return redact(utf8: utf8) }
        if clean.contains(digest) { return nil }
        let result = redact(utf8: utf8)
        if result == nil { clean.insert(digest) }
        return result
    }

    /// The secrets in `utf8` that the detectors and provider rules find, in order, overlapping ones joined.
    package func matches(in utf8: UnsafeBufferPointer<UInt8>) -> [SecretMatch] {
        let found = scanner.matches(in: utf8)
        guard let providers else { return found }
        let more = providers.matches(in: utf8)
        return more.isEmpty ? found : SecretMatch.joined(found + more)
    }

    private func redact(utf8: UnsafeBufferPointer<UInt8>) -> (String, Int)? {
        let matches = matches(in: utf8)
        var count = matches.count
        var text: String?
        if !matches.isEmpty {
            var out: [UInt8] = []
            out.reserveCapacity(utf8.count)
            var copied = 0
            for match in matches {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[copied..<match.range.lowerBound]))
                out.append(contentsOf: match.marker.utf8)
                copied = match.range.upperBound
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[copied...]))
            text = String(decoding: out, as: UTF8.self)
        }
        if !patterns.isEmpty {
            var current = text ?? String(decoding: utf8, as: UTF8.self)
            for pattern in patterns {
                let (replaced, found) = pattern.replace(in: current)
                if found > 0 {
                    current = replaced
                    count += found
                }
            }
            if count > 0 { text = current }
        }
        guard let text, count > 0 else { return nil }
        return (text, count)
    }

    /// The JSON text `json` with secrets in its strings masked, or nil when it holds none. Text that is not valid
    /// JSON is scanned as text.
    package func redact(json: String) -> (String, Int)? {
        var clean = CleanTexts()
        return redact(json: json, clean: &clean)
    }

    /// `json` masked as `redact(json:)` does; long strings found clean before are not scanned again.
    func redact(json: String, clean: inout CleanTexts) -> (String, Int)? {
        var json = json
        return json.withUTF8 { utf8 -> (String, Int)? in
            guard let base = utf8.baseAddress else { return nil }
            do {
                return try redact(JSONBytes(p: base, end: utf8.count), clean: &clean)
                    .map { (String(decoding: $0, as: UTF8.self), $1) }
            } catch {
                return redact(utf8: utf8, clean: &clean)
            }
        }
    }

    /// The JSON value in `utf8` with secrets in its strings masked, or nil when it holds none (or is not valid JSON).
    func redact(jsonValue utf8: UnsafeBufferPointer<UInt8>, clean: inout CleanTexts) -> ([UInt8], Int)? {
        guard let base = utf8.baseAddress else { return nil }
        return try? redact(JSONBytes(p: base, end: utf8.count), clean: &clean)
    }

    /// Walks the strings of a JSON text: member names decide whether the next string value is a secret as a whole;
    /// other string values are scanned like text. Only strings that change are re-encoded.
    private func redact(_ bytes: JSONBytes, clean: inout CleanTexts) throws(JSONError) -> ([UInt8], Int)? {
        var out: [UInt8] = []
        var copied = 0
        var count = 0
        var secretMember = SecretNames.Strength.none
        // Escaped strings are decoded here, one after the other, and scanned as bytes: a String is made only for
        // the rare one that holds a secret.
        var decoded = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0)
        defer { decoded.deallocate() }
        var i = 0
        while i < bytes.end {
            let byte = bytes.p[i]
            guard byte == UInt8(ascii: "\"") else {
                // Outside strings JSON has only punctuation, numbers and true/false/null: anything else means the
                // text is no JSON, and it is scanned as text instead.
                guard Self.outsideStrings[Int(byte)] else {
                    throw .unexpectedByte(byte, expected: "a JSON value", offset: i)
                }
                if byte > 0x20 && byte != UInt8(ascii: ":") { secretMember = .none }
                i += 1
                continue
            }
            let (close, escaped) = try bytes.stringEnd(i + 1)
            let next = bytes.skipWhitespace(close + 1)
            if next < bytes.end && bytes.p[next] == UInt8(ascii: ":") {
                secretMember =
                    scanner.mask.contains(.secretAssignment)
                    ? SecretNames.strength(UnsafeBufferPointer(start: bytes.p + i + 1, count: close - i - 1)) : .none
                i = next
                continue
            }
            let replacement: (String, Int)?
            let content = UnsafeBufferPointer(start: bytes.p + i + 1, count: close - i - 1)
            if close > i + 1 && !content.starts(with: SecretKind.markerPrefix.utf8)
                && (secretMember == .strong
                    || (secretMember == .weak && CredentialShape.looksLikeCredential(content)))
            {
                replacement = (SecretKind.secretAssignment.marker, 1)
            } else if escaped {
                let length = close - i - 1
                if decoded.count < length {
                    decoded.deallocate()
                    decoded = .allocate(capacity: max(length, 2 * decoded.count))
                }
                var failure: Int?
                let written = bytes.unescape(i + 1, close, into: decoded.baseAddress!, failure: &failure)
                if let failure { throw .invalidEscape(offset: failure) }
                replacement = redact(utf8: UnsafeBufferPointer(rebasing: decoded[..<written]), clean: &clean)
            } else {
                replacement = redact(utf8: UnsafeBufferPointer(start: bytes.p + i + 1, count: close - i - 1), clean: &clean)
            }
            secretMember = .none
            if let (text, found) = replacement {
                if out.isEmpty { out.reserveCapacity(bytes.end) }
                out.append(contentsOf: UnsafeBufferPointer(start: bytes.p + copied, count: i - copied))
                var writer = JSONWriter(capacity: text.utf8.count + 2)
                writer.string(text)
                out.append(contentsOf: writer.bytes)
                copied = close + 1
                count += found
            }
            i = close + 1
        }
        guard count > 0 else { return nil }
        out.append(contentsOf: UnsafeBufferPointer(start: bytes.p + copied, count: bytes.end - copied))
        return (out, count)
    }
}
