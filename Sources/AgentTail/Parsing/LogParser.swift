import Foundation

/// The parse chain of one log file: the framer cuts its bytes into records, the rules read each record, and the
/// correlator turns what they say into rows.
///
/// The tailer keeps one per followed file, resumed from its checkpoint; `parse`, `parse --explain` and rule tests
/// run one over a whole file or text. Used from one thread at a time.
package final class LogParser {
    package private(set) var framer: Framer
    package private(set) var correlator: Correlator
    private let records: RecordParser
    /// What became of the records finished so far.
    package private(set) var tally = ParseTally()

    /// - Parameters:
    ///   - offset: where reading starts (a checkpoint's offset), with `state` the session as it stood there.
    ///   - skipToFirstRecord: start at the first record found, for a file first read from its end.
    package init(
        rules: RulePack, ids: EventIDs, state: SessionState, offset: Int64 = 0, skipToFirstRecord: Bool = false
    ) {
        framer = Framer(
            framing: rules.framing, offset: offset, skipToFirstRecord: skipToFirstRecord,
            strayTextReported: state.strayTextReported ?? false)
        correlator = Correlator(rules: rules, ids: ids, state: state)
        records = RecordParser(rules: rules)
    }

    /// What became of one framed record or stray text, for `agenttail parse --explain`.
    package struct Step {
        package var parsed: ParsedRecord?
        /// The rules tried before the one that read the record (all, when none did), each with why it passed it by.
        package var passedOver: [(rule: String, reason: String)] = []
        package var strayText: (offset: Int64, preview: String)?
        /// The indices of the rows it added.
        package var rows: Range<Int>
    }

    /// Feeds bytes to the framer and everything it completes through the rules into the correlator.
    /// - Parameter explain: told about each record and the rows it added.
    package func consume(
        _ chunk: UnsafeRawBufferPointer, rows: inout [NormalizedRow], explain: ((Step) -> Void)? = nil
    ) {
        framer.append(chunk) { event in handle(event, rows: &rows, explain: explain) }
    }

    /// Treats the input as ended, handing out an unfinished record as incomplete.
    package func finishInput(rows: inout [NormalizedRow], explain: ((Step) -> Void)? = nil) {
        framer.finish { event in handle(event, rows: &rows, explain: explain) }
    }

    /// Concludes a session that went silent (see `Correlator.concludeSilent`).
    package func concludeSilent(into rows: inout [NormalizedRow]) { correlator.concludeSilent(into: &rows) }

    /// Appends the session row when it changed since it was last emitted.
    package func flushSession(into rows: inout [NormalizedRow]) { correlator.flushSession(into: &rows) }

    /// Adds what a tool run used to the session's figures.
    package func addToolResources(_ figures: ToolResources) { correlator.addToolResources(figures) }

    /// Records that the file now has this path (renames keep the session).
    package func setSourcePath(_ path: String) { correlator.setSourcePath(path) }

    /// Where reading resumes after a restart, as a checkpoint stores it: the offset of the first byte not yet taken
    /// into a record, and the session as it stands there.
    package var resumePoint: (offset: Int64, state: SessionState) {
        var state = correlator.state
        state.strayTextReported = framer.isInReportedStrayText ? true : nil
        return (framer.checkpoint, state)
    }

    /// Gives back the framer's spare buffer after a large record.
    package func releaseSpareCapacity() { framer.releaseSpareCapacity() }

    /// The rows of a whole text, taken as a finished file: its session concluded at the end, the session row
    /// first, then the rest in file order, each row once as last written. Not masked.
    package static func rows(of bytes: [UInt8], rules: RulePack, ids: EventIDs, sourcePath: String) -> [NormalizedRow] {
        let parser = LogParser(rules: rules, ids: ids, state: SessionState(sourcePath: sourcePath))
        var rows: [NormalizedRow] = []
        bytes.withUnsafeBytes { raw in parser.consume(raw, rows: &rows) }
        return parser.finish(rows)
    }

    /// Ends the input and concludes the session: the session row first, then `rows`, each row once as last written.
    package func finish(_ rows: [NormalizedRow]) -> [NormalizedRow] {
        var rows = rows
        finishInput(rows: &rows)
        concludeSilent(into: &rows)
        var sessionRows: [NormalizedRow] = []
        flushSession(into: &sessionRows)
        return (sessionRows + rows).latestVersions(deliveryOrder: false)
    }

    private func handle(_ event: FramerEvent, rows: inout [NormalizedRow], explain: ((Step) -> Void)?) {
        let before = rows.count
        switch event {
        case .record(let record):
            let memory = correlator.state.remembered ?? [:]
            let parsed = records.parse(record, memory: memory)
            tally.records += 1
            if case .failure = parsed { tally.errors += 1 } else { tally.parsed += 1 }
            correlator.apply(parsed, into: &rows)
            if let explain {
                explain(Step(parsed: parsed, passedOver: records.misses(record, memory: memory), rows: before..<rows.count))
            }
        case .strayText(let offset, let preview):
            tally.errors += 1
            correlator.strayText(offset: offset, preview: preview, into: &rows)
            explain?(Step(strayText: (offset, preview), rows: before..<rows.count))
        }
    }
}

/// What a parser made of the records it finished: those a rule read (or chose to ignore), and those no rule could
/// read together with the text found between records.
package struct ParseTally: Sendable, Equatable {
    package var records = 0
    package var parsed = 0
    package var errors = 0

    /// What was added since `earlier`.
    static func - (later: ParseTally, earlier: ParseTally) -> ParseTally {
        ParseTally(
            records: later.records - earlier.records, parsed: later.parsed - earlier.parsed,
            errors: later.errors - earlier.errors)
    }
}
