import Testing

@testable import AgentTail

/// The framer's byte buffer behaves as an array of bytes would, copies included.
struct RecordBufferTests {
    static func bytes(_ buffer: RecordBuffer) -> [UInt8] { buffer.withUnsafeBytes { Array($0) } }

    @Test func appendsDropsAndShrinksLikeAnArray() {
        var buffer = RecordBuffer()
        var model: [UInt8] = []
        for round in 0..<200 {
            let chunk = (0..<(round * 37 % 5000)).map { UInt8(truncatingIfNeeded: $0 &+ round) }
            chunk.withUnsafeBytes { buffer.append(contentsOf: $0) }
            model += chunk
            buffer.append(0x0A)
            model.append(0x0A)
            if round % 7 == 0 {
                let drop = model.count / 3
                buffer.removeFirst(drop)
                model.removeFirst(drop)
            }
            if round % 11 == 0 { buffer.shrink(keeping: 100) }
            #expect(buffer.count == model.count)
            #expect(buffer.capacity >= buffer.count)
        }
        #expect(Self.bytes(buffer) == model)
        #expect(buffer[model.count - 1] == model[model.count - 1])
        buffer.removeFirst(buffer.count)
        buffer.shrink()
        #expect(buffer.count == 0 && buffer.capacity == 0)
    }

    @Test func aCopyKeepsItsBytesWhenTheOriginalChanges() {
        var original = RecordBuffer()
        ([1, 2, 3, 4] as [UInt8]).withUnsafeBytes { original.append(contentsOf: $0) }
        let copy = original
        original.removeFirst(2)
        original.append(9)
        #expect(Self.bytes(copy) == [1, 2, 3, 4])
        #expect(Self.bytes(original) == [3, 4, 9])
    }
}
