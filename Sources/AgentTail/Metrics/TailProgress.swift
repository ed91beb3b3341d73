import Foundation
import Synchronization

/// Where reading stands in every followed file, published by the tailers as they read, for `/metrics` (lag per
/// file) and `/healthz` (a file that holds unread bytes but is not being read).
///
/// The tailers write it from the ingest thread; a scrape reads it at any time without waiting for a step to end.
package final class TailProgress: Sendable {
    package struct File: Sendable, Equatable {
        package var source: String
        package var path: String
        /// Bytes read (the next byte to read).
        package var offset: Int64
    }

    private let files = Mutex<[String: File]>([:])

    package init() {}

    /// Records where reading stands in the file `key` after a read.
    func read(key: String, source: String, path: String, offset: Int64) {
        files.withLock { $0[key] = File(source: source, path: path, offset: offset) }
    }

    /// Forgets a file no longer followed.
    func forget(key: String) {
        _ = files.withLock { $0.removeValue(forKey: key) }
    }

    /// Every followed file.
    package var all: [File] { files.withLock { Array($0.values) } }
}
