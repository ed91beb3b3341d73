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

    /// Feeds bytes to the framer and everything it completes through the parser into the correlator.
    func consume(_ chunk: UnsafeRawBufferPointer, parser: RecordParser, rows: inout [NormalizedRow]) {
        framer.append(chunk) { event in handle(event, parser: parser, rows: &rows) }
    }

    /// Treats the input as ended, handing out an unfinished record as incomplete.
    func finishInput(parser: RecordParser, rows: inout [NormalizedRow]) {
        framer.finish { event in handle(event, parser: parser, rows: &rows) }
    }

    private func handle(_ event: FramerEvent, parser: RecordParser, rows: inout [NormalizedRow]) {
        switch event {
        case .record(let record):
            correlator.apply(parser.parse(record), into: &rows)
        case .strayText(let offset, let preview):
            correlator.strayText(offset: offset, preview: preview, into: &rows)
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
