import Foundation

/// What agenttail remembers about one tailed file: who it is, how far it was read, and its session's state.
package struct FileCheckpoint: Sendable, Equatable {
    /// Stable key of the file, part of every event id it produces.
    package var fileKey: String
    package var source: String
    package var path: String
    package var identity: FileIdentity
    /// Where reading resumes: always a record boundary.
    package var offset: Int64
    /// The file's size when it was last read.
    package var size: Int64
    package var session: SessionState
    package var lastError: String?
}

/// Who a file is: device and inode, plus a fingerprint of its first bytes so that a reused inode is a new file.
package struct FileIdentity: Sendable, Equatable, Hashable {
    package var device: UInt64
    package var inode: UInt64
    /// How many leading bytes the fingerprint covers (at most `FileIdentity.fingerprintLimit`).
    package var fingerprintLength: Int
    /// Hex digest of those bytes.
    package var fingerprint: String

    /// Bytes the fingerprint covers: past Mini-Agent's header, into the first record.
    ///
    /// The file key (part of every event id) is fixed when a file is first tracked, so a file is tracked only once
    /// it holds this many bytes, or has been quiet for `smallFileQuietSeconds`: then the key does not depend on how
    /// much of the file existed when agenttail first looked, and a replay from scratch gives the same ids.
    package static let fingerprintLimit = 512

    /// How long a file shorter than `fingerprintLimit` must be left unchanged before it is tracked anyway.
    package static let smallFileQuietSeconds = 2.0

    /// The file key derived from this identity, fixed when the file is first tracked.
    package var key: String { "\(device):\(inode):\(fingerprint)" }
}
