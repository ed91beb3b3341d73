import Foundation
import Logging

/// Follows every file of one source: finds them, tells files apart (rename, truncation, inode reuse), reads what
/// grew, and turns it into rows and checkpoints.
///
/// Not thread-safe: one ingest thread owns it.
final class SourceTailer {
    /// Bytes read before what they produced is committed (or 5000 rows): bounds the memory one step holds, since a
    /// request's rows repeat the conversation so far.
    static let sliceBytes = 2 << 20

    let source: SourceConfig
    let rules: RulePack
    let host: String
    let tailing: TailingConfig
    private var logger: Logger
    /// Tracked files by file key; change it only through `track` and `untrack`, which keep `index` in step.
    private var files: [String: TrackedFile] = [:]
    /// Tracked files by inode and by path, so that a visit costs the same with ten thousand files as with ten.
    private var index = FileIndex()
    /// Log files this tailer may keep open (see `LogFile.descriptorBudget`).
    private let descriptorBudget: Int
    /// Checkpoints read at start-up that no file has claimed yet.
    private var unclaimed: [FileCheckpoint]
    /// Keys of stored checkpoints whose file exists but could not be opened (permissions): kept for later visits.
    private var unreadable: Set<String> = []
    /// Files seen but not yet tracked because they are short and were written to moments ago: visited again on every
    /// step until they are tracked, since a quiet file sends no more notifications.
    private var waitingSmallFiles: Set<String> = []
    private var scannedOnce = false
    private var readBuffer: [UInt8]
    /// The current step's stop check.
    private var shouldContinue: () -> Bool = { true }
    private let metrics: SourceMetrics
    /// Where reading stands in each file, for `/metrics` and `/healthz`.
    private let progress: TailProgress
    /// Measures the tool runs of files followed live; nil when the source asks not to.
    private let resources: ToolResourceTracker?
    /// Whether the step in progress follows changes as they happen (not a scan of what exists).
    private var live = false

    init(
        source: SourceConfig, rules: RulePack, host: String, tailing: TailingConfig, checkpoints: [FileCheckpoint],
        metrics: SourceMetrics, progress: TailProgress, sampler: ResourceSampler?, logger: Logger
    ) {
        self.metrics = metrics
        self.progress = progress
        var sourceLogger = logger
        sourceLogger[metadataKey: "source"] = "\(source.name)"
        resources = source.measureTools ? sampler.map {
            ToolResourceTracker(command: source.processCommand, sampler: $0, logger: sourceLogger)
        } : nil
        self.source = source
        self.rules = rules
        self.host = host
        self.tailing = tailing
        self.unclaimed = checkpoints
        self.readBuffer = [UInt8](repeating: 0, count: tailing.readChunkSize)
        self.descriptorBudget = LogFile.descriptorBudget(configured: tailing.maxOpenFiles)
        var logger = logger
        logger[metadataKey: "source"] = "\(source.name)"
        self.logger = logger
    }

    /// The folders to watch for this source's files.
    var directories: Set<String> {
        Set(source.paths.flatMap(Glob.directories(of:)))
    }

    /// True when `path` belongs to this source.
    func owns(_ path: String) -> Bool {
        source.owns(path)
    }

    /// Bytes not yet read, summed over tracked files, for progress and `status`.
    var pendingBytes: Int64 {
        files.values.reduce(0) { total, file in total + max(0, (file.lastStatus?.size ?? 0) - file.readOffset) }
    }

    /// Files with bytes not yet read, and those bytes, as of the last look at them.
    var unread: (files: Int, bytes: Int64) {
        files.values.reduce(into: (files: 0, bytes: Int64(0))) { total, file in
            let left = max(0, (file.lastStatus?.size ?? 0) - file.readOffset)
            if left > 0 {
                total.files += 1
                total.bytes += left
            }
        }
    }

    /// Every path the source's globs match now.
    func matchingPaths() -> [String] {
        SourceMatch(source).files
    }

    /// One pass over the source.
    /// - Parameters:
    ///   - changed: paths reported as changed; nil means look at everything.
    ///   - emit: takes the rows and checkpoints of one slice of work; the caller commits them.
    ///   - shouldContinue: checked between slices; false stops the step early (what was read is committed).
    func step(
        changed: Set<String>?, now: Date, shouldContinue: @escaping () -> Bool = { true },
        emit: (inout StateStore.Commit) throws -> Void
    ) throws {
        self.shouldContinue = shouldContinue
        defer { self.shouldContinue = { true } }
        live = changed != nil && scannedOnce
        let fullScan = changed == nil || !scannedOnce
        var candidates: [String]
        if fullScan {
            candidates = matchingPaths()
        } else {
            // Files too small to fingerprint get no further event once they go quiet: look at them again.
            candidates = changed!.filter(owns).union(waitingSmallFiles).sorted()
        }
        waitingSmallFiles.removeAll()
        var seenKeys: Set<String> = []
        for path in candidates {
            guard shouldContinue() else { return }
            if let key = try visit(path: path, now: now, firstScan: !scannedOnce, emit: emit) { seenKeys.insert(key) }
        }
        if fullScan {
            for (key, file) in files where !seenKeys.contains(key) {
                file.gone = true
            }
            if !scannedOnce {
                // Checkpoints of files that disappeared while agenttail was not running.
                var commit = StateStore.Commit()
                for checkpoint in unclaimed where !unreadable.contains(checkpoint.fileKey) {
                    logger.warning(
                        "file vanished while agenttail was stopped; its unread bytes are lost",
                        metadata: ["file.path": "\(checkpoint.path)"])
                    conclude(checkpoint, into: &commit, now: now)
                }
                unclaimed.removeAll { !unreadable.contains($0.fileKey) }
                if !commit.isEmpty { try emit(&commit) }
            }
        }
        scannedOnce = true
        try findRenamedFiles(now: now, emit: emit)
        try retireGoneFiles(now: now, emit: emit)
        try concludeSilentSessions(now: now, emit: emit)
        closeIdleDescriptors(now: now)
    }

    /// Looks at one path; returns the key of the file found there.
    private func visit(
        path: String, now: Date, firstScan: Bool, emit: (inout StateStore.Commit) throws -> Void
    ) throws -> String? {
        guard let status = FileStatus.of(path: path), status.isRegularFile else {
            // Deleted, or replaced by a folder or a device: the file that lived here is gone.
            for file in index.files(at: path) { file.gone = true }
            return nil
        }
        // The file at this path, or one renamed to it: a file whose old path vanished earlier in this step (paths are
        // visited in sorted order) is still the same file when it kept its inode and first bytes.
        if let file = index.files(device: status.device, inode: status.inode).first(where: {
            !$0.gone || isStill($0, at: path, status: status)
        }) {
            file.gone = false
            if file.checkpoint.path != path {
                logger.debug("file renamed", metadata: ["file.path": "\(path)", "file.previous": "\(file.checkpoint.path)"])
                index.move(file, to: path)
                file.parser.setSourcePath(path)
                file.dirty = true
            }
            try read(file, status: status, now: now, emit: emit)
            return file.checkpoint.fileKey
        }
        // Another file used to live at this path: it was replaced.
        for file in index.files(at: path) { file.gone = true }
        switch FileIdentityRules.newcomer(size: status.size, quietFor: now.timeIntervalSince1970 - status.modified) {
        case .leave:
            return nil
        case .waitForFingerprint:
            logger.trace("file too small to fingerprint yet", metadata: ["file.path": "\(path)"])
            waitingSmallFiles.insert(path)
            return nil
        case .track:
            break
        }
        makeRoomForDescriptor()
        let opened = LogFile.open(path)
        guard case .success(let handle) = opened else {
            if case .failure(let problem) = opened {
                logger.warning("cannot open file", metadata: ["file.path": "\(path)", "error": "\(problem)"])
            }
            // It is there, only unreadable for now: its stored checkpoint waits for it instead of being concluded.
            if let stored = unclaimed.first(where: { $0.identity.device == status.device && $0.identity.inode == status.inode }) {
                unreadable.insert(stored.fileKey)
            }
            return nil
        }
        let prefix = handle.prefix(Int(min(status.size, Int64(FileIdentity.fingerprintLimit))))
        let identity = FileIdentity(status: status, prefix: prefix)
        let file: TrackedFile
        if let index = unclaimed.firstIndex(where: { $0.identity.device == status.device && $0.identity.inode == status.inode }) {
            let stored = unclaimed.remove(at: index)
            unreadable.remove(stored.fileKey)
            if FileIdentityRules.stored(stored.identity, prefix: prefix) == .resume {
                var checkpoint = stored
                checkpoint.path = path
                // A file that has not shown a record yet was stopped in its preamble (the header before the first
                // record): resume in preamble mode, or the rest of the header would read as stray text.
                file = TrackedFile(
                    checkpoint: checkpoint, rules: rules, host: host, skipToFirstRecord: !checkpoint.session.hasRecords,
                    now: now)
                logger.debug("resuming file", metadata: ["file.path": "\(path)", "file.offset": "\(stored.offset)"])
            } else {
                // Same inode, other content: the old file was deleted and its inode reused.
                var commit = StateStore.Commit()
                conclude(stored, into: &commit, now: now)
                try emit(&commit)
                file = newFile(path: path, identity: identity, status: status, firstScan: firstScan, now: now)
            }
        } else {
            file = newFile(path: path, identity: identity, status: status, firstScan: firstScan, now: now)
        }
        file.file = handle
        track(file)
        try read(file, status: status, now: now, emit: emit)
        return file.checkpoint.fileKey
    }

    private func newFile(
        path: String, identity: FileIdentity, status: FileStatus, firstScan: Bool, now: Date, keySuffix: String = ""
    ) -> TrackedFile {
        let atEnd = firstScan && source.startAt == .end
        let checkpoint = FileCheckpoint(
            fileKey: identity.key + keySuffix, source: source.name, path: path, identity: identity,
            offset: atEnd ? status.size : 0, size: status.size, session: SessionState(sourcePath: path))
        // The files found at start are counted in the start's message; later ones are news.
        logger.log(
            level: firstScan ? .debug : .info, firstScan ? "new file" : "following a new file",
            metadata: ["file.path": "\(path)", "file.inode": "\(status.inode)"])
        let file = TrackedFile(checkpoint: checkpoint, rules: rules, host: host, skipToFirstRecord: atEnd, now: now)
        file.dirty = true
        return file
    }

    /// Reads what the file gained since last time, in slices that are committed one by one.
    private func read(
        _ file: TrackedFile, status: FileStatus, now: Date, emit: (inout StateStore.Commit) throws -> Void
    ) throws {
        file.lastUsed = now
        if file.file == nil {
            makeRoomForDescriptor()
            guard case .success(let handle) = LogFile.open(file.checkpoint.path),
                let opened = handle.status, opened.inode == file.checkpoint.identity.inode
            else { return }
            file.file = handle
        }
        guard let handle = file.file else { return }
        let content = FileIdentityRules.content(
            of: file.checkpoint.identity, size: status.size, readOffset: file.readOffset,
            prefix: handle.prefix(file.checkpoint.identity.fingerprintLength))
        guard content == .kept else {
            try restartTruncated(file, status: status, now: now, emit: emit)
            return
        }
        file.lastStatus = status
        extendFingerprint(file, handle: handle, size: status.size)
        var rows: [NormalizedRow] = []
        var sliceBytes = 0
        while true {
            let offset = file.readOffset
            let result = readBuffer.withUnsafeMutableBytes { buffer in handle.read(into: buffer, at: offset) }
            guard case .success(let count) = result else {
                if case .failure(let problem) = result {
                    file.checkpoint.lastError = "read failed: \(problem)"
                    logger.warning("read failed", metadata: ["file.path": "\(file.checkpoint.path)", "error": "\(problem)"])
                }
                break
            }
            if count == 0 { break }
            let before = file.parser.tally
            let rowsBefore = rows.count
            readBuffer.withUnsafeBytes { buffer in
                file.parser.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), rows: &rows)
            }
            metrics.read(bytes: count, records: file.parser.tally - before)
            resources?.observe(&rows, from: rowsBefore, file: file, live: live)
            file.dirty = true
            sliceBytes += count
            if sliceBytes >= Self.sliceBytes || rows.count >= 5000 {
                try flush(file, rows: &rows, emit: emit)
                sliceBytes = 0
                guard shouldContinue() else { break }
            }
        }
        if file.readOffset > file.lastStatus?.size ?? 0 {
            file.lastStatus?.size = file.readOffset
        }
        file.parser.releaseSpareCapacity()
        progress.read(
            key: file.checkpoint.fileKey, source: source.name, path: file.checkpoint.path, offset: file.readOffset)
        if file.dirty || !rows.isEmpty { try flush(file, rows: &rows, emit: emit) }
    }

    private func flush(_ file: TrackedFile, rows: inout [NormalizedRow], emit: (inout StateStore.Commit) throws -> Void) throws {
        var commit = StateStore.Commit()
        let checkpoint = file.snapshot(rows: &rows)
        commit.rows = rows
        // A file that produced nothing yet (only a partial record) needs no checkpoint until it does.
        if checkpoint.session.hasRecords || checkpoint.offset > 0 { commit.checkpoints = [checkpoint] }
        rows.removeAll(keepingCapacity: true)
        if !commit.isEmpty { try emit(&commit) }
    }

    /// True when the first bytes still hash to the recorded fingerprint.
    private func extendFingerprint(_ file: TrackedFile, handle: LogFile, size: Int64) {
        let identity = file.checkpoint.identity
        guard identity.fingerprintLength < FileIdentity.fingerprintLimit, size > Int64(identity.fingerprintLength) else {
            return
        }
        let prefix = handle.prefix(Int(min(size, Int64(FileIdentity.fingerprintLimit))))
        let status = FileStatus(device: identity.device, inode: identity.inode, size: size, modified: 0, isRegularFile: true)
        file.checkpoint.identity = FileIdentity(status: status, prefix: prefix)
        file.dirty = true
    }

    /// The file shrank or its beginning changed under the same inode: the old content is gone; start over at 0.
    private func restartTruncated(
        _ file: TrackedFile, status: FileStatus, now: Date, emit: (inout StateStore.Commit) throws -> Void
    ) throws {
        logger.warning(
            "file truncated or overwritten; reading it again from the start",
            metadata: ["file.path": "\(file.checkpoint.path)", "file.offset": "\(file.readOffset)"])
        var rows: [NormalizedRow] = []
        file.parser.concludeSilent(into: &rows)
        _ = file.snapshot(rows: &rows)
        var commit = StateStore.Commit()
        commit.rows = rows
        commit.forget = [(source.name, file.checkpoint.fileKey)]
        untrack(file.checkpoint.fileKey)
        try emit(&commit)
        guard let handle = file.file, status.size > 0 else { return }
        let prefix = handle.prefix(Int(min(status.size, Int64(FileIdentity.fingerprintLimit))))
        let identity = FileIdentity(status: status, prefix: prefix)
        let suffix = identity.key == file.checkpoint.fileKey ? ":r\(file.checkpoint.offset)" : ""
        let fresh = newFile(
            path: file.checkpoint.path, identity: identity, status: status, firstScan: false, now: now, keySuffix: suffix)
        fresh.file = handle
        track(fresh)
        try read(fresh, status: status, now: now, emit: emit)
    }

    /// Drains files whose path no longer leads to them, concludes their sessions and forgets them.
    /// Visits paths of the source that hold a file whose old path vanished, so that a rename seen in two batches of
    /// changes (the old name in one, the new name in the next) is still a rename and not a new file.
    private func findRenamedFiles(now: Date, emit: (inout StateStore.Commit) throws -> Void) throws {
        let gone = files.values.filter(\.gone)
        guard !gone.isEmpty else { return }
        let known = Set(files.values.map(\.checkpoint.path))
        for path in matchingPaths() where !known.contains(path) {
            guard let status = FileStatus.of(path: path),
                gone.contains(where: { $0.checkpoint.identity.inode == status.inode && $0.checkpoint.identity.device == status.device })
            else { continue }
            _ = try visit(path: path, now: now, firstScan: false, emit: emit)
        }
    }

    /// True when the file at `path` is `file`, although `file`'s own path vanished: an open descriptor pins the
    /// inode (it cannot have been reused), otherwise its first bytes must match the fingerprint.
    private func isStill(_ file: TrackedFile, at path: String, status: FileStatus) -> Bool {
        let pinned = file.file?.status.map { $0.inode == status.inode && $0.device == status.device } ?? false
        var prefix: [UInt8]?
        if !pinned, case .success(let handle) = LogFile.open(path) {
            prefix = handle.prefix(file.checkpoint.identity.fingerprintLength)
        }
        return FileIdentityRules.isStill(file.checkpoint.identity, pinnedByDescriptor: pinned, prefix: prefix)
    }

    private func retireGoneFiles(now: Date, emit: (inout StateStore.Commit) throws -> Void) throws {
        for (key, file) in files where file.gone {
            var rows: [NormalizedRow] = []
            if let handle = file.file, let status = handle.status {
                // Renamed away or deleted: what was written before is still readable through the descriptor.
                file.gone = false
                try read(file, status: status, now: now, emit: emit)
                file.gone = true
                _ = handle
            }
            file.parser.finishInput(rows: &rows)
            file.parser.concludeSilent(into: &rows)
            _ = file.snapshot(rows: &rows)
            var commit = StateStore.Commit()
            commit.rows = rows
            commit.forget = [(source.name, key)]
            untrack(key)
            logger.debug("file gone; forgotten after draining", metadata: ["file.path": "\(file.checkpoint.path)"])
            try emit(&commit)
        }
    }

    /// Concludes sessions whose file has been silent for longer than the session timeout.
    private func concludeSilentSessions(now: Date, emit: (inout StateStore.Commit) throws -> Void) throws {
        let timeout = source.sessionTimeout.seconds
        for file in files.values where file.parser.correlator.isOpen {
            // Every change is read, and reading records the file's status: a file whose last known change is more
            // recent than the timeout cannot be silent yet, and needs no stat.
            if let known = file.lastStatus, now.timeIntervalSince1970 - known.modified < timeout { continue }
            guard let status = FileStatus.of(path: file.checkpoint.path),
                status.inode == file.checkpoint.identity.inode, status.size <= file.readOffset
            else { continue }
            file.lastStatus = status
            guard now.timeIntervalSince1970 - status.modified >= timeout else { continue }
            var rows: [NormalizedRow] = []
            file.parser.finishInput(rows: &rows)
            file.parser.concludeSilent(into: &rows)
            try flush(file, rows: &rows, emit: emit)
        }
    }

    /// Closes descriptors of the least recently used files beyond the limit; they are reopened when they change.
    private func closeIdleDescriptors(now: Date) {
        let open = files.values.filter { $0.file != nil }
        guard open.count > descriptorBudget else { return }
        for file in open.sorted(by: { $0.lastUsed < $1.lastUsed }).prefix(open.count - descriptorBudget)
        where !file.parser.framer.hasUnfinishedRecord || open.count > descriptorBudget * 2 {
            file.file = nil
        }
    }

    /// Before a file is opened: when the budget is spent, closes the least recently used descriptors (those of files
    /// in the middle of a record last) down to three quarters of it. A folder of thousands of files is then read a
    /// few at a time instead of failing to open past the process's limit; closed files are reopened when they change.
    private func makeRoomForDescriptor() {
        let openNow = LogFile.openCount
        guard openNow >= descriptorBudget else { return }
        let open = files.values.filter { $0.file != nil }.sorted {
            ($0.parser.framer.hasUnfinishedRecord ? 1 : 0, $0.lastUsed) < ($1.parser.framer.hasUnfinishedRecord ? 1 : 0, $1.lastUsed)
        }
        for file in open.prefix(openNow - descriptorBudget * 3 / 4) { file.file = nil }
    }

    private func track(_ file: TrackedFile) {
        if let replaced = files.updateValue(file, forKey: file.checkpoint.fileKey) { index.remove(replaced) }
        index.add(file)
    }

    private func untrack(_ key: String) {
        if let file = files.removeValue(forKey: key) { index.remove(file) }
        progress.forget(key: key)
    }

    /// Concludes the session of a stored checkpoint whose file is gone, and forgets it.
    private func conclude(_ checkpoint: FileCheckpoint, into commit: inout StateStore.Commit, now: Date) {
        let file = TrackedFile(checkpoint: checkpoint, rules: rules, host: host, now: now)
        var rows: [NormalizedRow] = []
        file.parser.concludeSilent(into: &rows)
        file.parser.flushSession(into: &rows)
        commit.rows += rows
        commit.forget.append((source.name, checkpoint.fileKey))
    }

    /// The tracked files, for `status` and tests.
    var trackedCheckpoints: [FileCheckpoint] { files.values.map(\.checkpoint) }
}
