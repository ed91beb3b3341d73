import Foundation
import Testing

@testable import AgentTail

struct RedactorTests {
    let redactor = Redactor()

    func masked(_ text: String) -> String { redactor.masked(text) }

    /// Each built-in kind, planted in ordinary text: the secret is gone, the marker names the kind, and the words
    /// around it stay.
    @Test(arguments: [
        ("export OPENAI=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv", "api_key"),
        ("key sk-ant-api03-xY7_zQ-12345678901234567890AA done", "sk-ant-api03-xY7_zQ-12345678901234567890AA", "api_key"),
        ("token ghp_0123456789abcdefghijABCDEFGHIJ012345 here", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "api_key"),
        ("slack xoxb-1234567890-abcdefghij ok", "xoxb-1234567890-abcdefghij", "api_key"),
        ("google AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv", "api_key"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2hlcmU end",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2hlcmU", "jwt"
        ),
        ("curl -H 'Authorisation: Bearer abc123DEF456ghi789'", "abc123DEF456ghi789", "bearer_token"),
        ("aws AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE", "aws_access_key"),
        ("db postgres://app:hunter2pass@db.internal:5432/x", "hunter2pass", "url_password"),
        ("GITHUB_TOKEN=abcdef123456 make", "abcdef123456", "secret_assignment"),
        ("  client_secret: 'qwerty-secret-value'", "qwerty-secret-value", "secret_assignment"),
        ("PGPASSWORD=s3cr3t psql", "s3cr3t", "secret_assignment"),
        ("tool --api-key=zz9plural", "zz9plural", "secret_assignment"),
        ("config = {\"aws_secret_access_key\": \"wJalrXUtnFEMI/K7MDENG\"}", "wJalrXUtnFEMI/K7MDENG", "secret_assignment"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "secret_assignment"),
    ])
    func builtInKindIsMasked(text: String, secret: String, kind: String) {
        let result = masked(text)
        #expect(!result.contains(secret), "\(result)")
        #expect(result.contains("[REDACTED:\(kind)]"), "\(result)")
    }

    @Test func privateKeyBlockIsMaskedWholeAndUnterminatedToTheEnd() {
        let block = """
            -----BEGIN OPENSSH PRIVATE KEY-----
            b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
            QyNTUxOQAAACDSecretMaterialHere
            -----END OPENSSH PRIVATE KEY-----
            """
        #expect(masked("before\n\(block)\nafter") == "before\n[REDACTED:private_key]\nafter")
        #expect(masked("cat id_rsa\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow") == "cat id_rsa\n[REDACTED:private_key]")
        // A certificate is public and stays.
        let certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAV2gAwIBAgIU\n-----END CERTIFICATE-----"
        #expect(redactor.redact(text: certificate) == nil)
    }

    /// Text that looks a little like a secret but is not one is left exactly as it was.
    @Test(arguments: [
        "task-list and desk-lamp", "monkey=3, turkey: 4", "max_tokens: 4096, prompt_tokens=12",
        "the key is to read https://example.com/a:b/c?x=1", "Basic usage of the API", "sk-short",
        "if api_key == other_key:", "partition_key", "see ghp_ for details", "AKIA is a prefix",
        "eyJ alone.and.dots", "a bearer of news", "file_key=65024:5333159:929947bd", "s3.public_key: ssh-ed25519 AAAA",
    ])
    func ordinaryTextIsUntouched(text: String) {
        #expect(redactor.redact(text: text) == nil)
    }

    @Test func jsonMembersNamedAsSecretsAreMaskedWholeAndTheJSONStaysValid() throws {
        let json = #"{"api_key":"abc","nested":{"password":"p\"w"},"note":"use sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv\nnow","count":3,"token":7}"#
        let (text, count) = try #require(redactor.redact(json: json))
        #expect(count == 3)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["api_key"] as? String == "[REDACTED:secret_assignment]")
        #expect((object["nested"] as? [String: Any])?["password"] as? String == "[REDACTED:secret_assignment]")
        #expect(object["note"] as? String == "use [REDACTED:api_key]\nnow")
        // Numbers are kept: counters named like `max_token` are common, numeric secrets are not.
        #expect(object["count"] as? Int == 3 && object["token"] as? Int == 7)
    }

    @Test func escapedPrivateKeyInsideJSONIsMaskedAndStaysValid() throws {
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
        let data = try JSONSerialization.data(withJSONObject: ["result": "key:\n" + key + "done"])
        let (text, _) = try #require(redactor.redact(json: String(decoding: data, as: UTF8.self)))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        #expect(object["result"] == "key:\n[REDACTED:private_key]\ndone")
    }

    /// `redact(json:)` scans text that only starts like JSON (`[default]` of an INI file) as text.
    @Test func textThatIsNoJSONIsScannedAsText() {
        let ini = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\nregion = eu-west-1"
        #expect(redactor.redact(json: ini)?.0 == "[default]\naws_access_key_id = [REDACTED:aws_access_key]\nregion = eu-west-1")
    }

    @Test func maskingTwiceChangesNothing() {
        let once = masked("OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv and Bearer abcdefgh12345678")
        #expect(redactor.redact(text: once) == nil)
        let json = redactor.redact(json: #"{"secret":"x","a":"Bearer abcdefgh12345678"}"#)!.0
        #expect(redactor.redact(json: json) == nil)
    }

    @Test func userPatternsAndDisabledKinds() throws {
        let custom = Redactor(
            kinds: Set(SecretKind.allCases).subtracting([.urlPassword]), disabledRules: ["basic_auth_credentials"],
            patterns: [try RedactionPattern(name: "employee", regex: "EMP-[0-9]{6}")])
        let result = custom.redact(text: "EMP-123456 at https://u:pw@host")
        #expect(result?.0 == "[REDACTED:employee] at https://u:pw@host")
        #expect(result?.1 == 1)
    }

    @Test func rowsAreMaskedInTextAndJSONColumnsOnly() {
        var rows = [
            NormalizedRow(
                table: .toolExecutions, id: UUID(),
                values: [
                    "tool_name": .text("bash"), "arguments": .json(#"{"command":"export GH_TOKEN=abc123 && gh pr list"}"#),
                    "result": .text("using key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv"), "duration_ms": .int(12),
                ])
        ]
        #expect(redactor.redact(&rows) == 2)
        #expect(rows[0]["arguments"] == .json(#"{"command":"export GH_TOKEN=[REDACTED:secret_assignment] && gh pr list"}"#))
        #expect(rows[0]["result"] == .text("using key [REDACTED:api_key]"))
        #expect(rows[0]["tool_name"] == .text("bash") && rows[0]["duration_ms"] == .int(12))
    }
}
