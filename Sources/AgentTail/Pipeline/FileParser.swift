import Foundation

/// Parses whole files without touching any state, for `agenttail parse`: every file is taken as finished, so its
/// session is concluded at the end of the file.
package enum FileParser {
    /// The rows one file produces, the session row first, then the rest in file order, with secrets masked.
    package static func rows(
        path: String, rules: RulePack, host: String, redactor: Redactor = Redactor()
    ) throws(FileProblem) -> [NormalizedRow] {
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        let handle: LogFile
        switch LogFile.open(path) {
        case .success(let opened): handle = opened
        case .failure(var problem):
            problem.path = path
            throw problem
        }
        guard let status = handle.status else { throw FileProblem(path: path, errno: EBADF) }
        let file = trackedFile(
            path: path, status: status, prefix: handle.prefix(Int(min(status.size, Int64(FileIdentity.fingerprintLimit)))),
            rules: rules, host: host)
        let parser = RecordParser(rules: rules)
        var rows: [NormalizedRow] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in handle.read(into: raw, at: offset) }
            guard case .success(let count) = result else {
                if case .failure(var problem) = result {
                    problem.path = path
                    throw problem
                }
                break
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { raw in
                file.consume(UnsafeRawBufferPointer(rebasing: raw[0..<count]), parser: parser, rows: &rows)
            }
            offset += Int64(count)
        }
        return finish(file, parser: parser, rows: rows, redactor: redactor)
    }

    /// The rows a file holding `bytes` at `path` produces, as `rows(path:)` gives them (rule tests).
    package static func rows(
        bytes: [UInt8], path: String, rules: RulePack, host: String, redactor: Redactor = Redactor()
    ) -> [NormalizedRow] {
        let status = FileStatus(device: 0, inode: 0, size: Int64(bytes.count), modified: 0, isRegularFile: true)
        let file = trackedFile(
            path: path, status: status, prefix: Array(bytes.prefix(FileIdentity.fingerprintLimit)), rules: rules,
            host: host)
        let parser = RecordParser(rules: rules)
        var rows: [NormalizedRow] = []
        bytes.withUnsafeBytes { raw in file.consume(raw, parser: parser, rows: &rows) }
        return finish(file, parser: parser, rows: rows, redactor: redactor)
    }

    /// A file read from its start, known by nothing but its path and first bytes.
    private static func trackedFile(
        path: String, status: FileStatus, prefix: [UInt8], rules: RulePack, host: String
    ) -> TrackedFile {
        let identity = FileIdentity(status: status, prefix: prefix)
        let checkpoint = FileCheckpoint(
            fileKey: identity.key, source: "parse", path: path, identity: identity, offset: 0, size: status.size,
            session: SessionState(sourcePath: path))
        return TrackedFile(checkpoint: checkpoint, rules: rules, host: host, now: Date())
    }

    /// Ends the input, concludes the session and masks: the session row first, then the rest in file order.
    private static func finish(
        _ file: TrackedFile, parser: RecordParser, rows: [NormalizedRow], redactor: Redactor
    ) -> [NormalizedRow] {
        var rows = rows
        file.finishInput(parser: parser, rows: &rows)
        file.correlator.concludeSilent(into: &rows)
        var sessionRows: [NormalizedRow] = []
        file.correlator.flushSession(into: &sessionRows)
        var all = sessionRows + rows
        var masker = RowMasker(redactor: redactor)
        masker.redact(&all)
        return all
    }
}

#if canImport(Glibc)
import Glibc
#endif
