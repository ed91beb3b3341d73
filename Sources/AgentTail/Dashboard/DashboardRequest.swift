import Foundation

/// One request to the dashboard: its path split into segments and its query, both percent-decoded.
package struct DashboardRequest: Sendable {
    package var method: String
    package var path: [String]
    package var query: [String: String]
    /// Header values by lowercase name.
    package var headers: [String: String]
    /// Whether the page asked only for its main part (a live update).
    package var partial: Bool { headers["x-agenttail-partial"] == "1" }

    package init(method: String, uri: String, headers: [String: String]) {
        self.method = method
        self.headers = headers
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = (parts.first ?? "").split(separator: "/").map { Self.decode(String($0)) }
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = Self.decode(String(halves[0]))
                let value = halves.count > 1 ? Self.decode(String(halves[1])) : ""
                if !name.isEmpty, !value.trimmingCharacters(in: .whitespaces).isEmpty { query[name] = value }
            }
        }
        self.query = query
    }

    /// `+` as a space, then percent escapes; text that is not valid UTF-8 once decoded is kept as written.
    static func decode(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// `text` escaped for a path segment or a query value.
    package static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// A link to `path` with the query `items` (those with a value).
    package static func link(_ path: String, _ items: [(String, String?)] = []) -> String {
        let query = items.compactMap { name, value in value.map { "\(name)=\(encode($0))" } }
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }
}
