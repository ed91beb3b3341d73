import Foundation

/// The key the Supabase sink authenticates with, and how it is sent.
///
/// Supabase projects now have opaque keys: `sb_secret_...` (the service role's rights) and `sb_publishable_...`
/// (anonymous). An opaque key goes in the `apikey` header alone: the Data API's gateway maps it to its role and
/// ignores it as a bearer token, and Edge Functions refuse it there. The legacy keys are JWTs and go in both headers.
package struct SupabaseKey: Sendable {
    package enum Kind: Sendable, Equatable {
        /// `sb_secret_...`.
        case secret
        /// The legacy `service_role` JWT.
        case legacyServiceRole
    }

    package var kind: Kind
    package var value: Secret
    /// The configuration key it came from: `secret_key` or `service_role_key`.
    package var field: String

    /// How the key is named to the user: "a secret key" or "the legacy service_role key".
    package var kindDescription: String {
        switch kind {
        case .secret: return "a secret key (sb_secret_...)"
        case .legacyServiceRole: return "the legacy service_role key"
        }
    }

    /// A key of the kind the sink can write with, or the reason it cannot.
    package init(_ value: Secret, field: String) throws(KeyProblem) {
        self.value = value
        self.field = field
        let key = value.value
        if key.hasPrefix("sb_secret_") {
            kind = .secret
        } else if key.hasPrefix("sb_publishable_") {
            throw KeyProblem(
                message: "this is the project's publishable key, which may only read what anonymous visitors may; "
                    + "give its secret key (Project Settings → API Keys → Secret keys, sb_secret_...) as secret_key")
        } else if let role = Self.jwtRole(key), role != "service_role" {
            throw KeyProblem(
                message: "this is a JWT for the '\(role)' role, which cannot write agenttail's tables; give the "
                    + "project's secret key (Project Settings → API Keys → Secret keys, sb_secret_...) as secret_key, "
                    + "or its legacy service_role key (Project Settings → API Keys → Legacy API keys) as "
                    + "service_role_key")
        } else {
            // A service_role JWT, or a key of no known shape (a self-hosted gateway's): sent as legacy keys are.
            kind = .legacyServiceRole
        }
    }

    /// The `role` claim of a JWT, or nil when `token` is not one.
    private static func jwtRole(_ token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].hasPrefix("eyJ") else { return nil }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        guard let data = Data(base64Encoded: payload),
            let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return claims["role"] as? String ?? "anon"
    }

    /// Why a key cannot be used; the message says which key to give and where to find it.
    package struct KeyProblem: Error, Sendable {
        package var message: String
    }
}
