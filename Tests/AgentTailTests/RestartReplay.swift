import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// Parses a file once whole and once with a restart between any two lines, as the tailer does after a crash.
enum RestartReplay {
    /// A restart between any two lines, with the session state stored and read back as the state store does, gives
    /// the same rows as one pass. Reading resumes at the checkpoint, as the tailer does: the cut itself when every
    /// line is a record, the start of the record the cut fell in otherwise.
    static func expectSameRowsAtEveryLine(path: String, rules: RulePack) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let whole = try parse(bytes, rules: rules, restartAt: nil).latestVersions().map(text)
        #expect(!whole.isEmpty)
        let lineEnds = bytes.indices.filter { bytes[$0] == 0x0A }.map { $0 + 1 }
        for cut in lineEnds.dropLast() {
            let resumed = try parse(bytes, rules: rules, restartAt: cut).latestVersions().map(text)
            #expect(resumed.count == whole.count, "restart at byte \(cut): \(resumed.count) rows, not \(whole.count)")
            if let index = resumed.indices.first(where: { $0 < whole.count && resumed[$0] != whole[$0] }) {
                Issue.record("restart at byte \(cut): row \(index) is\n\(resumed[index])\nnot\n\(whole[index])")
            }
        }
    }

    static func text(_ row: NormalizedRow) -> String {
        String(decoding: RowCodec.encode(row, includeTable: true), as: UTF8.self)
    }

    /// Parses `bytes` as one file, stopping at `restartAt` to store the checkpoint as JSON and resume from it.
    static func parse(_ bytes: [UInt8], rules: RulePack, restartAt cut: Int?) throws -> [NormalizedRow] {
        let ids = EventIDs(host: "test-host", fileKey: "session")
        var parser = LogParser(rules: rules, ids: ids, state: SessionState(sourcePath: "/logs/session.jsonl"))
        var rows: [NormalizedRow] = []
        var rest = bytes[...]
        if let cut {
            bytes[..<cut].withUnsafeBytes { raw in parser.consume(raw, rows: &rows) }
            parser.flushSession(into: &rows)
            let (offset, state) = parser.resumePoint
            if rules.framing.mode == .lines { #expect(offset == Int64(cut)) }
            #expect(offset <= Int64(cut))
            let stored = try JSONDecoder().decode(SessionState.self, from: try JSONEncoder().encode(state))
            parser = LogParser(rules: rules, ids: ids, state: stored, offset: offset)
            rest = bytes[Int(offset)...]
        }
        rest.withUnsafeBytes { raw in parser.consume(raw, rows: &rows) }
        parser.finishInput(rows: &rows)
        parser.concludeSilent(into: &rows)
        parser.flushSession(into: &rows)
        return rows
    }
}
