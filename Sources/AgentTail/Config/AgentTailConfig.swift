import Foundation

/// The whole configuration of one agenttail process, validated.
package struct AgentTailConfig: Sendable {
    /// The file the configuration was read from, for messages.
    package var file: String
    /// Host name used in event ids and rows; the machine's name unless set.
    package var host: String
    package var sources: [SourceConfig]
    package var state: StateConfig
    package var tailing: TailingConfig
    package var sinks: SinksConfig
    /// What is masked in rows before they reach the outbox.
    package var redaction: RedactionConfig = RedactionConfig()
    /// Prices of models, per million tokens, over those agenttail ships (`pricing:`).
    package var pricing: [String: ModelPrice] = [:]
    package var delivery = DeliveryConfig()
    /// Reload the rules when a rules file changes on disk, as on SIGHUP.
    package var watchRules = false
    /// How `agenttail report` compares and where else it may read (`report:`).
    package var report = ReportConfig()
    /// Where `/metrics` and `/healthz` are served (`metrics:`); nil serves nothing.
    package var metrics: MetricsConfig?
    /// How tool runs are measured (`resources:`).
    package var resources = ResourcesConfig()

    /// The rules files the sources use (built-in packs are not files to watch).
    package var ruleFiles: [String] {
        var files: [String] = []
        for source in sources {
            if case .file(let path) = source.rules, !files.contains(path) { files.append(path) }
        }
        return files
    }
}

/// How tool runs are measured (`resources:`).
package struct ResourcesConfig: Sendable, Equatable {
    /// Readings per second of the agent's process tree while a tool runs.
    package var rate: Double = 20

    package init() {}
}

/// How long each part of `run` may lag before `/healthz` (and systemd's watchdog, for tailing) calls it failing
/// (`metrics.health`).
package struct HealthBudgets: Sendable, Equatable {
    /// How long rows may wait for a sink before the sink counts as unhealthy.
    package var deliveryWithin: Duration = .seconds(300)
    /// How long a file may hold unread bytes without any being read before tailing counts as stuck.
    package var readingWithin: Duration = .seconds(60)

    package init() {}
}

/// The HTTP endpoint of `run` for Prometheus and health checks (`metrics:`).
package struct MetricsConfig: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var health = HealthBudgets()

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether `host` names this machine's loopback interface only.
    package static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// How `agenttail report` works: the baseline of its anomalies, and the Supabase project it reads with
/// `--source supabase`.
package struct ReportConfig: Sendable {
    /// How far before the period the baseline of the anomalies reaches.
    package var baseline: Duration = .seconds(7 * 86_400)
    /// Where `--source supabase` reads: `report.supabase`, or else the Supabase sink with its own key.
    package var supabase: SupabaseReadConfig?

    package init() {}
}

/// A Supabase project read through its Data API.
package struct SupabaseReadConfig: Sendable {
    package var url: String
    /// The project's key for the `apikey` header: its publishable (or legacy anon) key, or its secret key.
    package var apiKey: Secret
    /// A user's access token (a JWT of role `authenticated`), sent as the bearer token: rows are read as that user,
    /// under row-level security. Without one, a JWT `apiKey` is its own bearer token.
    package var accessToken: Secret?
    package var timeout: Duration = .seconds(30)
    package var tls = TLSSettings()

    package init(url: String, apiKey: Secret, accessToken: Secret? = nil) {
        self.url = url
        self.apiKey = apiKey
        self.accessToken = accessToken
    }
}

/// How rows leave the outbox for the sinks that read it.
package struct DeliveryConfig: Sendable {
    /// How long rows are gathered after a commit before a delivery round starts: one request then carries what a
    /// burst of commits added, instead of one request each. Zero delivers at once.
    package var batchWindow: Duration = .milliseconds(100)

    package init() {}
}

/// Secret masking, applied to every row before it is stored in the outbox.
package struct RedactionConfig: Sendable {
    /// The built-in detectors in use; all of them unless some are disabled.
    package var kinds: Set<SecretKind> = Set(SecretKind.allCases)
    /// Provider rules turned off by name (`stripe_access_key`), the rest of the provider formats staying on.
    package var disabledRules: Set<String> = []
    /// The user's own patterns, applied after the built-in ones.
    package var patterns: [RedactionPattern] = []

    package init() {}

    package var redactor: Redactor { Redactor(kinds: kinds, disabledRules: disabledRules, patterns: patterns) }
}

/// One set of log files parsed with one rule pack.
package struct SourceConfig: Sendable {
    /// Where a file never seen before is first read from.
    package enum StartPosition: String, Sendable {
        case beginning, end
    }

    package var name: String
    /// Absolute glob patterns (`~` already expanded).
    package var paths: [String]
    /// Absolute glob patterns of files to leave alone.
    package var exclude: [String]
    package var rules: RulesReference
    package var startAt: StartPosition
    /// How long a file may stay silent mid-run before its session is concluded (failed or abandoned).
    package var sessionTimeout: Duration
    /// Where the model name comes from when the log does not write it.
    package var model: ModelSource? = nil
    /// Part of the agent's command line, to find the process behind a log that no process holds open
    /// (`process.command`; for the built-in packs, the agent's own command by default).
    package var processCommand: String? = nil
    /// Whether tool runs followed live are measured (`process.measure`).
    package var measureTools = true

    /// The command line the built-in packs' agents run with.
    static func defaultCommand(for rules: RulesReference) -> String? {
        switch rules {
        case .builtin("mini-agent"): "mini-agent"
        case .builtin("claude-code"): "claude"
        default: nil
        }
    }
}

/// Where a rule pack comes from.
package enum RulesReference: Sendable, Hashable, CustomStringConvertible {
    /// A pack shipped inside agenttail, such as `builtin:mini-agent`.
    case builtin(String)
    /// A rules YAML file on disk.
    case file(String)

    package init(_ text: String) {
        if text.hasPrefix("builtin:") {
            self = .builtin(String(text.dropFirst("builtin:".count)))
        } else {
            self = .file(text)
        }
    }

    package var description: String {
        switch self {
        case .builtin(let name): return "builtin:\(name)"
        case .file(let path): return path
        }
    }
}

/// Where agenttail keeps its own state.
package struct StateConfig: Sendable {
    /// The SQLite file with checkpoints, parser state, outbox and dead letters.
    package var path: String
    /// Tailing pauses while the outbox holds more rows than this; the log files are the buffer.
    package var outboxLimit: Int
}

/// The enabled sinks; a sink is on when its section is present.
package struct SinksConfig: Sendable {
    package var local: LocalSinkConfig?
    package var supabase: SupabaseSinkConfig?
    package var langfuse: LangfuseSinkConfig?
    package var otlp: OTLPSinkConfig?

    package var isEmpty: Bool { local == nil && supabase == nil && langfuse == nil && otlp == nil }

    /// Names of the enabled sinks, in delivery order.
    package var names: [String] {
        (local == nil ? [] : ["local"]) + (supabase == nil ? [] : ["supabase"]) + (langfuse == nil ? [] : ["langfuse"])
            + (otlp == nil ? [] : ["otlp"])
    }
}

/// Any OTLP/HTTP trace endpoint as a sink, with OpenTelemetry's GenAI semantic conventions.
package struct OTLPSinkConfig: Sendable {
    /// The full traces URL, such as `http://localhost:4318/v1/traces`.
    package var endpoint: String
    /// Request headers, such as `Authorization`; values are treated as secrets.
    package var headers: [(name: String, value: Secret)] = []
    package var batchSpans: Int = 500
    package var maxRequestBytes: Int = 3_500_000
    package var maxAttributeBytes: Int = 256 << 10
    package var timeout: Duration = .seconds(30)
    package var tls = TLSSettings()
}

/// Langfuse as a sink, over OTLP/HTTP.
package struct LangfuseSinkConfig: Sendable {
    /// The Langfuse base URL, such as `https://cloud.langfuse.com` or `http://localhost:3000`.
    package var host: String
    package var publicKey: String
    package var secretKey: Secret
    /// The Langfuse session of every trace: nil for one session per run, else this fixed id (to group all runs of
    /// one machine or job).
    package var sessionID: String?
    /// The `user.id` of every trace (Langfuse's per-user cost and filters), when set.
    package var userID: String?
    /// Spans per export.
    package var batchSpans: Int = 500
    /// Bytes per export body, below what proxies in front of Langfuse accept.
    package var maxRequestBytes: Int = 3_500_000
    /// Longest input, output or message kept on a span; longer ones are cut with a visible marker.
    package var maxAttributeBytes: Int = 256 << 10
    /// How long one request may take.
    package var timeout: Duration = .seconds(30)
    package var tls = TLSSettings()
}

/// Supabase (PostgREST) as a sink.
package struct SupabaseSinkConfig: Sendable {
    /// The project URL, such as `https://abcd.supabase.co`.
    package var url: String
    /// The secret key, or a legacy service_role key.
    package var key: SupabaseKey
    /// Rows per request (each request holds rows of one table).
    package var batchSize: Int = 500
    /// Bytes per request body; a batch is cut earlier when it reaches this size.
    package var maxRequestBytes: Int = 1 << 20
    /// Longest text or JSON value sent; longer ones are cut with a visible marker.
    package var maxFieldBytes: Int = 256 << 10
    /// How long one request may take.
    package var timeout: Duration = .seconds(30)
    package var tls = TLSSettings()
}

/// How an HTTPS sink verifies the server. Certificates are always verified; a CA file adds trust roots for servers
/// signed by a private authority.
package struct TLSSettings: Sendable, Hashable {
    /// A PEM file of CA certificates trusted instead of the system's.
    package var caFile: String?

    package init(caFile: String? = nil) {
        self.caFile = caFile
    }
}

/// The embedded SQLite store.
package struct LocalSinkConfig: Sendable {
    package var path: String
}

/// How files are watched and read.
package struct TailingConfig: Sendable {
    package enum Watcher: String, Sendable {
        case auto, inotify, polling
    }

    package var watcher: Watcher = .auto
    /// Polling period when inotify is unavailable or turned off.
    package var pollInterval: Duration = .milliseconds(250)
    /// Period of the full rescan that catches anything notifications missed.
    package var rescanInterval: Duration = .seconds(30)
    /// Files kept open at once; idle files are closed and reopened when they change.
    package var maxOpenFiles: Int = 128
    /// Bytes read from a file per read call.
    package var readChunkSize: Int = 1 << 20
    /// How long changes are gathered after the first one before they are read: an agent writes an entry in several
    /// write() calls, and reading once after them all costs a fraction of reading after each. Zero reads at once.
    package var batchWindow: Duration = .milliseconds(10)

    package init() {}
}
