#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes a framer holds: one block from `malloc` that grows and shrinks with `realloc`.
///
/// A record of megabytes is gathered a read at a time. An array doubles by copying into a new block, so for a moment
/// it holds the old block and the new one; `realloc` lets the allocator grow a large block where it lies (the kernel
/// remaps its pages), which saves that moment's extra copy and the copying itself. Copies share the block until one of
/// them changes it.
struct RecordBuffer {
    private final class Storage {
        var bytes: UnsafeMutablePointer<UInt8>?
        var count = 0
        var capacity = 0

        init() {}

        init(copying other: Storage) {
            if other.count > 0 {
                resize(to: other.count)
                bytes!.update(from: other.bytes!, count: other.count)
                count = other.count
            }
        }

        deinit { free(bytes) }

        /// Sets the capacity to `capacity` bytes (at least `count`).
        func resize(to capacity: Int) {
            precondition(capacity >= count)
            guard capacity != self.capacity else { return }
            if capacity == 0 {
                free(bytes)
                bytes = nil
            } else {
                guard let grown = realloc(bytes, capacity) else { fatalError("out of memory for \(capacity) bytes") }
                bytes = grown.assumingMemoryBound(to: UInt8.self)
            }
            self.capacity = capacity
        }
    }

    private var storage = Storage()

    /// Bytes held.
    var count: Int { storage.count }

    /// Bytes the block can hold without growing.
    var capacity: Int { storage.capacity }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(copying: storage) }
        return storage
    }

    /// Makes room for `more` bytes, growing by at least half again so that appends cost amortized constant time.
    private mutating func reserve(_ more: Int) -> Storage {
        let storage = unique()
        let needed = storage.count + more
        if needed > storage.capacity { storage.resize(to: max(needed, storage.capacity + storage.capacity / 2, 4096)) }
        return storage
    }

    mutating func append(contentsOf chunk: UnsafeRawBufferPointer) {
        guard let source = chunk.baseAddress, chunk.count > 0 else { return }
        let storage = reserve(chunk.count)
        UnsafeMutableRawPointer(storage.bytes! + storage.count).copyMemory(from: source, byteCount: chunk.count)
        storage.count += chunk.count
    }

    mutating func append(_ byte: UInt8) {
        let storage = reserve(1)
        storage.bytes![storage.count] = byte
        storage.count += 1
    }

    subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < storage.count, "index out of range")
        return storage.bytes![index]
    }

    /// The bytes held, for the duration of `body`.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: storage.bytes, count: storage.count))
    }

    /// Drops the first `n` bytes.
    mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count)
        guard n > 0 else { return }
        let storage = unique()
        if n < storage.count { storage.bytes!.update(from: storage.bytes! + n, count: storage.count - n) }
        storage.count -= n
    }

    /// Gives back room beyond `count`, keeping at least `minimum` bytes of capacity.
    mutating func shrink(keeping minimum: Int = 0) {
        let storage = unique()
        storage.resize(to: max(storage.count, min(minimum, storage.capacity)))
    }
}
