import Foundation
import Logging
import Testing

@testable import AgentTail

/// The forms a secret takes on command lines and in files, the provider formats of the rule set, and the text that
/// looks like a secret but must stay. The full corpus, by form and from tools' documentation, is measured in
/// Tests/Redaction.
struct SecretFormsTests {
    let redactor = Redactor()

    func masked(_ text: String) -> String { redactor.masked(text) }

    @Test(arguments: [
        (
            "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzKEY1",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzKEY1"
        ),
        ("mysql -u root -pS3cretPass1 shop", "S3cretPass1"),
        ("sshpass -p 'hunter2hunter2' ssh deploy@host", "hunter2hunter2"),
        ("docker login -u me -p Xy7pQ2mN9vB4 registry", "Xy7pQ2mN9vB4"),
        ("redis-cli -h cache -a r3disPassw0rd ping", "r3disPassw0rd"),
        ("curl -u admin:Adm1nPass https://x", "Adm1nPass"),
        ("helm repo add p https://c --password Chart5Pass!", "Chart5Pass!"),
        ("keytool -genkeypair -storepass Store9Pass -alias a", "Store9Pass"),
        ("npm config set //npm.example.com/:_authToken abcdefghij0123456789", "abcdefghij0123456789"),
        ("//registry.npmjs.org/:_authToken=0123456789abcdefABCDEF", "0123456789abcdefABCDEF"),
        (
            #"{"SecretAccessKey": "Zx9/qW8+eR7tY6uI5oP4aS3dF2gH1jK0lZ9xC8vB"}"#,
            "Zx9/qW8+eR7tY6uI5oP4aS3dF2gH1jK0lZ9xC8vB"
        ),
        (
            "?X-Amz-Date=20261202&X-Amz-Signature=0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
        ),
        ("https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=abcDEF123%2Bxyz%3D", "abcDEF123%2Bxyz%3D"),
        ("Server=tcp:s,1433;User ID=app;Password=Pa55word!;Encrypt=true;", "Pa55word!"),
        ("echo db.internal:5432:prod:app:Pgp4ssWord >> ~/.pgpass", "Pgp4ssWord"),
        (
            "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFB",
            "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFB"
        ),
        ("apiKey := \"Qm9vbGVhbjEyMzQ1Njc4OTA\"", "Qm9vbGVhbjEyMzQ1Njc4OTA"),
        ("gh secret set TOKEN --body \"s3cr3t value 42\" --repo a/b", "s3cr3t value 42"),
    ])
    func valueAfterASecretsNameIsMasked(text: String, secret: String) {
        let result = masked(text)
        #expect(!result.contains(secret), "\(result)")
        #expect(result.contains("[REDACTED:"), "\(result)")
    }

    @Test(arguments: [
        ("hf_abcdefghijklmnopqrstuvwxyz01234567", "api_key"),
        ("npm_abcdefghijklmnopqrstuvwxyz0123456789", "api_key"),
        ("sk_live_abcdefghijklmnopqrstuvwx", "api_key"),
        ("sb_secret_abcdefghijklmnopqrstuvwxyz012345", "api_key"),
        ("ya29.a0AfB_byC1234567890abcdefghijklmnop", "api_key"),
        ("dckr_pat_abcdefghijklmnopqrstuvwxyz0", "api_key"),
        ("abc8Q~defghijklmnopqrstuvwxyz0123456789", "api_key"),
        ("SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", "sendgrid_api_key"),
        ("SK0123456789abcdef0123456789abcdef", "twilio_api_key"),
        ("glpat-abcdefghijklmnopqrst", "gitlab_token"),
    ])
    func providerFormatIsMaskedByItsName(token: String, marker: String) {
        let result = masked("key is \(token) here")
        #expect(result == "key is [REDACTED:\(marker)] here")
    }

    /// Text that names a secret without holding one, and values shaped like secrets that are ids, hashes or code.
    @Test(arguments: [
        #"curl -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com"#,
        "export GITHUB_TOKEN=${GITHUB_TOKEN:-} && gh pr list",
        "token: ${{ secrets.GITHUB_TOKEN }}",
        #"token = os.environ["GITHUB_TOKEN"]"#,
        "api_key = settings.OPENAI_API_KEY",
        "client = OpenAI(api_key=api_key)",
        "def login(user: str, password: str) -> Session:",
        "const token = process.env.NPM_TOKEN;",
        "LANGFUSE_PUBLIC_KEY=pk-lf-0b9d6e0e-3c1a-4b7e-9f10-2a3b4c5d6e7f",
        "sb_publishable_abcdefghijklmnopqrstuvwxyz012345",
        "The password must be at least 12 characters long.",
        "Error: password authentication failed for user \"app\"",
        "cache_key: 3f786850e387550fdab836ed7e6dc881de23001b",
        "next_page_token: Zm9vYmFyYmF6cXV4MTIzNDU2",
        "key: user_id",
        "PWD=/home/jo/code/app",
        "--token-file /run/secrets/registry_token --password-stdin",
        "idempotency key 8f14e45f-ceea-467f-a0e6-5b2c0c1e8d2b accepted",
        "psql -h db -p 5432 -U app",
        "ssh -p 2222 deploy@host",
        "fe80:1:0:0:0:0:0:1",
        "give it from a file (secret_key: {file: /run/secrets/NAME})",
        "sinks.langfuse.secret_key: refusing a credential written in the configuration file",
    ])
    func lookAlikeStays(text: String) {
        #expect(redactor.redact(text: text) == nil, "\(masked(text))")
    }

    @Test func namesAreSplitIntoWordsAndJudged() {
        #expect(SecretNames.strength("_authToken") == .strong)
        #expect(SecretNames.strength("SecretAccessKey") == .strong)
        #expect(SecretNames.strength("X-Api-Key") == .strong)
        #expect(SecretNames.strength("PGPASSWORD") == .strong)
        #expect(SecretNames.strength("client-key-data") == .weak)
        #expect(SecretNames.strength("auth") == .weak)
        #expect(SecretNames.strength("sig") == .weak)
        #expect(SecretNames.strength("sig", query: true) == .strong)
        #expect(SecretNames.strength("publicKey") == .none)
        #expect(SecretNames.strength("token_count") == .none)
        #expect(SecretNames.strength("max_tokens") == .none)
        #expect(SecretNames.strength("private_key_id") == .none)
    }

    @Test func providerRulesComeFromTheRecordedRuleSetAndCanBeDisabledByName() throws {
        let rules = ProviderRules.builtIn
        #expect(rules.source.hasPrefix("detect-secrets "))
        #expect(rules.rules.count >= 40)
        #expect(rules.names.contains("stripe_access_key") && rules.names.contains("slack_token"))
        let token = "key is SK0123456789abcdef0123456789abcdef here"
        #expect(Redactor(disabledRules: ["twilio_api_key"]).redact(text: token) == nil)
        #expect(Redactor(kinds: Set(SecretKind.allCases).subtracting([.providerFormats])).redact(text: token) == nil)
    }

    @Test func overlappingFindingsAreJoinedIntoOneMarker() {
        // The rule set's JWT pattern stops before the signature; the scanner's covers it: one marker for the whole.
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2hlcmU"
        #expect(masked("t \(jwt) x") == "t [REDACTED:jwt] x")
    }

    @Test func logLinesAreMaskedInMessageMetadataAndErrors() throws {
        let recorded = RecordedLines()
        var handler = MaskingLogHandler(RecordingHandler(lines: recorded), redaction: LogRedaction())
        handler.logLevel = .trace
        handler[metadataKey: "sink.name"] = "supabase"
        let logger = Logger(label: "test", factory: { _ in handler })
        logger.trace(
            "record PGPASSWORD=Zq8xLm2Pw9 read",
            metadata: ["line": "export HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz01234567"])
        let line = try #require(recorded.lines.first)
        #expect(!line.contains("Zq8xLm2Pw9") && !line.contains("hf_abcdefghij"), "\(line)")
        #expect(line.contains("[REDACTED:") && line.contains("supabase"))
    }
}

/// Lines a `RecordingHandler` wrote.
final class RecordedLines: @unchecked Sendable {
    // Every access holds the lock.
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.withLock { stored } }
    func append(_ line: String) { lock.withLock { stored.append(line) } }
}

/// A log handler that keeps each line as text: the message, then the metadata sorted by key.
struct RecordingHandler: LogHandler {
    let lines: RecordedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append(
            "\(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}
