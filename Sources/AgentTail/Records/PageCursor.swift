import Foundation

/// Where the next page starts, handed to the caller as an opaque string and read back from it.
///
/// Sessions are paged by their position in the order (start, id), not by a count, so that sessions written between
/// two pages neither repeat a row nor skip one. Steps and error patterns are paged by a count: a session's steps only
/// grow at its end, and a search's patterns are computed anew for each page.
package enum PageCursor: Sendable, Equatable {
    /// After the session that started at `startedAt` (nil for a session without a start) with id `id`.
    case after(startedAt: String?, id: String)
    /// From the `offset`-th item.
    case offset(Int)

    /// The cursor as the caller sees it: URL-safe Base64 of a small JSON object.
    package var token: String {
        let object: [String: String] =
            switch self {
            case .after(let startedAt, let id): ["s": startedAt ?? "", "i": id]
            case .offset(let offset): ["o": String(offset)]
            }
        let data = try! JSONSerialization.data(withJSONObject: object, options: .sortedKeys)
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Reads a token `token` gave; nil for anything else.
    package init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String]
        else { return nil }
        if let id = object["i"], let start = object["s"], object.count == 2 {
            self = .after(startedAt: start.isEmpty ? nil : start, id: id)
        } else if let text = object["o"], let offset = Int(text), offset >= 0, object.count == 1 {
            self = .offset(offset)
        } else {
            return nil
        }
    }

    /// The offset this cursor gives, or nil when it is a position among sessions.
    package var offset: Int? {
        if case .offset(let offset) = self { offset } else { nil }
    }
}
