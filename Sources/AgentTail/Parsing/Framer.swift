#if canImport(Glibc)
import AgentTailCore
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A complete record cut out of a file, valid only during the callback that receives it.
package struct FramedRecord {
    /// File offset of the record's first byte.
    package let offset: Int64
    /// The record's bytes, from its first start line to the end of its body.
    package let bytes: UnsafeRawBufferPointer
    /// Named groups of the start and head lines.
    package let captures: [String: String]
    /// The body, relative to `bytes`; for JSON bodies exactly the JSON value. Nil when the record has no usable body.
    package let body: Range<Int>?
    /// Why the record is malformed, when the framer can tell.
    package let problem: FramingProblem?
}

/// What the framer noticed about a record or the text around records.
package enum FramingProblem: Sendable, Equatable, CustomStringConvertible {
    /// The next record started (or the input ended) before this record's JSON body was complete.
    case incompleteBody
    /// The record is larger than the framing's `max_record_size`; its bytes were skipped.
    case tooLarge(limit: Int)

    package var description: String {
        switch self {
        case .incompleteBody: return "the record ended before its JSON body was complete"
        case .tooLarge(let limit): return "the record is larger than max_record_size (\(limit) bytes) and was skipped"
        }
    }
}

/// What the framer hands to its caller.
package enum FramerEvent {
    case record(FramedRecord)
    /// Text between records that belongs to none: reported once per run of such lines.
    case strayText(offset: Int64, preview: String)
}

/// Cuts a byte stream into records following a rule pack's framing, keeping only the unfinished record in memory.
///
/// Lines are split on `\n` only. A record is handed out only when it is complete: its JSON body closed, or the next
/// record started. `checkpoint` is always a record boundary, so a restart from it re-reads an unfinished record whole.
package struct Framer {
    private enum State {
        case gap
        case head(start: Int, captures: [String: String])
        case body(start: Int, captures: [String: String], bodyStart: Int, tracker: JSONValueTracker)
        case skipping
    }

    private let framing: Framing
    private var buffer = RecordBuffer()
    /// File offset of `buffer[0]`.
    private var base: Int64
    /// Index in `buffer` of the first line not yet looked at.
    private var lineStart = 0
    private var state = State.gap
    private var inPreamble: Bool
    private var strayReported = false

    /// - Parameters:
    ///   - offset: where reading starts; 0 means the file's preamble (text before the first record) comes first.
    ///   - skipToFirstRecord: treat everything before the first record start as preamble, for reading that starts
    ///     at an arbitrary offset (`start_at: end`).
    ///   - strayTextReported: the reading that stopped at `offset` was inside a run of stray lines it already reported.
    package init(framing: Framing, offset: Int64, skipToFirstRecord: Bool = false, strayTextReported: Bool = false) {
        self.framing = framing
        self.base = offset
        self.strayReported = strayTextReported
        self.inPreamble = (offset == 0 || skipToFirstRecord) && framing.mode == .multiline
    }

    /// The offset from which a restart must read: the start of the unfinished record, or the first unread line.
    package var checkpoint: Int64 {
        switch state {
        case .head(let start, _), .body(let start, _, _, _): return base + Int64(start)
        case .gap, .skipping: return base + Int64(lineStart)
        }
    }

    /// True inside a run of stray lines already reported (and so at `checkpoint`, when the state is a gap).
    package var isInReportedStrayText: Bool {
        guard case .gap = state else { return false }
        return strayReported
    }

    /// The offset just past the last byte appended.
    package var readOffset: Int64 { base + Int64(buffer.count) }

    /// True while part of a record is held, waiting for the rest.
    package var hasUnfinishedRecord: Bool {
        switch state {
        case .head, .body: return true
        case .gap, .skipping: return false
        }
    }

    /// Bytes currently held in memory.
    package var bufferedBytes: Int { buffer.count }

    /// Adds bytes read from the file and hands out every record they complete.
    package mutating func append(_ chunk: UnsafeRawBufferPointer, _ handle: (FramerEvent) -> Void) {
        buffer.append(contentsOf: chunk)
        process(handle)
        compact()
    }

    /// Treats the input as ended: a last line without newline counts, and an unfinished record is handed out with
    /// `.incompleteBody` (or as is, for text bodies).
    package mutating func finish(_ handle: (FramerEvent) -> Void) {
        if lineStart < buffer.count {
            buffer.append(0x0A)
            process(handle)
        }
        closeUnfinished(end: buffer.count, handle)
        state = .gap
        compact()
    }

    private mutating func process(_ handle: (FramerEvent) -> Void) {
        while let lineEnd = nextNewline(from: lineStart) {
            if framing.mode == .lines {
                handleJSONLine(lineEnd: lineEnd, handle)
                lineStart = lineEnd + 1
                continue
            }
            if case .skipping = state {
                // Only a start line ends a skipped record.
            } else if exceedsLimit(lineEnd: lineEnd) {
                reportTooLarge(handle)
            }
            switch startMatch(at: lineStart, lineEnd: lineEnd) {
            case .needMoreLines:
                return
            case .matched(let captures, let afterStart):
                closeUnfinished(end: lineStart, handle)
                inPreamble = false
                strayReported = false
                if framing.startInBody {
                    // The start lines are the first lines of the JSON value itself.
                    state = .body(start: lineStart, captures: captures, bodyStart: lineStart, tracker: JSONValueTracker())
                    while lineStart < afterStart, let end = nextNewline(from: lineStart) {
                        handleLine(lineEnd: end, handle)
                        lineStart = end + 1
                    }
                    continue
                }
                if framing.headEnd != nil || !framing.headFields.isEmpty {
                    state = .head(start: lineStart, captures: captures)
                } else {
                    state = .body(start: lineStart, captures: captures, bodyStart: afterStart, tracker: JSONValueTracker())
                }
                lineStart = afterStart
                continue
            case .noMatch:
                break
            }
            handleLine(lineEnd: lineEnd, handle)
            lineStart = lineEnd + 1
        }
    }

    private enum StartMatch {
        case noMatch
        case needMoreLines
        case matched([String: String], afterStart: Int)
    }

    private func startMatch(at first: Int, lineEnd firstEnd: Int) -> StartMatch {
        var captures: [String: String] = [:]
        var lineBegin = first
        var lineEnd = firstEnd
        for (index, pattern) in framing.start.enumerated() {
            if index > 0 {
                lineBegin = lineEnd + 1
                guard let next = nextNewline(from: lineBegin) else { return .needMoreLines }
                lineEnd = next
            }
            guard let groups = matchLine(pattern, from: lineBegin, to: lineEnd) else { return .noMatch }
            captures.merge(groups) { _, new in new }
        }
        return .matched(captures, afterStart: lineEnd + 1)
    }

    private mutating func handleLine(lineEnd: Int, _ handle: (FramerEvent) -> Void) {
        switch state {
        case .gap:
            if inPreamble || isBlank(from: lineStart, to: lineEnd) { return }
            reportStray(from: lineStart, to: lineEnd, handle)
        case .skipping:
            return
        case .head(let start, var captures):
            if let headEnd = framing.headEnd, matchLine(headEnd, from: lineStart, to: lineEnd) != nil {
                state = .body(start: start, captures: captures, bodyStart: lineEnd + 1, tracker: JSONValueTracker())
                return
            }
            for pattern in framing.headFields {
                if let groups = matchLine(pattern, from: lineStart, to: lineEnd) {
                    captures.merge(groups) { _, new in new }
                    break
                }
            }
            if framing.headEnd == nil {
                // Without an end marker the head is the start lines plus the head-field lines that follow them.
                state = .body(start: start, captures: captures, bodyStart: lineStart, tracker: JSONValueTracker())
                handleLine(lineEnd: lineEnd, handle)
                return
            }
            state = .head(start: start, captures: captures)
        case .body(let start, let captures, let bodyStart, var tracker):
            guard framing.body == .json else { return }
            let end: Int? = buffer.withUnsafeBytes { raw in
                tracker.feed(UnsafeRawBufferPointer(rebasing: raw[lineStart...lineEnd]))
            }
            guard let end else {
                state = .body(start: start, captures: captures, bodyStart: bodyStart, tracker: tracker)
                return
            }
            let valueStart = bodyStart + (tracker.valueStart ?? 0)
            let valueEnd = bodyStart + end
            emit(start: start, end: lineEnd + 1, captures: captures, body: valueStart..<valueEnd, problem: nil, handle)
            state = .gap
            strayReported = false
            if !isBlank(from: valueEnd, to: lineEnd) {
                reportStray(from: valueEnd, to: lineEnd, handle)
            }
        }
    }

    private mutating func handleJSONLine(lineEnd: Int, _ handle: (FramerEvent) -> Void) {
        guard !isBlank(from: lineStart, to: lineEnd) else { return }
        var end = lineEnd
        if end > lineStart, buffer[end - 1] == 0x0D { end -= 1 }
        if lineEnd - lineStart > framing.maxRecordBytes {
            emitProblem(start: lineStart, end: lineEnd + 1, problem: .tooLarge(limit: framing.maxRecordBytes), handle)
            return
        }
        emit(start: lineStart, end: lineEnd + 1, captures: [:], body: lineStart..<end, problem: nil, handle)
    }

    /// Hands out the record in progress, which ends at `end` without having completed its body.
    private mutating func closeUnfinished(end: Int, _ handle: (FramerEvent) -> Void) {
        switch state {
        case .head(let start, let captures):
            emit(start: start, end: end, captures: captures, body: nil,
                 problem: framing.body == .json ? .incompleteBody : nil, handle)
        case .body(let start, let captures, let bodyStart, _):
            if framing.body == .text {
                emit(start: start, end: end, captures: captures, body: bodyStart..<end, problem: nil, handle)
            } else {
                emit(start: start, end: end, captures: captures, body: nil, problem: .incompleteBody, handle)
            }
        case .gap, .skipping:
            break
        }
        state = .gap
    }

    private func exceedsLimit(lineEnd: Int) -> Bool {
        switch state {
        case .head(let start, _), .body(let start, _, _, _): return lineEnd - start > framing.maxRecordBytes
        case .gap, .skipping: return false
        }
    }

    private mutating func reportTooLarge(_ handle: (FramerEvent) -> Void) {
        switch state {
        case .head(let start, _), .body(let start, _, _, _):
            emitProblem(start: start, end: lineStart, problem: .tooLarge(limit: framing.maxRecordBytes), handle)
        case .gap, .skipping:
            break
        }
        state = .skipping
    }

    /// Hands out the record in `buffer[start..<end]`; `body` is given as indices into `buffer`.
    private func emit(
        start: Int, end: Int, captures: [String: String], body: Range<Int>?, problem: FramingProblem?,
        _ handle: (FramerEvent) -> Void
    ) {
        buffer.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            let relative = body.map { ($0.lowerBound - start)..<($0.upperBound - start) }
            handle(
                .record(
                    FramedRecord(
                        offset: base + Int64(start), bytes: bytes, captures: captures, body: relative, problem: problem)
                ))
        }
    }

    private func emitProblem(start: Int, end: Int, problem: FramingProblem, _ handle: (FramerEvent) -> Void) {
        buffer.withUnsafeBytes { raw in
            let preview = UnsafeRawBufferPointer(rebasing: raw[start..<min(end, start + 256)])
            handle(.record(FramedRecord(offset: base + Int64(start), bytes: preview, captures: [:], body: nil, problem: problem)))
        }
    }

    private mutating func reportStray(from start: Int, to end: Int, _ handle: (FramerEvent) -> Void) {
        guard !strayReported else { return }
        strayReported = true
        // Control characters (NULs of a preallocated file, binary junk) would print as nothing: show them as '?'.
        let preview = buffer.withUnsafeBytes { raw in
            raw[start..<min(end, start + 120)].map { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F ? 0x3F : $0 }
        }
        handle(.strayText(offset: base + Int64(start), preview: String(decoding: preview, as: UTF8.self)))
    }

    private func matchLine(_ pattern: LinePattern, from start: Int, to end: Int) -> [String: String]? {
        var end = end
        if end > start, buffer[end - 1] == 0x0D { end -= 1 }
        return buffer.withUnsafeBytes { raw in pattern.match(UnsafeRawBufferPointer(rebasing: raw[start..<end])) }
    }

    private func isBlank(from start: Int, to end: Int) -> Bool {
        var index = start
        while index < end {
            switch buffer[index] {
            case 0x20, 0x09, 0x0D: index += 1
            default: return false
            }
        }
        return true
    }

    private func nextNewline(from start: Int) -> Int? {
        guard start < buffer.count else { return nil }
        return buffer.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress,
                let found = memchr(base + start, 0x0A, raw.count - start)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }

    /// Gives back the buffer's spare room once the file is read to its end: a followed file keeps only its unfinished
    /// record, not the size of the last read (a thousand quiet files would otherwise pin a megabyte each).
    mutating func releaseSpareCapacity() {
        compact()
        guard buffer.capacity > 4 << 10, buffer.capacity > 2 * buffer.count else { return }
        buffer.shrink()
    }

    /// Drops bytes no longer needed: everything before the unfinished record or the next unread line.
    private mutating func compact() {
        let keepFrom: Int
        switch state {
        case .head(let start, _), .body(let start, _, _, _): keepFrom = start
        case .gap, .skipping: keepFrom = lineStart
        }
        guard keepFrom > 0, keepFrom >= buffer.count / 2 || keepFrom > 1 << 20 else { return }
        buffer.removeFirst(keepFrom)
        if buffer.capacity > 1 << 20 && buffer.capacity > 4 * buffer.count {
            // A record of megabytes must not pin megabytes for as long as the file is followed.
            buffer.shrink(keeping: 64 << 10)
        }
        base += Int64(keepFrom)
        lineStart -= keepFrom
        switch state {
        case .head(let start, let captures):
            state = .head(start: start - keepFrom, captures: captures)
        case .body(let start, let captures, let bodyStart, let tracker):
            state = .body(start: start - keepFrom, captures: captures, bodyStart: bodyStart - keepFrom, tracker: tracker)
        case .gap, .skipping:
            break
        }
    }
}
