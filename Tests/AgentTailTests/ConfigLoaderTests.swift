import Foundation
import Testing

@testable import AgentTail

struct ConfigLoaderTests {
    let loader = ConfigLoader(environment: ["HOME": "/home/tester", "LOG_DIR": "/var/log/agent"], defaultHost: "box")

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try loader.load(text: text, file: "/etc/agenttail.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func minimalConfigGetsDefaults() throws {
        let config = try loader.load(
            text: """
                sources:
                  - name: mini-agent
                    paths: ["~/.mini-agent/log/agent_run_*.log"]
                """, file: "/etc/agenttail.yaml")
        #expect(config.host == "box")
        #expect(config.sources[0].paths == ["/home/tester/.mini-agent/log/agent_run_*.log"])
        #expect(config.sources[0].rules == .builtin("mini-agent"))
        #expect(config.sources[0].startAt == .beginning)
        #expect(config.state.path == "/home/tester/.agenttail/state.sqlite")
        #expect(config.sinks.local?.path == "/home/tester/.agenttail/events.sqlite")
    }

    @Test func environmentAndRelativePathsExpand() throws {
        let config = try loader.load(
            text: """
                sources:
                  - name: a
                    paths: ${LOG_DIR}/*.log
                    start_at: end
                    session_timeout: 90s
                state:
                  path: ${STATE_DIR:-state}/s.sqlite
                sinks:
                  local:
                    path: out.sqlite
                """, file: "/etc/agenttail/config.yaml")
        #expect(config.sources[0].paths == ["/var/log/agent/*.log"])
        #expect(config.sources[0].startAt == .end)
        #expect(config.sources[0].sessionTimeout == .seconds(90))
        #expect(config.state.path == "/etc/agenttail/state/s.sqlite")
        #expect(config.sinks.local?.path == "/etc/agenttail/out.sqlite")
    }

    @Test func rulesFileIsResolvedFromTheConfigFolderAndMustBeReadable() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-rules-\(UUID())").path
        try FileManager.default.createDirectory(atPath: "\(folder)/rules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "agent: x\n".write(toFile: "\(folder)/rules/custom.yaml", atomically: true, encoding: .utf8)
        let text = """
            sources:
              - name: a
                paths: /x/*.log
                rules: rules/custom.yaml
            """
        let config = try loader.load(text: text, file: "\(folder)/config.yaml")
        #expect(config.sources[0].rules == .file("\(folder)/rules/custom.yaml"))
        #expect(throws: ConfigError.invalid(
            file: "/etc/agenttail/config.yaml", line: 4, column: 12, keyPath: "sources[0].rules",
            message: "cannot read the rules file /etc/agenttail/rules/custom.yaml: no such file")) {
            try loader.load(text: text, file: "/etc/agenttail/config.yaml")
        }
    }

    @Test func typoedKeyNamesLocationAndSuggestion() {
        let error = error(
            """
            sources:
              - name: a
                pathz: ["/x/*.log"]
            """)
        #expect(
            error?.description
                == "/etc/agenttail.yaml:3:5: error: sources[0].pathz: unknown key 'pathz'; did you mean 'paths'?")
    }

    @Test func everyProblemOfTheFileIsReportedInItsOrder() {
        let error = error(
            """
            colour: blue
            sources:
              - name: a
                pathz: ["/x/*.log"]
            state:
              outbox_limit: -3
            tailing:
              poll_interval: fast
              watcher: kqueue
            """)
        #expect(
            error?.description.split(separator: "\n").map(String.init) == [
                "/etc/agenttail.yaml:1:1: error: colour: unknown key 'colour'; expected one of host, sources, state, "
                    + "tailing, sinks, redaction, delivery, watch_rules, allow_inline_secrets, pricing, report, "
                    + "metrics, resources",
                "/etc/agenttail.yaml:4:5: error: sources[0].pathz: unknown key 'pathz'; did you mean 'paths'?",
                "/etc/agenttail.yaml:6:17: error: state.outbox_limit: must be at least 1, got -3",
                "/etc/agenttail.yaml:8:18: error: tailing.poll_interval: expected a duration such as 500ms, 30s, 10m "
                    + "or 1h, got 'fast'",
                "/etc/agenttail.yaml:9:12: error: tailing.watcher: expected one of auto, inotify, polling, got 'kqueue'",
            ])
    }

    @Test func aFileWithManyProblemsShowsTheFirstTwentyAndCountsTheRest() {
        let text = (1...25).map { "unknown\($0): x" }.joined(separator: "\n") + "\nsources: [{name: a, paths: /x}]"
        let lines = error(text)?.description.split(separator: "\n") ?? []
        #expect(lines.count == 21)
        #expect(lines.first?.hasPrefix("/etc/agenttail.yaml:1:1: error: unknown1: unknown key 'unknown1'") == true)
        #expect(lines.last == "... and 5 more errors")
    }

    @Test func theAgentProcessIsTheBuiltInPacksOwnUnlessTheSourceNamesIt() throws {
        let config = try loader.load(
            text: """
                sources:
                  - {name: a, paths: /a/*.log}
                  - {name: b, paths: /b/*.jsonl, rules: builtin:claude-code, process: {measure: false}}
                  - {name: c, paths: /c/*.log, process: {command: my-agent}}
                resources: {rate: 10}
                """, file: "/etc/agenttail.yaml")
        #expect(config.sources.map(\.processCommand) == ["mini-agent", "claude", "my-agent"])
        #expect(config.sources.map(\.measureTools) == [true, false, true])
        #expect(config.resources.rate == 10)
        #expect(
            error("sources: [{name: a, paths: /a}]\nresources: {rate: 500}\n")?.description
                == "/etc/agenttail.yaml:2:19: error: resources.rate: readings per second, from 1 to 100 (20 by default)")
    }

    @Test func metricsListenOnLoopbackUnlessRemoteIsAllowed() throws {
        let head = "sources: [{name: a, paths: /x}]\n"
        let config = try loader.load(
            text: head + "metrics:\n  listen: 127.0.0.1:9464\n  health: {delivery_within: 2m}\n", file: "/etc/agenttail.yaml")
        #expect(config.metrics?.host == "127.0.0.1" && config.metrics?.port == 9464)
        #expect(
            config.metrics?.health.deliveryWithin == .seconds(120) && config.metrics?.health.readingWithin == .seconds(60))
        #expect(try loader.load(text: head, file: "/etc/agenttail.yaml").metrics == nil)
        #expect(try loader.load(text: head + "metrics: {listen: '[::1]:9464'}\n", file: "/f").metrics?.host == "::1")
        #expect(
            error(head + "metrics: {listen: 10.0.0.5:9464}\n")?.description.hasPrefix(
                "/etc/agenttail.yaml:2:19: error: metrics.listen: 10.0.0.5 is reachable from other machines") == true)
        let remote = try loader.load(
            text: head + "metrics: {listen: 0.0.0.0:9464, allow_remote: true}\n", file: "/etc/agenttail.yaml")
        #expect(remote.metrics?.host == "0.0.0.0")
        #expect(
            error(head + "metrics: {listen: localhost}\n")?.description
                == "/etc/agenttail.yaml:2:19: error: metrics.listen: expected HOST:PORT, such as 127.0.0.1:9464")
    }

    /// Both batch windows: their default, 0s to turn them off, and the bound that keeps latency sane.
    @Test(arguments: [
        ("tailing", Duration.milliseconds(10), "5s", "must be at most 1s (it delays every row)"),
        ("delivery", Duration.milliseconds(100), "1m", "must be at most 10s (it delays every row)"),
    ])
    func batchWindowHasADefaultAndABound(section: String, byDefault: Duration, tooLong: String, message: String) throws {
        func window(_ config: AgentTailConfig) -> Duration {
            section == "tailing" ? config.tailing.batchWindow : config.delivery.batchWindow
        }
        let head = "sources:\n  - name: a\n    paths: [\"/x/*.log\"]\n"
        #expect(window(try loader.load(text: head, file: "/etc/agenttail.yaml")) == byDefault)
        #expect(window(try loader.load(text: head + "\(section):\n  batch_window: 0s\n", file: "/etc/agenttail.yaml")) == .zero)
        #expect(
            error(head + "\(section):\n  batch_window: \(tooLong)\n")?.description
                == "/etc/agenttail.yaml:5:17: error: \(section).batch_window: \(message)")
    }

    @Test func watchRulesListsTheRulesFilesOfTheSources() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-watch-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "name: a\n".write(toFile: "\(folder)/a.yaml", atomically: true, encoding: .utf8)
        let text = """
            watch_rules: true
            sources:
              - {name: a, paths: ["/x/*.log"], rules: \(folder)/a.yaml}
              - {name: b, paths: ["/y/*.log"], rules: \(folder)/a.yaml}
              - {name: c, paths: ["/z/*.log"]}
            """
        let config = try loader.load(text: text, file: "/etc/agenttail.yaml")
        #expect(config.watchRules)
        #expect(config.ruleFiles == ["\(folder)/a.yaml"])
        #expect(
            error("watch_rules: maybe\n" + text.split(separator: "\n").dropFirst().joined(separator: "\n"))?.description
                == "/etc/agenttail.yaml:1:14: error: watch_rules: expected true or false, got 'maybe'")
    }

    @Test func reportSectionReadsSupabaseWithItsOwnCredentialsOrTheSinks() throws {
        let loader = ConfigLoader(
            environment: ["KEY": "sb_publishable_abc", "TOKEN": "eyJ.x.y", "SECRET": "sb_secret_xyz"], defaultHost: "box")
        let own = try loader.load(
            text: """
                sources: [{name: a, paths: /logs/*.log}]
                report:
                  baseline: 14d
                  supabase: {url: "https://p.supabase.co/", api_key: "${KEY}", access_token: "${TOKEN}"}
                """, file: "/etc/agenttail.yaml")
        #expect(own.report.baseline == .seconds(14 * 86_400))
        #expect(own.report.supabase?.url == "https://p.supabase.co")
        #expect(own.report.supabase?.apiKey.value == "sb_publishable_abc")
        #expect(own.report.supabase?.accessToken?.value == "eyJ.x.y")
        let sinks = try loader.load(
            text: """
                sources: [{name: a, paths: /logs/*.log}]
                sinks: {supabase: {url: "https://p.supabase.co", secret_key: "${SECRET}"}}
                """, file: "/etc/agenttail.yaml")
        #expect(sinks.report.baseline == .seconds(7 * 86_400))
        #expect(sinks.report.supabase?.apiKey.value == "sb_secret_xyz")
        #expect(sinks.report.supabase?.accessToken == nil)
        let short = error("sources: [{name: a, paths: /logs/*.log}]\nreport: {baseline: 2h}\n")
        #expect(short?.description.contains("must be at least 1d") == true)
        let typo = error("sources: [{name: a, paths: /logs/*.log}]\nreport: {supabase: {url: https://p.co, apikey: x}}\n")
        #expect(typo?.description.contains("did you mean 'api_key'") == true)
    }

    @Test func wrongTypeNamesLocation() {
        let error = error(
            """
            sources:
              - name: a
                paths: ["/x/*.log"]
            state:
              outbox_limit: lots
            """)
        #expect(error?.description == "/etc/agenttail.yaml:5:17: error: state.outbox_limit: expected a whole number, got 'lots'")
        let listError = self.error(
            """
            sources:
              name: a
            """)
        #expect(listError?.description == "/etc/agenttail.yaml:2:3: error: sources: expected a list, got a mapping")
    }

    @Test func missingRequiredKey() {
        let error = error(
            """
            sources:
              - paths: ["/x/*.log"]
            """)
        #expect(error?.description == "/etc/agenttail.yaml:2:5: error: sources[0]: missing required key 'name'")
    }

    @Test func missingEnvironmentVariable() {
        let error = error(
            """
            sources:
              - name: a
                paths: ["${NOT_SET_ANYWHERE}/*.log"]
            """)
        #expect(
            error?.description
                == "/etc/agenttail.yaml:3:13: error: sources[0].paths[0]: environment variable NOT_SET_ANYWHERE is not set; export it or write ${NOT_SET_ANYWHERE:-default}"
        )
    }

    @Test func yamlSyntaxErrorHasLocation() {
        let error = error("sources: [unclosed\n")
        guard case .syntax(let file, let line, _, _)? = error else {
            Issue.record("expected a syntax error, got \(String(describing: error))")
            return
        }
        #expect(file == "/etc/agenttail.yaml")
        #expect(line == 2)
    }

    @Test func unknownBuiltinRules() {
        let error = error(
            """
            sources:
              - name: a
                paths: ["/x/*.log"]
                rules: builtin:nope
            """)
        #expect(error?.description == "/etc/agenttail.yaml:4:12: error: sources[0].rules: no built-in rule pack 'nope'; available: builtin:mini-agent, builtin:claude-code, builtin:codex, builtin:gemini-cli")
    }
}

struct RulePackLoaderTests {
    @Test func aBuiltinPackThatDoesNotExistIsNamedWithTheOnesThatDo() {
        func message(_ name: String) -> String? {
            do {
                _ = try RulePackLoader.load(.builtin(name))
                return nil
            } catch {
                return error.description
            }
        }
        let available = "the built-in ones are builtin:mini-agent, builtin:claude-code, builtin:codex, builtin:gemini-cli"
        #expect(message("zed") == "builtin:zed: error: there is no built-in rule pack 'zed'; \(available)")
        #expect(message("minagent") == "builtin:minagent: error: there is no built-in rule pack 'minagent' "
            + "(did you mean 'builtin:mini-agent'?); \(available)")
        #expect(message("claude") == "builtin:claude: error: there is no built-in rule pack 'claude' "
            + "(did you mean 'builtin:claude-code'?); \(available)")
        #expect(message("mini-agent") == nil)
    }

    func compile(_ text: String) -> ConfigError? {
        do {
            _ = try RulePackLoader.compile(text: text, file: "rules.yaml")
            return nil
        } catch {
            return error
        }
    }

    static let base = """
        name: t
        framing:
          start: ['^\\[(?<type>[A-Z]+)\\]$']
        timestamp: { json: '$.ts', format: iso8601 }
        records:
          - when: { type: A }
            emit: tool_result
            fields: { tool_name: '$.name' }
        """

    @Test func basePackCompiles() {
        #expect(compile(Self.base) == nil)
    }

    @Test func invalidRegexNamesPatternAndLocation() throws {
        let error = try #require(compile(Self.base.replacingOccurrences(of: "'^\\[(?<type>[A-Z]+)\\]$'", with: "'^[(unclosed'")))
        #expect(error.description.hasPrefix("rules.yaml:3:11: error: framing.start[0]: invalid regex '^[(unclosed': "))
    }

    @Test func unknownColumnIsRejected() throws {
        let error = try #require(compile(Self.base.replacingOccurrences(of: "tool_name:", with: "tool_nmae:")))
        #expect(error.description.contains("unknown key 'tool_nmae'; did you mean 'tool_name'?"))
        #expect(error.description.hasPrefix("rules.yaml:8:15:"))
    }

    @Test func badJSONPathIsRejected() throws {
        let error = try #require(compile(Self.base.replacingOccurrences(of: "'$.name'", with: "'$.name['")))
        #expect(error.description.contains("invalid JSON path '$.name['"))
    }

    @Test func captureMustExist() throws {
        let error = try #require(compile(Self.base.replacingOccurrences(of: "{ type: A }", with: "{ kind: A }")))
        #expect(error.description.contains("'kind' is neither a JSON path"))
    }

    @Test func builtinPackLoads() throws {
        let pack = try RulePackLoader.load(.builtin("mini-agent"))
        #expect(pack.records.map(\.kind) == [.llmRequest, .llmResponse, .toolResult])
        #expect(pack.category(ofTool: "bash") == "shell")
        #expect(pack.category(ofTool: "mcp_github_search") == "mcp")
        #expect(pack.category(ofTool: "whatever") == "other")
    }
}

struct SupabaseConfigTests {
    let loader = ConfigLoader(environment: ["HOME": "/h", "SUPABASE_URL": "https://abcd.supabase.co/", "KEY": "sekrit"])

    @Test func supabaseSectionReadsFromEnvironmentAndHidesTheKey() throws {
        let config = try loader.load(
            text: """
                sources: [{name: a, paths: [/x/*.log]}]
                sinks:
                  supabase:
                    url: ${SUPABASE_URL}
                    service_role_key: ${KEY}
                    batch_size: 200
                """, file: "/c.yaml")
        let supabase = try #require(config.sinks.supabase)
        #expect(supabase.url == "https://abcd.supabase.co")
        #expect(supabase.key.value.value == "sekrit")
        #expect("\(supabase.key.value)" == "<redacted>")
        #expect(!"\(supabase)".contains("sekrit"))
        #expect(supabase.batchSize == 200)
        #expect(config.sinks.local == nil)
        #expect(config.sinks.names == ["supabase"])
    }

    @Test func badURLIsReportedAtItsPlace() {
        #expect(throws: ConfigError.invalid(
            file: "/c.yaml", line: 4, column: 10, keyPath: "sinks.supabase.url",
            message: "expected the project URL, such as https://abcd.supabase.co, got 'abcd.supabase.co'")) {
            _ = try loader.load(
                text: """
                    sources: [{name: a, paths: [/x/*.log]}]
                    sinks:
                      supabase:
                        url: abcd.supabase.co
                        service_role_key: ${KEY}
                    """, file: "/c.yaml")
        }
    }
}

struct LangfuseConfigTests {
    @Test func langfuseSectionWithDefaultsAndSizes() throws {
        let loader = ConfigLoader(environment: ["HOME": "/h", "LANGFUSE_SECRET_KEY": "sk-lf-1"])
        let config = try loader.load(
            text: """
                sources: [{name: a, paths: [/x/*.log]}]
                sinks:
                  langfuse:
                    host: ${LANGFUSE_HOST:-http://localhost:3000}
                    public_key: pk-lf-1
                    secret_key: ${LANGFUSE_SECRET_KEY}
                    max_request_bytes: 3.5MiB
                """, file: "/c.yaml")
        let langfuse = try #require(config.sinks.langfuse)
        #expect(langfuse.host == "http://localhost:3000")
        #expect(langfuse.maxRequestBytes == 3_670_016)
        #expect("\(langfuse.secretKey)" == "<redacted>")
        #expect(config.sinks.names == ["langfuse"])
    }
}

struct CredentialConfigTests {
    let loader = ConfigLoader(environment: ["HOME": "/h", "KEY": "from-env"])

    func supabase(_ key: String, extra: String = "") throws(ConfigError) -> SupabaseSinkConfig? {
        try loader.load(
            text: """
                sources: [{name: a, paths: [/x/*.log]}]
                \(extra)
                sinks:
                  supabase:
                    url: https://abcd.supabase.co
                    service_role_key: \(key)
                """, file: "/c.yaml"
        ).sinks.supabase
    }

    /// The current secret key goes in `apikey` alone, a legacy JWT in both headers; giving both, or a key that
    /// cannot write, is refused where it is written, with the key to give instead.
    @Test func supabaseKeyKindsAreToldApartAndWrongOnesRefused() throws {
        func load(_ keys: String, _ environment: [String: String]) throws(ConfigError) -> SupabaseSinkConfig? {
            try ConfigLoader(environment: environment).load(
                text: "sources: [{name: a, paths: [/x/*.log]}]\nsinks:\n  supabase:\n    url: https://abcd.supabase.co\n"
                    + keys, file: "/c.yaml"
            ).sinks.supabase
        }
        let jwt = { (role: String) in
            "eyJhbGciOiJIUzI1NiJ9." + Data(#"{"role":"\#(role)","iss":"supabase"}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "") + ".c2ln"
        }
        let secret = try #require(try load("    secret_key: ${K}\n", ["K": "sb_secret_abc123"]))
        #expect(secret.key.kind == .secret && secret.key.field == "secret_key")
        let legacy = try #require(try load("    service_role_key: ${K}\n", ["K": jwt("service_role")]))
        #expect(legacy.key.kind == .legacyServiceRole && legacy.key.field == "service_role_key")
        let refused: [(keys: String, value: String, says: String)] = [
            ("    secret_key: ${K}\n    service_role_key: ${K}\n", "sb_secret_abc", "/c.yaml:6:23: error: sinks.supabase.service_role_key: give secret_key or service_role_key, not both"),
            ("    secret_key: ${K}\n", "sb_publishable_abc", "/c.yaml:5:17: error: sinks.supabase.secret_key: this is the project's publishable key"),
            ("    service_role_key: ${K}\n", jwt("anon"), "/c.yaml:5:23: error: sinks.supabase.service_role_key: this is a JWT for the 'anon' role"),
        ]
        for (keys, value, says) in refused {
            do throws(ConfigError) {
                _ = try load(keys, ["K": value])
                Issue.record("accepted \(keys)")
            } catch {
                #expect(error.description.hasPrefix(says), "\(error.description)")
                #expect(!error.description.contains(value))
            }
        }
        do throws(ConfigError) {
            _ = try load("", [:])
            Issue.record("accepted a sink without a key")
        } catch {
            #expect(error.description.contains("secret_key"), "\(error.description)")
        }
    }

    @Test func credentialWrittenInTheFileIsRefusedWithoutEchoingIt() {
        for written in ["eyJhbGciOiJIUzI1NiJ9.planted", "${UNSET:-eyJhbGciOiJIUzI1NiJ9.planted}"] {
            do throws(ConfigError) {
                _ = try supabase(written)
                Issue.record("accepted \(written)")
            } catch {
                #expect(error.description.contains("/c.yaml:6:23: error: sinks.supabase.service_role_key: refusing"))
                #expect(error.description.contains("service_role_key: ${SUPABASE_SERVICE_ROLE_KEY}"))
                #expect(!error.description.contains("planted"))
            }
        }
    }

    @Test func credentialFromEnvironmentFileOrExplicitlyAllowed() throws {
        #expect(try supabase("${KEY}")?.key.value.value == "from-env")
        #expect(try supabase("Bearer-${KEY}")?.key.value.value == "Bearer-from-env")
        #expect(try supabase("inline-key", extra: "allow_inline_secrets: true")?.key.value.value == "inline-key")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("agenttail-key-\(UUID())").path
        try "from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try supabase("{file: \(file)}")?.key.value.value == "from-file")
        #expect(throws: ConfigError.self) { try supabase("{file: /nonexistent/key}") }
    }

    @Test func otlpCredentialHeadersMustComeFromOutsideOtherHeadersNeedNot() throws {
        let text = """
            sources: [{name: a, paths: [/x/*.log]}]
            sinks:
              otlp:
                endpoint: http://localhost:4318/v1/traces
                headers:
                  X-Scope-OrgID: tenant-1
                  Authorization: %@
            """
        let config = try loader.load(text: text.replacingOccurrences(of: "%@", with: "Basic ${KEY}"), file: "/c.yaml")
        #expect(config.sinks.otlp?.headers.map(\.value.value) == ["tenant-1", "Basic from-env"])
        #expect(throws: ConfigError.self) {
            try loader.load(text: text.replacingOccurrences(of: "%@", with: "Basic dXNlcjpwdw=="), file: "/c.yaml")
        }
    }

    @Test func redactionSectionAddsPatternsAndDisablesKinds() throws {
        let config = try loader.load(
            text: """
                sources: [{name: a, paths: [/x/*.log]}]
                redaction:
                  disable: [url_password]
                  patterns:
                    - {name: employee, regex: 'EMP-[0-9]{6}'}
                """, file: "/c.yaml")
        #expect(!config.redaction.kinds.contains(.urlPassword) && config.redaction.kinds.contains(.jwt))
        #expect(config.redaction.patterns.map(\.name) == ["employee"])
        #expect(throws: ConfigError.self) {
            try loader.load(
                text: """
                    sources: [{name: a, paths: [/x/*.log]}]
                    redaction: {patterns: [{name: bad, regex: '(unclosed'}]}
                    """, file: "/c.yaml")
        }
    }
}
