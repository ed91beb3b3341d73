import Foundation
import Testing

@testable import AgentTail

/// The tailer's decisions about who a file is, on facts alone: the cases rotations, editors and log cleaners make.
struct FileIdentityRulesTests {
    let header = Array(String(repeating: "=", count: 80).utf8) + Array("\nAgent Run Log - 2026-11-26 10:00:00\n".utf8)

    func identity(of bytes: [UInt8], inode: UInt64 = 7) -> FileIdentity {
        let prefix = Array(bytes.prefix(FileIdentity.fingerprintLimit))
        return FileIdentity(
            status: FileStatus(device: 1, inode: inode, size: Int64(bytes.count), modified: 0, isRegularFile: true),
            prefix: prefix)
    }

    func log(_ tag: String, bytes: Int = 600) -> [UInt8] {
        Array((tag + String(repeating: "x", count: bytes)).utf8.prefix(bytes))
    }

    @Test(arguments: [
        (Int64(0), 100.0, FileIdentityRules.Newcomer.leave),
        (Int64(100), 0.5, .waitForFingerprint),  // still being written: its key would depend on when we looked
        (Int64(100), 2.0, .track),  // short but quiet: tracked with what it has
        (Int64(511), 0.0, .waitForFingerprint),
        (Int64(512), 0.0, .track),
    ])
    func newcomers(size: Int64, quiet: Double, expected: FileIdentityRules.Newcomer) {
        #expect(FileIdentityRules.newcomer(size: size, quietFor: quiet) == expected)
    }

    @Test func aStoredCheckpointResumesOnlyTheFileItWasFor() {
        let old = log("first run ")
        let stored = identity(of: old)
        #expect(FileIdentityRules.stored(stored, prefix: Array(old.prefix(512))) == .resume)
        // The same inode, other first bytes: the old file was deleted and its inode handed to a new one.
        #expect(FileIdentityRules.stored(stored, prefix: Array(log("second run").prefix(512))) == .inodeReused)
        // Shorter than the fingerprint: it cannot be the file that had those bytes.
        #expect(FileIdentityRules.stored(stored, prefix: Array(old.prefix(100))) == .inodeReused)
    }

    @Test func aShortFileFingerprintedEarlyResumesWhenItGrew() {
        let short = Array(header.prefix(60))
        let stored = identity(of: short)
        #expect(stored.fingerprintLength == 60)
        #expect(FileIdentityRules.stored(stored, prefix: header + log("[1] REQUEST")) == .resume)
    }

    @Test func contentKeptTruncatedOrOverwritten() {
        let bytes = log("run ", bytes: 2000)
        let file = identity(of: bytes)
        let prefix = Array(bytes.prefix(512))
        #expect(FileIdentityRules.content(of: file, size: 2000, readOffset: 1500, prefix: prefix) == .kept)
        #expect(FileIdentityRules.content(of: file, size: 1500, readOffset: 1500, prefix: prefix) == .kept)
        // copytruncate, or `> file`, then new writes shorter than what was read.
        #expect(FileIdentityRules.content(of: file, size: 300, readOffset: 1500, prefix: Array(prefix.prefix(300)))
            == .truncated)
        // Rewritten in place to the same length or longer.
        #expect(FileIdentityRules.content(of: file, size: 2000, readOffset: 1500, prefix: Array(log("new ").prefix(512)))
            == .overwritten)
    }

    @Test func aRenamedFileIsStillItselfWhenPinnedOrWhenItBeginsTheSame() {
        let bytes = log("run ")
        let file = identity(of: bytes)
        #expect(FileIdentityRules.isStill(file, pinnedByDescriptor: true, prefix: nil))
        #expect(FileIdentityRules.isStill(file, pinnedByDescriptor: false, prefix: Array(bytes.prefix(512))))
        #expect(!FileIdentityRules.isStill(file, pinnedByDescriptor: false, prefix: Array(log("other").prefix(512))))
        #expect(!FileIdentityRules.isStill(file, pinnedByDescriptor: false, prefix: nil))
    }
}
