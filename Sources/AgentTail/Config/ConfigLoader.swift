import Foundation
import Yams

/// Reads and validates `agenttail.yaml`.
package struct ConfigLoader: Sendable {
    package var expander: EnvironmentExpander
    /// Host name used when the file does not set `host`.
    package var defaultHost: String

    package init(environment: [String: String] = ProcessInfo.processInfo.environment, defaultHost: String? = nil) {
        self.expander = EnvironmentExpander(environment: environment)
        self.defaultHost = defaultHost ?? ProcessInfo.processInfo.hostName
    }

    /// Loads the configuration at `path`; relative paths inside it are taken relative to its folder.
    package func load(path: String) throws(ConfigError) -> AgentTailConfig {
        let expander = self.expander
        guard
            let root = try YAMLValue.load(path: path, expand: { text, value throws(ConfigError) in
                try expander.expand(text, at: value)
            })
        else {
            throw ConfigError.invalid(
                file: path, line: 1, column: 1, keyPath: "", message: "the file is empty; it needs at least 'sources'")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try decode(root, base: base)
    }

    /// Loads a configuration given as text, as if read from `file`.
    package func load(text: String, file: String) throws(ConfigError) -> AgentTailConfig {
        let expander = self.expander
        guard
            let root = try YAMLValue.parse(text, file: file, expand: { text, value throws(ConfigError) in
                try expander.expand(text, at: value)
            })
        else {
            throw ConfigError.invalid(
                file: file, line: 1, column: 1, keyPath: "", message: "the file is empty; it needs at least 'sources'")
        }
        return try decode(root, base: URL(fileURLWithPath: file).deletingLastPathComponent().path)
    }

    /// Validates an already parsed document; `base` resolves relative paths. Every problem found is reported at
    /// once (the first `ConfigError.shownProblems` of them): each part is checked even when one before it failed.
    package func decode(_ parsed: YAMLValue, base: String) throws(ConfigError) -> AgentTailConfig {
        let diagnostics = ConfigDiagnostics()
        var root = parsed
        root.diagnostics = diagnostics
        let top = try root.mapping(allowed: [
            "host", "sources", "state", "tailing", "sinks", "redaction", "delivery", "watch_rules",
            "allow_inline_secrets", "pricing", "report", "metrics", "resources",
        ])
        let host = diagnostics.attempt { () throws(ConfigError) in try top.optional("host")?.nonEmptyString() } ?? nil
        let allowInline =
            diagnostics.attempt { () throws(ConfigError) in try top.optional("allow_inline_secrets")?.bool() } ?? nil
        let secrets = SecretReader(expander: expander, base: base, allowInline: allowInline ?? false)

        var sources: [SourceConfig] = []
        if let sourceNodes = diagnostics.attempt({ () throws(ConfigError) in try top.required("sources").sequence() }) {
            if sourceNodes.isEmpty { diagnostics.add(top.owner.error("'sources' needs at least one source")) }
            for node in sourceNodes {
                guard let source = diagnostics.attempt({ () throws(ConfigError) in try decodeSource(node, base: base) })
                else { continue }
                if sources.contains(where: { $0.name == source.name }) {
                    diagnostics.add(node.error("two sources are named '\(source.name)'; names must be unique"))
                }
                sources.append(source)
            }
        }

        var state = StateConfig(path: absolute("~/.agenttail/state.sqlite", base: base), outboxLimit: 100_000)
        if let node = top.optional("state") {
            diagnostics.attempt { () throws(ConfigError) in
                let map = try node.mapping(allowed: ["path", "outbox_limit"])
                if let path = try map.optional("path")?.nonEmptyString() { state.path = absolute(path, base: base) }
                if let limit = try map.optional("outbox_limit")?.int(min: 1) { state.outboxLimit = limit }
            }
        }

        var tailing = TailingConfig()
        if let node = top.optional("tailing") {
            diagnostics.attempt { () throws(ConfigError) in tailing = try decodeTailing(node, diagnostics: diagnostics) }
        }

        var sinks = SinksConfig(local: nil)
        if let node = top.optional("sinks"),
            let map = diagnostics.attempt({ () throws(ConfigError) in
                try node.mapping(allowed: ["local", "supabase", "langfuse", "otlp"])
            })
        {
            if let local = map["local"] {
                var config = LocalSinkConfig(path: absolute("~/.agenttail/events.sqlite", base: base))
                diagnostics.attempt { () throws(ConfigError) in
                    if !local.isNull, let path = try local.mapping(allowed: ["path"]).optional("path")?.nonEmptyString() {
                        config.path = absolute(path, base: base)
                    }
                }
                sinks.local = config
            }
            if let supabase = map.optional("supabase") {
                sinks.supabase = diagnostics.attempt { () throws(ConfigError) in
                    try decodeSupabase(supabase, secrets: secrets)
                }
            }
            if let langfuse = map.optional("langfuse") {
                sinks.langfuse = diagnostics.attempt { () throws(ConfigError) in
                    try decodeLangfuse(langfuse, secrets: secrets)
                }
            }
            if let otlp = map.optional("otlp") {
                sinks.otlp = diagnostics.attempt { () throws(ConfigError) in try decodeOTLP(otlp, secrets: secrets) }
            }
        }
        if sinks.isEmpty {
            sinks.local = LocalSinkConfig(path: absolute("~/.agenttail/events.sqlite", base: base))
        }
        var config = AgentTailConfig(
            file: root.file, host: host ?? defaultHost, sources: sources, state: state, tailing: tailing, sinks: sinks)
        if let watch = diagnostics.attempt({ () throws(ConfigError) in try top.optional("watch_rules")?.bool() }) {
            config.watchRules = watch ?? false
        }
        if let node = top.optional("delivery") {
            diagnostics.attempt { () throws(ConfigError) in
                let map = try node.mapping(allowed: ["batch_window"])
                if let value = map.optional("batch_window") {
                    let window = try value.duration()
                    guard window <= .seconds(10) else { throw value.error("must be at most 10s (it delays every row)") }
                    config.delivery.batchWindow = window
                }
            }
        }
        if let node = top.optional("redaction") {
            diagnostics.attempt { () throws(ConfigError) in config.redaction = try decodeRedaction(node) }
        }
        if let node = top.optional("pricing") {
            diagnostics.attempt { () throws(ConfigError) in config.pricing = try decodePricing(node) }
        }
        if let node = top.optional("report") {
            diagnostics.attempt { () throws(ConfigError) in config.report = try decodeReport(node, secrets: secrets) }
        }
        if let node = top.optional("resources") {
            diagnostics.attempt { () throws(ConfigError) in
                let map = try node.mapping(allowed: ["rate"])
                if let value = map.optional("rate") {
                    let rate = Double(try value.string()) ?? 0
                    guard rate >= 1, rate <= 100 else {
                        throw value.error("readings per second, from 1 to 100 (20 by default)")
                    }
                    config.resources.rate = rate
                }
            }
        }
        if let node = top.optional("metrics") {
            diagnostics.attempt { () throws(ConfigError) in config.metrics = try decodeMetrics(node) }
        }
        try diagnostics.check()
        if config.report.supabase == nil, let sink = config.sinks.supabase {
            var read = SupabaseReadConfig(url: sink.url, apiKey: sink.key.value)
            read.tls = sink.tls
            read.timeout = sink.timeout
            config.report.supabase = read
        }
        return config
    }

    /// `tailing:`, each setting checked on its own.
    private func decodeTailing(_ node: YAMLValue, diagnostics: ConfigDiagnostics) throws(ConfigError) -> TailingConfig {
        var tailing = TailingConfig()
        let map = try node.mapping(allowed: [
            "watcher", "poll_interval", "rescan_interval", "max_open_files", "read_chunk_size", "batch_window",
        ])
        if let value = map.optional("watcher") {
            diagnostics.attempt { () throws(ConfigError) in
                tailing.watcher = TailingConfig.Watcher(rawValue: try value.oneOf(["auto", "inotify", "polling"]))!
            }
        }
        if let value = map.optional("poll_interval") {
            diagnostics.attempt { () throws(ConfigError) in tailing.pollInterval = try positive(value) }
        }
        if let value = map.optional("rescan_interval") {
            diagnostics.attempt { () throws(ConfigError) in tailing.rescanInterval = try positive(value) }
        }
        if let value = map.optional("max_open_files") {
            diagnostics.attempt { () throws(ConfigError) in tailing.maxOpenFiles = try value.int(min: 4, max: 65_536) }
        }
        if let value = map.optional("batch_window") {
            diagnostics.attempt { () throws(ConfigError) in
                let window = try value.duration()
                guard window <= .seconds(1) else { throw value.error("must be at most 1s (it delays every row)") }
                tailing.batchWindow = window
            }
        }
        if let value = map.optional("read_chunk_size") {
            diagnostics.attempt { () throws(ConfigError) in
                let size = try value.byteSize()
                guard size >= 4096 else { throw value.error("must be at least 4KiB") }
                tailing.readChunkSize = size
            }
        }
        return tailing
    }

    private func decodeReport(_ node: YAMLValue, secrets: SecretReader) throws(ConfigError) -> ReportConfig {
        let map = try node.mapping(allowed: ["baseline", "supabase"])
        var report = ReportConfig()
        if let value = map.optional("baseline") {
            report.baseline = try positive(value)
            guard report.baseline >= .seconds(86_400) else { throw value.error("must be at least 1d") }
        }
        if let supabaseNode = map.optional("supabase") {
            let supabase = try supabaseNode.mapping(allowed: ["url", "api_key", "access_token", "ca_file", "timeout"])
            var read = SupabaseReadConfig(
                url: try projectURL(supabase.required("url")),
                apiKey: try secrets.read(supabase.required("api_key"), suggesting: "${SUPABASE_PUBLISHABLE_KEY}"))
            if let token = supabase.optional("access_token") {
                read.accessToken = try secrets.read(token, suggesting: "${SUPABASE_ACCESS_TOKEN}")
            }
            read.tls = try tls(supabase, base: base(of: supabaseNode))
            if let value = supabase.optional("timeout") { read.timeout = try positive(value) }
            report.supabase = read
        }
        return report
    }

    /// `metrics: {listen: 127.0.0.1:9464, allow_remote: false, health: {delivery_within: 5m, reading_within: 1m}}`.
    private func decodeMetrics(_ node: YAMLValue) throws(ConfigError) -> MetricsConfig {
        let map = try node.mapping(allowed: ["listen", "allow_remote", "health"])
        let listenNode = try map.required("listen")
        let listen = try listenNode.nonEmptyString()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65_535).contains(port), colon != listen.startIndex
        else {
            throw listenNode.error("expected HOST:PORT, such as 127.0.0.1:9464")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let allowRemote = try map.optional("allow_remote")?.bool() ?? false
        guard allowRemote || MetricsConfig.isLoopback(host) else {
            throw listenNode.error(
                "\(host) is reachable from other machines, and metrics name files and sinks; listen on 127.0.0.1, "
                    + "or set 'allow_remote: true' if a firewall guards the port")
        }
        var metrics = MetricsConfig(host: host, port: port)
        if let healthNode = map.optional("health") {
            let health = try healthNode.mapping(allowed: ["delivery_within", "reading_within"])
            if let value = health.optional("delivery_within") { metrics.health.deliveryWithin = try positive(value) }
            if let value = health.optional("reading_within") { metrics.health.readingWithin = try positive(value) }
        }
        return metrics
    }

    /// `pricing: {model: {input: 3, output: 15, cache_read: 0.3, cache_write: 3.75}}`, US dollars per million.
    private func decodePricing(_ node: YAMLValue) throws(ConfigError) -> [String: ModelPrice] {
        guard case .mapping(let mapping) = node.node else {
            throw node.error("expected model names with their prices, such as 'MiniMax-M2: {input: 0.3, output: 1.2}'")
        }
        var prices: [String: ModelPrice] = [:]
        for (model, priceNode) in try node.mapping(allowed: mapping.keys.compactMap(\.string)).entries {
            let map = try priceNode.mapping(allowed: ["input", "output", "cache_read", "cache_write"])
            func dollars(_ key: String) throws(ConfigError) -> Double? {
                guard let value = map.optional(key) else { return nil }
                guard let number = Double(try value.string()), number.isFinite, number >= 0 else {
                    throw value.error("expected US dollars per million tokens, a number such as 0.3")
                }
                return number
            }
            guard let input = try dollars("input"), let output = try dollars("output") else {
                throw priceNode.error("a price needs 'input' and 'output' (US dollars per million tokens)")
            }
            prices[model] = ModelPrice(
                input: input, output: output, cacheRead: try dollars("cache_read"), cacheWrite: try dollars("cache_write"))
        }
        return prices
    }

    private func decodeRedaction(_ node: YAMLValue) throws(ConfigError) -> RedactionConfig {
        var redaction = RedactionConfig()
        let map = try node.mapping(allowed: ["disable", "patterns"])
        for item in try map.optional("disable")?.sequence(allowScalar: true) ?? [] {
            // A name can be a kind and a provider rule at once (`aws_access_key`, `private_key`): both go.
            let name = try item.oneOf(Array(Set(SecretKind.allCases.map(\.rawValue) + ProviderRules.builtIn.names)).sorted())
            if let kind = SecretKind(rawValue: name) { redaction.kinds.remove(kind) }
            redaction.disabledRules.insert(name)
        }
        for item in try map.optional("patterns")?.sequence() ?? [] {
            let pattern = try item.mapping(allowed: ["name", "regex"])
            let nameNode = try pattern.required("name")
            let name = try nameNode.nonEmptyString()
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_".contains($0) }) else {
                throw nameNode.error("use letters, digits, '-' or '_' in pattern names, got '\(name)'")
            }
            let regexNode = try pattern.required("regex")
            let source = try regexNode.nonEmptyString()
            do throws(RegexProblem) {
                redaction.patterns.append(try RedactionPattern(name: name, regex: source))
            } catch {
                throw regexNode.error(error.description)
            }
        }
        return redaction
    }

    private func decodeSource(_ node: YAMLValue, base: String) throws(ConfigError) -> SourceConfig {
        let map = try node.mapping(allowed: [
            "name", "paths", "exclude", "rules", "start_at", "session_timeout", "model", "process",
        ])
        let name = try map.required("name").nonEmptyString()
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw try map.required("name").error("use letters, digits, '-', '_' or '.' in source names, got '\(name)'")
        }
        let pathNodes = try map.required("paths").sequence(allowScalar: true)
        guard !pathNodes.isEmpty else { throw try map.required("paths").error("needs at least one path or glob") }
        var paths: [String] = []
        for pathNode in pathNodes {
            let pattern = absolute(try pathNode.nonEmptyString(), base: base)
            if let problem = Glob.problem(in: pattern) { throw pathNode.error(problem) }
            paths.append(pattern)
        }
        var exclude: [String] = []
        for excludeNode in try map.optional("exclude")?.sequence(allowScalar: true) ?? [] {
            exclude.append(absolute(try excludeNode.nonEmptyString(), base: base))
        }
        var rules = RulesReference.builtin("mini-agent")
        if let value = map.optional("rules") {
            let text = try value.nonEmptyString()
            rules = RulesReference(text)
            if case .file(let path) = rules {
                rules = .file(absolute(path, base: base))
                if case .file(let resolved) = rules, !FileManager.default.isReadableFile(atPath: resolved) {
                    let reason = FileManager.default.fileExists(atPath: resolved) ? "it is not readable" : "no such file"
                    throw value.error("cannot read the rules file \(resolved): \(reason)")
                }
            }
            if case .builtin(let builtin) = rules, !RulePackLoader.builtinNames.contains(builtin) {
                throw value.error(
                    "no built-in rule pack '\(builtin)'; available: "
                        + RulePackLoader.builtinNames.map { "builtin:\($0)" }.joined(separator: ", "))
            }
        }
        var startAt = SourceConfig.StartPosition.beginning
        if let value = map.optional("start_at") {
            startAt = SourceConfig.StartPosition(rawValue: try value.oneOf(["beginning", "end"]))!
        }
        var timeout = Duration.seconds(600)
        if let value = map.optional("session_timeout") { timeout = try positive(value) }
        var source = SourceConfig(
            name: name, paths: paths, exclude: exclude, rules: rules, startAt: startAt, sessionTimeout: timeout)
        if let value = map.optional("model") { source.model = try decodeModel(value, base: base) }
        source.processCommand = SourceConfig.defaultCommand(for: rules)
        if let value = map.optional("process") {
            let process = try value.mapping(allowed: ["command", "measure"])
            if let command = process.optional("command") { source.processCommand = try command.nonEmptyString() }
            if let measure = process.optional("measure") { source.measureTools = try measure.bool() }
        }
        return source
    }

    /// `model: MiniMax-M2`, or `model: {file: path or [paths], key: model}`.
    private func decodeModel(_ node: YAMLValue, base: String) throws(ConfigError) -> ModelSource {
        guard case .mapping = node.node else { return .fixed(try node.nonEmptyString()) }
        let map = try node.mapping(allowed: ["file", "key"])
        let fileNode = try map.required("file")
        let paths = try fileNode.sequence(allowScalar: true).map { path throws(ConfigError) in
            let text = try path.nonEmptyString()
            return text.hasPrefix("{workspace}") ? text : absolute(text, base: base)
        }
        guard !paths.isEmpty else { throw fileNode.error("needs at least one file") }
        return .file(paths: paths, key: try map.optional("key")?.nonEmptyString() ?? "model")
    }

    private func decodeSupabase(_ node: YAMLValue, secrets: SecretReader) throws(ConfigError) -> SupabaseSinkConfig {
        let map = try node.mapping(allowed: [
            "url", "secret_key", "service_role_key", "batch_size", "max_request_bytes", "max_field_bytes", "timeout",
            "ca_file",
        ])
        var config = SupabaseSinkConfig(
            url: try projectURL(map.required("url")), key: try supabaseKey(map, secrets: secrets))
        config.tls = try tls(map, base: base(of: node))
        if let value = map.optional("batch_size") { config.batchSize = try value.int(min: 1, max: 10_000) }
        if let value = map.optional("max_request_bytes") {
            config.maxRequestBytes = try value.byteSize()
            guard config.maxRequestBytes >= 64 << 10 else { throw value.error("must be at least 64KiB") }
        }
        if let value = map.optional("max_field_bytes") {
            config.maxFieldBytes = try value.byteSize()
            guard config.maxFieldBytes >= 1024 else { throw value.error("must be at least 1KiB") }
        }
        if let value = map.optional("timeout") { config.timeout = try positive(value) }
        config.maxFieldBytes = min(config.maxFieldBytes, config.maxRequestBytes / 4)
        return config
    }

    /// A Supabase project URL (http or https, with a host), without a trailing slash.
    private func projectURL(_ node: YAMLValue) throws(ConfigError) -> String {
        let url = try node.nonEmptyString()
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
            parsed.host != nil
        else {
            throw node.error("expected the project URL, such as https://abcd.supabase.co, got '\(url)'")
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// `secret_key` (the documented key), or `service_role_key` (a legacy JWT), never both; a key of the wrong
    /// kind is refused with the key to give instead.
    private func supabaseKey(_ map: YAMLMapping, secrets: SecretReader) throws(ConfigError) -> SupabaseKey {
        let current = map.optional("secret_key")
        let legacy = map.optional("service_role_key")
        if current != nil, let legacy {
            throw legacy.error("give secret_key or service_role_key, not both (secret_key is the current kind of key)")
        }
        let field = legacy == nil ? "secret_key" : "service_role_key"
        let node: YAMLValue
        if let legacy { node = legacy } else { node = try map.required("secret_key") }
        let reference = legacy == nil ? "${SUPABASE_SECRET_KEY}" : "${SUPABASE_SERVICE_ROLE_KEY}"
        let value = try secrets.read(node, suggesting: reference)
        do throws(SupabaseKey.KeyProblem) {
            return try SupabaseKey(value, field: field)
        } catch {
            throw node.error(error.message)
        }
    }

    private func decodeLangfuse(_ node: YAMLValue, secrets: SecretReader) throws(ConfigError) -> LangfuseSinkConfig {
        let map = try node.mapping(allowed: [
            "host", "public_key", "secret_key", "session_id", "user_id", "batch_spans", "max_request_bytes",
            "max_attribute_bytes",
            "timeout", "ca_file",
        ])
        let hostNode = try map.required("host")
        let host = try hostNode.nonEmptyString()
        guard let parsed = URL(string: host), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
            parsed.host != nil
        else {
            throw hostNode.error("expected the Langfuse URL, such as https://cloud.langfuse.com, got '\(host)'")
        }
        var config = LangfuseSinkConfig(
            host: host.hasSuffix("/") ? String(host.dropLast()) : host,
            publicKey: try map.required("public_key").nonEmptyString(),
            secretKey: try secrets.read(map.required("secret_key"), suggesting: "${LANGFUSE_SECRET_KEY}"))
        config.tls = try tls(map, base: base(of: node))
        if let value = map.optional("session_id") {
            let text = try value.nonEmptyString()
            config.sessionID = text == "run" ? nil : text
        }
        if let value = map.optional("user_id") { config.userID = try value.nonEmptyString() }
        if let value = map.optional("batch_spans") { config.batchSpans = try value.int(min: 1, max: 10_000) }
        if let value = map.optional("max_request_bytes") {
            config.maxRequestBytes = try value.byteSize()
            guard config.maxRequestBytes >= 64 << 10 else { throw value.error("must be at least 64KiB") }
        }
        if let value = map.optional("max_attribute_bytes") {
            config.maxAttributeBytes = try value.byteSize()
            guard config.maxAttributeBytes >= 1024 else { throw value.error("must be at least 1KiB") }
        }
        if let value = map.optional("timeout") { config.timeout = try positive(value) }
        config.maxAttributeBytes = min(config.maxAttributeBytes, config.maxRequestBytes / 8)
        return config
    }

    private func decodeOTLP(_ node: YAMLValue, secrets: SecretReader) throws(ConfigError) -> OTLPSinkConfig {
        let map = try node.mapping(allowed: [
            "endpoint", "headers", "batch_spans", "max_request_bytes", "max_attribute_bytes", "timeout", "ca_file",
        ])
        let endpointNode = try map.required("endpoint")
        let endpoint = try endpointNode.nonEmptyString()
        guard let parsed = URL(string: endpoint), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
            parsed.host != nil
        else {
            throw endpointNode.error("expected the traces URL, such as http://localhost:4318/v1/traces, got '\(endpoint)'")
        }
        var config = OTLPSinkConfig(endpoint: endpoint)
        config.tls = try tls(map, base: base(of: node))
        if let headers = map.optional("headers") {
            guard case .mapping(let mapping) = headers.node else { throw headers.error("expected a mapping of header names to values") }
            let names = Array(mapping.keys.compactMap(\.string))
            for (name, value) in try headers.mapping(allowed: names).entries {
                let credential = ["auth", "key", "token", "secret", "cookie", "password"].contains {
                    name.lowercased().contains($0)
                }
                let text = credential ? try secrets.read(value, suggesting: "${OTLP_AUTHORIZATION}") : Secret(try value.string())
                config.headers.append((name, text))
            }
        }
        if let value = map.optional("batch_spans") { config.batchSpans = try value.int(min: 1, max: 10_000) }
        if let value = map.optional("max_request_bytes") { config.maxRequestBytes = try value.byteSize() }
        if let value = map.optional("max_attribute_bytes") { config.maxAttributeBytes = try value.byteSize() }
        if let value = map.optional("timeout") { config.timeout = try positive(value) }
        config.maxAttributeBytes = max(1024, min(config.maxAttributeBytes, config.maxRequestBytes / 8))
        return config
    }

    private func tls(_ map: YAMLMapping, base: String) throws(ConfigError) -> TLSSettings {
        guard let node = map.optional("ca_file") else { return TLSSettings() }
        let path = absolute(try node.nonEmptyString(), base: base)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw node.error("cannot read the CA file \(path); give the path of a PEM file of CA certificates")
        }
        return TLSSettings(caFile: path)
    }

    private func base(of node: YAMLValue) -> String {
        URL(fileURLWithPath: node.file).deletingLastPathComponent().path
    }

    private func positive(_ value: YAMLValue) throws(ConfigError) -> Duration {
        let duration = try value.duration()
        guard duration > .zero else { throw value.error("must be longer than zero") }
        return duration
    }

    private func absolute(_ path: String, base: String) -> String {
        let expanded = expander.expandTilde(path)
        if expanded.hasPrefix("/") { return expanded }
        return URL(fileURLWithPath: base).appendingPathComponent(expanded).standardized.path
    }
}
