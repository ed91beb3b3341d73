import Foundation

/// One file being followed: who it is, its open descriptor, and the parse chain fed from it.
///
/// Owned by its `SourceTailer`, which only ever uses it from the ingest thread.
final class TrackedFile {
    var checkpoint: FileCheckpoint
    let parser: LogParser
    var file: LogFile?
    var lastStatus: FileStatus?
    /// When the file was last read or checked, for closing idle descriptors.
    var lastUsed: Date
    /// When this process first saw the file, for finding the agent that started before it.
    let firstSeen: Date
    /// The path no longer leads to this file: drain what is left, conclude, forget.
    var gone = false
    /// Something changed since the checkpoint was last added to a commit.
    var dirty = false

    init(checkpoint: FileCheckpoint, rules: RulePack, host: String, skipToFirstRecord: Bool = false, now: Date) {
        self.checkpoint = checkpoint
        parser = LogParser(
            rules: rules, ids: EventIDs(host: host, fileKey: checkpoint.fileKey), state: checkpoint.session,
            offset: checkpoint.offset, skipToFirstRecord: skipToFirstRecord)
        self.lastUsed = now
        firstSeen = now
    }

    /// Where reading has got to in the file.
    var readOffset: Int64 { parser.framer.readOffset }

    /// Brings the checkpoint up to date with the framer and correlator, and emits the session row if it changed.
    func snapshot(rows: inout [NormalizedRow]) -> FileCheckpoint {
        parser.flushSession(into: &rows)
        (checkpoint.offset, checkpoint.session) = parser.resumePoint
        if let size = lastStatus?.size { checkpoint.size = max(size, readOffset) }
        dirty = false
        return checkpoint
    }
}
