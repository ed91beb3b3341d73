import AgentTailCore

/// Long texts the masker scanned and found no secret in, by their SHA-256 digest.
///
/// A tool's output is masked once as its result, and again inside the next LLM request, which sends it back to the
/// model as a message: a multi-megabyte output would be scanned twice. Hashing a text costs a fraction of scanning it,
/// so a long text whose digest is here is known clean without a second scan. Only texts of `threshold` bytes or more
/// are kept, the last `capacity` of them.
struct CleanTexts {
    static let threshold = 32 << 10
    static let capacity = 1024

    private var known: Set<ContentDigest> = []
    private var order: [ContentDigest] = []
    private var next = 0
    /// Texts not scanned again, for tests.
    private(set) var hits = 0

    /// The digest of `text` when it is long enough to be worth remembering.
    static func digest(_ text: UnsafeBufferPointer<UInt8>) -> ContentDigest? {
        text.count >= threshold ? ContentDigest(UnsafeRawBufferPointer(text)) : nil
    }

    /// True when a text with this digest was found clean (and so needs no scan).
    mutating func contains(_ digest: ContentDigest) -> Bool {
        guard known.contains(digest) else { return false }
        hits += 1
        return true
    }

    /// Remembers a text found clean; the oldest is forgotten once `capacity` are kept.
    mutating func insert(_ digest: ContentDigest) {
        guard known.insert(digest).inserted else { return }
        if order.count < Self.capacity {
            order.append(digest)
        } else {
            known.remove(order[next])
            order[next] = digest
            next = (next + 1) % Self.capacity
        }
    }
}
