import Foundation

extension UUID {
    /// The namespace under which agenttail derives all of its deterministic ids.
    package static let agentTailNamespace = UUID(uuidString: "6F1C2A0E-3B7D-5E39-9A43-2B8C7D1E0F55")!

    /// A name-based version 5 UUID (RFC 9562, section 5.5): the same namespace and name always give the same id.
    package init(v5 name: String, namespace: UUID = .agentTailNamespace) {
        let ns = namespace.uuid
        var d = SHA1.digest(
            [ns.0, ns.1, ns.2, ns.3, ns.4, ns.5, ns.6, ns.7, ns.8, ns.9, ns.10, ns.11, ns.12, ns.13, ns.14, ns.15]
                + Array(name.utf8))
        d[6] = (d[6] & 0x0F) | 0x50
        d[8] = (d[8] & 0x3F) | 0x80
        self.init(uuid: (d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]))
    }

    /// The lower-case textual form used in every row and payload.
    package var lowercased: String { uuidString.lowercased() }
}
