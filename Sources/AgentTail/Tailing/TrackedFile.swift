import Foundation

/// One file being followed: who it is, its open descriptor, and the framer and correlator fed from it.
///
/// Owned by its `SourceTailer`, which only ever uses it from the ingest thread.
final class TrackedFile {
    var checkpoint: FileCheckpoint
    var framer: Framer
    var correlator: Correlator
    var file: LogFile?
    var lastStatus: FileStatus?
    /// When the file was last read or checked, for closing idle descriptors.
    var lastUsed: Date
    /// The path no longer leads to this file: drain what is left, conclude, forget.
    var gone = false
    /// Something changed since the checkpoint was last added to a commit.
    var dirty = false

    init(checkpoint: FileCheckpoint, rules: RulePack, host: String, skipToFirstRecord: Bool = false, now: Date) {
        self.checkpoint = checkpoint
        self.framer = Framer(
            framing: rules.framing, offset: checkpoint.offset, skipToFirstRecord: skipToFirstRecord,
            strayTextReported: checkpoint.session.strayTextReported ?? false)
        self.correlator = Correlator(
            rules: rules, ids: EventIDs(host: host, fileKey: checkpoint.fileKey), state: checkpoint.session)
        self.lastUsed = now
    }

    /// What became of one framed record or stray text, for `agenttail parse --explain`.
    struct Step {
        var parsed: ParsedRecord?
        var strayText: (offset: Int64, preview: String)?
        /// The indices of the rows it added.
        var rows: Range<Int>
    }

    /// Feeds bytes to the framer and everything it completes through the parser into the correlator.
    /// - Parameter explain: told about each record and the rows it added.
    func consume(
        _ chunk: UnsafeRawBufferPointer, parser: RecordParser, rows: inout [NormalizedRow],
        explain: ((Step) -> Void)? = nil
    ) {
        framer.append(chunk) { event in handle(event, parser: parser, rows: &rows, explain: explain) }
    }

    /// Treats the input as ended, handing out an unfinished record as incomplete.
    func finishInput(parser: RecordParser, rows: inout [NormalizedRow], explain: ((Step) -> Void)? = nil) {
        framer.finish { event in handle(event, parser: parser, rows: &rows, explain: explain) }
    }

    private func handle(
        _ event: FramerEvent, parser: RecordParser, rows: inout [NormalizedRow], explain: ((Step) -> Void)?
    ) {
        let before = rows.count
        switch event {
        case .record(let record):
            let parsed = parser.parse(record)
            correlator.apply(parsed, into: &rows)
            explain?(Step(parsed: parsed, rows: before..<rows.count))
        case .strayText(let offset, let preview):
            correlator.strayText(offset: offset, preview: preview, into: &rows)
            explain?(Step(strayText: (offset, preview), rows: before..<rows.count))
        }
    }

    /// Brings the checkpoint up to date with the framer and correlator, and emits the session row if it changed.
    func snapshot(rows: inout [NormalizedRow]) -> FileCheckpoint {
        correlator.flushSession(into: &rows)
        checkpoint.offset = framer.checkpoint
        checkpoint.session = correlator.state
        checkpoint.session.strayTextReported = framer.isInReportedStrayText ? true : nil
        if let size = lastStatus?.size { checkpoint.size = max(size, framer.readOffset) }
        dirty = false
        return checkpoint
    }
}
