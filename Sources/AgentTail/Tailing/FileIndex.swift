/// A source's tracked files by device and inode, and by path.
///
/// Its owner adds every file it tracks and removes every file it forgets, and renames files through `move`; the
/// index then answers "which file is this inode" and "which files claim this path" without a walk over all of them.
struct FileIndex {
    private struct Inode: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private var byInode: [Inode: [TrackedFile]] = [:]
    private var byPath: [String: [TrackedFile]] = [:]

    mutating func add(_ file: TrackedFile) {
        byInode[Self.inode(of: file), default: []].append(file)
        byPath[file.checkpoint.path, default: []].append(file)
    }

    mutating func remove(_ file: TrackedFile) {
        Self.remove(file, from: &byInode, at: Self.inode(of: file))
        Self.remove(file, from: &byPath, at: file.checkpoint.path)
    }

    /// Gives `file` the path `path`.
    mutating func move(_ file: TrackedFile, to path: String) {
        Self.remove(file, from: &byPath, at: file.checkpoint.path)
        file.checkpoint.path = path
        byPath[path, default: []].append(file)
    }

    /// The tracked files with this identity (more than one only when a truncated file was started over).
    func files(device: UInt64, inode: UInt64) -> [TrackedFile] {
        byInode[Inode(device: device, inode: inode)] ?? []
    }

    /// The tracked files whose path is `path`.
    func files(at path: String) -> [TrackedFile] {
        byPath[path] ?? []
    }

    private static func inode(of file: TrackedFile) -> Inode {
        Inode(device: file.checkpoint.identity.device, inode: file.checkpoint.identity.inode)
    }

    private static func remove<Key: Hashable>(_ file: TrackedFile, from map: inout [Key: [TrackedFile]], at key: Key) {
        guard var list = map[key] else { return }
        list.removeAll { $0 === file }
        map[key] = list.isEmpty ? nil : list
    }
}
