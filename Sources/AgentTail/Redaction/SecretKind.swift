/// The secrets agenttail recognizes on its own, each masked with a marker that names it.
package enum SecretKind: String, Sendable, CaseIterable, Hashable {
    /// Provider API keys with a known prefix: `sk-...` (OpenAI, Anthropic's `sk-ant-...`, Langfuse's `sk-lf-...`,
    /// MiniMax's), GitHub tokens (`ghp_...`, `github_pat_...`), Slack (`xoxb-...`), Google (`AIza...`, OAuth `ya29.`,
    /// `GOCSPX-`), Hugging Face (`hf_`), npm (`npm_`), PyPI (`pypi-`), Stripe (`sk_live_`, `rk_test_`...), Supabase
    /// (`sb_secret_`), Docker (`dckr_pat_`) and Azure AD client secrets (`...8Q~...`).
    case apiKey = "api_key"
    /// JSON Web Tokens: three base64url segments, the first starting with `eyJ`.
    case jwt
    /// The token after `Bearer `.
    case bearerToken = "bearer_token"
    /// AWS access key ids (`AKIA...`, `ASIA...`).
    case awsAccessKey = "aws_access_key"
    /// The password of `scheme://user:password@host`.
    case urlPassword = "url_password"
    /// PEM private key blocks, from `-----BEGIN ... PRIVATE KEY-----` to the matching END line, and the private
    /// lines of PuTTY key files.
    case privateKey = "private_key"
    /// The value given to a name such as `OPENAI_API_KEY`, `GITHUB_TOKEN`, `client_secret`, `_authToken` or
    /// `X-Api-Key` with `=` or `:`, in shell, env files, YAML, JSON, TOML, INI, HTTP headers, URL queries and
    /// connection strings.
    case secretAssignment = "secret_assignment"
    /// The argument after a secret's name on a command line: `--password VALUE`, `set aws_secret_access_key VALUE`,
    /// and the options by which known tools take a password (`mysql -pVALUE`, `sshpass -p VALUE`,
    /// `curl -u user:VALUE`).
    case secretArgument = "secret_argument"
    /// The provider formats of the detect-secrets rule set (`Resources/secrets/provider-rules.json`), each masked
    /// with its own name (`[REDACTED:stripe_access_key]`).
    case providerFormats = "provider_formats"

    /// This kind's bit in a `SecretKind.Mask`.
    var bit: UInt16 {
        switch self {
        case .apiKey: return 1 << 0
        case .jwt: return 1 << 1
        case .bearerToken: return 1 << 2
        case .awsAccessKey: return 1 << 3
        case .urlPassword: return 1 << 4
        case .privateKey: return 1 << 5
        case .secretAssignment: return 1 << 6
        case .secretArgument: return 1 << 7
        case .providerFormats: return 1 << 8
        }
    }

    /// A set of kinds as bits, tested without hashing for every candidate a scan meets.
    struct Mask: Sendable {
        let bits: UInt16

        init(_ kinds: Set<SecretKind>) {
            bits = kinds.reduce(0) { $0 | $1.bit }
        }

        @inline(__always)
        func contains(_ kind: SecretKind) -> Bool { bits & kind.bit != 0 }
    }

    /// The text that replaces a secret of this kind.
    package var marker: String { Self.marker(rawValue) }

    /// The text that replaces a secret found by the rule named `name`.
    package static func marker(_ name: String) -> String { "[REDACTED:\(name)]" }

    /// Every marker starts with this, so already masked values are left alone.
    package static let markerPrefix = "[REDACTED:"
}
