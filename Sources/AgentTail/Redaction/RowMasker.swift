import AgentTailCore
import Foundation

/// Masks rows like `Redactor`, without scanning again the message history an LLM request repeats.
///
/// Every Mini-Agent REQUEST sends the whole conversation so far, so the `input` of a session's LLM calls grows by a few
/// messages each time while everything before stays byte for byte the same: scanning each input in full would cost
/// the square of the session's length. For a JSON array that belongs to a session, the masker remembers the elements
/// of the last one it saw in the same column, by their length and SHA-256 digest, and the masking each needed; an
/// element equal to the one at the same place last time gets the same masking, and only the new ones are scanned.
/// Digests keep the memory small whatever the history holds: a history of multi-megabyte tool outputs is remembered
/// in a few dozen bytes per message, where keeping its bytes would either cost their size or, past the budget, scan
/// the whole history again on every request.
///
/// The result is the one `Redactor` gives for the whole value: masking never looks across an element's edges (a secret
/// lies inside one string, and a member name only decides the value that follows it).
package struct RowMasker: Sendable {
    package let redactor: Redactor
    /// The most bytes of memory (digests, and the masked form of elements that held secrets), across sessions; the
    /// least recently used go first.
    private let budget: Int
    private var memory: [Key: Remembered] = [:]
    /// The last trace context masked, as read and as masked with its count: every row of a session carries the same
    /// one, so it is scanned once rather than once per row.
    private var lastTrace: (read: TraceContext, masked: TraceContext, found: Int)?
    private var bytes = 0
    private var clock = 0
    /// Long texts found clean, whichever column they came in.
    private var clean = CleanTexts()
    /// Long texts not scanned again because they were found clean before, for tests.
    package var cleanTextHits: Int { clean.hits }
    /// Bytes of array elements scanned so far (those not remembered), for tests.
    package private(set) var scannedElementBytes = 0

    package init(redactor: Redactor, budget: Int = 4 << 20) {
        self.redactor = redactor
        self.budget = budget
    }

    private struct Key: Hashable {
        var table: NormalizedTable
        var column: Int
        var session: UUID
    }

    /// The elements of the last array seen under a key, with the masking each needed (nil: none).
    private struct Remembered {
        var elements: [Element]
        var bytes: Int
        var lastUse: Int
    }

    /// One element of a remembered array: what tells it apart, and its masking.
    private struct Element {
        var length: Int
        var digest: ContentDigest
        /// The element masked, when it held secrets.
        var masked: [UInt8]?
        var found: Int
        /// True for an element that held secrets and is too large to keep masked: it is scanned again each time.
        var rescan: Bool { masked == nil && found > 0 }

        /// What it costs to keep.
        var bytes: Int { ContentDigest.size + 16 + (masked?.count ?? 0) }
    }

    /// Masks secrets in every text and JSON value of `rows`.
    /// - Returns: the number of secrets masked.
    @discardableResult
    package mutating func redact(_ rows: inout [NormalizedRow]) -> Int {
        var total = 0
        for r in rows.indices {
            let session = rows[r].sessionID
            for c in rows[r].values.indices {
                switch rows[r].values[c] {
                case .text(let text):
                    if let (masked, count) = redactor.redact(text: text, clean: &clean) {
                        rows[r].values[c] = .text(masked)
                        total += count
                    }
                case .json(let json):
                    let result: (String, Int)?
                    if let session, json.utf8.first == UInt8(ascii: "[") {
                        result = redact(array: json, key: Key(table: rows[r].table, column: c, session: session))
                    } else {
                        result = redactor.redact(json: json, clean: &clean)
                    }
                    if let (masked, count) = result {
                        rows[r].values[c] = .json(masked)
                        total += count
                    }
                case .null, .int, .bool, .timestamp, .uuid, .usd:
                    break
                }
            }
            if let trace = rows[r].trace {
                if let last = lastTrace, last.read == trace {
                    rows[r].trace = last.masked
                    total += last.found
                } else {
                    let found = redactor.redact(traceOf: &rows[r])
                    lastTrace = (trace, rows[r].trace!, found)
                    total += found
                }
            }
        }
        return total
    }

    /// The JSON text `json` masked; when it is an array, through the memory kept under `memory`, so that elements
    /// equal to those of the last array masked there are not scanned again.
    package mutating func redact(json: String, memory: UUID) -> String {
        let result =
            json.utf8.first == UInt8(ascii: "[")
            ? redact(array: json, key: Key(table: .llmCalls, column: -1, session: memory))
            : redactor.redact(json: json, clean: &clean)
        return result?.0 ?? json
    }

    private mutating func redact(array json: String, key: Key) -> (String, Int)? {
        var json = json
        let previous = memory.removeValue(forKey: key)
        if let previous { bytes -= previous.bytes }
        let outcome = json.withUTF8 { utf8 -> (elements: Remembered, output: (String, Int)?)? in
            guard let base = utf8.baseAddress, let ranges = Self.elements(JSONBytes(p: base, end: utf8.count)) else {
                return nil
            }
            var remembered = Remembered(elements: [], bytes: 0, lastUse: clock)
            remembered.elements.reserveCapacity(ranges.count)
            // The elements that need masking, in order: where each lies, its masked form and how many secrets.
            var replacements: [(range: Range<Int>, masked: [UInt8], found: Int)] = []
            for (index, range) in ranges.enumerated() {
                let raw = UnsafeBufferPointer(rebasing: utf8[range])
                let digest = ContentDigest(UnsafeRawBufferPointer(raw))
                let element: Element
                var masked: [UInt8]?
                if let previous, index < previous.elements.count, previous.elements[index].length == raw.count,
                    previous.elements[index].digest == digest, !previous.elements[index].rescan
                {
                    element = previous.elements[index]
                    masked = element.masked
                } else {
                    let result = redactor.redact(jsonValue: raw, clean: &clean)
                    scannedElementBytes += raw.count
                    masked = result?.0
                    // A large element that held secrets is not kept masked (it would cost its size): it is scanned
                    // again next time, which is rare enough.
                    let kept = masked.flatMap { $0.count <= Self.largestMaskedElement ? $0 : nil }
                    element = Element(length: raw.count, digest: digest, masked: kept, found: result?.1 ?? 0)
                }
                remembered.elements.append(element)
                remembered.bytes += element.bytes
                if let masked { replacements.append((range, masked, element.found)) }
            }
            guard !replacements.isEmpty else { return (remembered, nil) }
            var out: [UInt8] = []
            out.reserveCapacity(utf8.count)
            var copied = 0
            var found = 0
            for replacement in replacements {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[copied..<replacement.range.lowerBound]))
                out.append(contentsOf: replacement.masked)
                copied = replacement.range.upperBound
                found += replacement.found
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[copied...]))
            return (remembered, (String(decoding: out, as: UTF8.self), found))
        }
        guard let outcome else { return redactor.redact(json: json, clean: &clean) }
        remember(outcome.elements, under: key)
        return outcome.output
    }

    private mutating func remember(_ remembered: Remembered, under key: Key) {
        clock += 1
        var remembered = remembered
        remembered.lastUse = clock
        guard remembered.bytes <= budget else { return }
        memory[key] = remembered
        bytes += remembered.bytes
        while bytes > budget, let oldest = memory.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            memory[oldest.key] = nil
            bytes -= oldest.value.bytes
        }
    }

    /// The largest masked element kept in memory.
    private static let largestMaskedElement = 64 << 10

    /// The byte ranges of the elements of the JSON array `bytes` holds, or nil when it holds something else.
    private static func elements(_ bytes: JSONBytes) -> [Range<Int>]? {
        var i = bytes.skipWhitespace(0)
        guard i < bytes.end, bytes.p[i] == UInt8(ascii: "[") else { return nil }
        var ranges: [Range<Int>] = []
        i = bytes.skipWhitespace(i + 1)
        if i < bytes.end, bytes.p[i] == UInt8(ascii: "]") {
            return bytes.skipWhitespace(i + 1) == bytes.end ? [] : nil
        }
        while true {
            guard let end = try? bytes.skipValue(i) else { return nil }
            ranges.append(i..<end)
            i = bytes.skipWhitespace(end)
            guard i < bytes.end else { return nil }
            if bytes.p[i] == UInt8(ascii: "]") { return bytes.skipWhitespace(i + 1) == bytes.end ? ranges : nil }
            guard bytes.p[i] == UInt8(ascii: ",") else { return nil }
            i = bytes.skipWhitespace(i + 1)
        }
    }
}

extension NormalizedRow {
    /// The session the row belongs to: its `session_id`, or its own id for a session row.
    var sessionID: UUID? {
        if table == .agentSessions { return id }
        if case .uuid(let session) = self["session_id"] { return session }
        return nil
    }
}
