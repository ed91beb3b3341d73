import Foundation

/// How the tailer tells files apart, decided from facts alone: the tailer gathers them (stat, the first bytes, what it
/// tracks) and performs what these rules decide. Renames, truncation, overwriting and a deleted file's inode handed
/// to a new one all come down to these four questions.
enum FileIdentityRules {
    /// What to do with a regular file at a path that holds no file the tailer follows.
    enum Newcomer: Equatable {
        /// Empty: nothing to read yet, nothing to name it by.
        case leave
        /// Too short to fingerprint and still being written: look again once it is longer or quiet, so that its key
        /// (part of every event id) does not depend on when agenttail first looked.
        case waitForFingerprint
        /// Open it and track it.
        case track
    }

    static func newcomer(size: Int64, quietFor seconds: Double) -> Newcomer {
        if size == 0 { return .leave }
        if size < Int64(FileIdentity.fingerprintLimit), seconds < FileIdentity.smallFileQuietSeconds {
            return .waitForFingerprint
        }
        return .track
    }

    /// What a file found on disk is to a checkpoint stored for its device and inode.
    enum Stored: Equatable {
        /// The same file: resume where the checkpoint left off.
        case resume
        /// The stored file was deleted and its inode given to another: conclude the stored one, start the new one.
        case inodeReused
    }

    /// - Parameter prefix: the first bytes of the file found (up to `FileIdentity.fingerprintLimit`).
    static func stored(_ stored: FileIdentity, prefix: [UInt8]) -> Stored {
        stored.matches(prefix: prefix) ? .resume : .inodeReused
    }

    /// What became of a followed file's content since it was last read.
    enum Content: Equatable {
        /// It kept its beginning and did not shrink: read what follows.
        case kept
        /// It is shorter than what was read (copytruncate, `> file`): its old content is gone.
        case truncated
        /// Same size or longer, but its first bytes changed (rewritten in place): its old content is gone.
        case overwritten
    }

    /// - Parameter prefix: the file's first bytes now, at least as many as its fingerprint covers when it has them.
    static func content(of file: FileIdentity, size: Int64, readOffset: Int64, prefix: [UInt8]) -> Content {
        if size < readOffset { return .truncated }
        return file.matches(prefix: prefix) ? .kept : .overwritten
    }

    /// Whether a followed file whose path vanished is the file now found at another path with its inode: an open
    /// descriptor on that inode pins it (the inode cannot have been reused), otherwise its first bytes must match.
    static func isStill(_ file: FileIdentity, pinnedByDescriptor: Bool, prefix: [UInt8]?) -> Bool {
        if pinnedByDescriptor { return true }
        guard let prefix else { return false }
        return file.matches(prefix: prefix)
    }
}

extension FileIdentity {
    /// Whether `prefix` (a file's first bytes) begins as this identity's fingerprint says.
    func matches(prefix: [UInt8]) -> Bool {
        guard prefix.count >= fingerprintLength else { return false }
        let status = FileStatus(device: device, inode: inode, size: Int64(prefix.count), modified: 0, isRegularFile: true)
        return FileIdentity(status: status, prefix: Array(prefix.prefix(fingerprintLength))).fingerprint == fingerprint
    }
}
