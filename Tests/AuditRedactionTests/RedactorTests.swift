import AuditModel
import Testing

@testable import AuditRedaction

/// Redacts `json` (an object) and returns the canonical output and the report.
func redacted(_ json: String, redactor: Redactor = Redactor()) throws -> (String, RedactionReport) {
    guard case .object(var object) = try JSONParser().parse(json) else {
        Issue.record("not an object: \(json)")
        return ("", RedactionReport())
    }
    let report = redactor.redact(&object)
    return (CanonicalJSON.string(.object(object)), report)
}

@Suite("Redactor")
struct RedactorTests {
    @Test("a secret inside a longer string is replaced by a marker naming the rule, the rest is kept")
    func spanMarker() throws {
        let (out, report) = try redacted(#"{"message":"Authorization failed for Bearer abcDEF1234567890xyz"}"#)
        #expect(out == #"{"message":"Authorization failed for Bearer [REDACTED:bearer-token]"}"#)
        #expect(report.counts == ["bearer-token": 1])
    }

    @Test("a field-name rule replaces the whole value, whatever its type, at any depth")
    func fieldNames() throws {
        let (out, report) = try redacted(
            #"{"a":{"b":[{"clientSecret":"x1"},{"PIN":1234},{"api-key":["k1","k2"]},{"X-Auth-Token":{"v":"t"}}]},"password":"hunter2"}"#
        )
        #expect(
            out == #"{"a":{"b":[{"clientSecret":"[REDACTED:secret]"},{"PIN":"[REDACTED:pin]"},{"api-key":"[REDACTED:api-key]"},{"X-Auth-Token":"[REDACTED:token]"}]},"password":"[REDACTED:password]"}"#
        )
        #expect(report.counts == ["secret": 1, "pin": 1, "api-key": 1, "token": 1, "password": 1])
    }

    @Test("names in every style match: camelCase, snake_case, kebab-case, UPPER, X- headers")
    func namingStyles() {
        let rules = CompiledRules(.default)
        for name in ["clientSecret", "client_secret", "client-secret", "CLIENT_SECRET", "X-Client-Secret", "client.secret"] {
            #expect(rules.matcher.match(name).map { rules.ruleNames[$0.rule] } == "secret", "\(name)")
        }
        for name in ["request_id", "idempotency_key", "token_type", "password_changed_at", "public_key", "card_last4", "cvc_check", "message"] {
            #expect(rules.matcher.match(name) == nil, "\(name) must be kept")
        }
    }

    @Test("a card authorization object is walked, not replaced; an Authorization header value is replaced")
    func authorizationObject() throws {
        let (out, _) = try redacted(
            #"{"authorization":{"status":"approved","authorization_code":"AUTH_8dfhjjdt","amount":5000},"headers":{"Authorization":"Token abc123def456"}}"#
        )
        #expect(
            out == #"{"authorization":{"amount":5000,"authorization_code":"[REDACTED:authorization]","status":"approved"},"headers":{"Authorization":"[REDACTED:authorization]"}}"#
        )
    }

    @Test("numbers are secrets under PIN, code, card and password names, counts under token and key names")
    func numbers() throws {
        let (out, _) = try redacted(#"{"pin":1234,"otp":482913,"card_number":4111111111111111,"input_tokens":812,"api_key_count":3,"cookie_consent":"accepted"}"#)
        #expect(out == #"{"api_key_count":3,"card_number":"[REDACTED:card-number]","cookie_consent":"accepted","input_tokens":812,"otp":"[REDACTED:one-time-code]","pin":"[REDACTED:pin]"}"#)
    }

    @Test("null, booleans, empty values and existing markers under a secret name are left alone")
    func emptyValues() throws {
        let (out, report) = try redacted(#"{"password":null,"token":"","secret":true,"api_key":[],"pin":"[REDACTED:pin]"}"#)
        #expect(out == #"{"api_key":[],"password":null,"pin":"[REDACTED:pin]","secret":true,"token":""}"#)
        #expect(report.isEmpty)
    }

    @Test("the value next to a sensitive name in {name, value} header lists is redacted")
    func headerLists() throws {
        let (out, _) = try redacted(
            #"{"headers":[{"name":"Accept","value":"*/*"},{"name":"Authorization","value":"Bearer abc.def.ghi123"},{"key":"X-Api-Key","value":"k9f8e7d6"}]}"#
        )
        #expect(
            out == #"{"headers":[{"name":"Accept","value":"*/*"},{"name":"Authorization","value":"[REDACTED:authorization]"},{"key":"X-Api-Key","value":"[REDACTED:api-key]"}]}"#
        )
    }

    @Test("NAME=value lines in a list are values, not header names")
    func envList() throws {
        let (out, _) = try redacted(#"{"env":["DB_PASSWORD=hunter2","API_KEY=k-123456789abc","LOG_LEVEL=debug"]}"#)
        #expect(out == #"{"env":["DB_PASSWORD=[REDACTED:password]","API_KEY=[REDACTED:api-key]","LOG_LEVEL=debug"]}"#)
    }

    @Test("headers dumped as one string lose every sensitive value")
    func headerString() throws {
        let (out, report) = try redacted(#"{"h":"Host: x\r\nAuthorization: Bearer tok_12345678abc\r\nCookie: a=b; c=d\r\nAccept: */*"}"#)
        #expect(out == #"{"h":"Host: x\r\nAuthorization: Bearer [REDACTED:bearer-token]\r\nCookie: [REDACTED:cookie]\r\nAccept: */*"}"#)
        #expect(report.counts == ["bearer-token": 1, "cookie": 1])
    }

    @Test("value patterns: JWT, PEM, URL credentials, query tokens, provider keys", arguments: [
        ("id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl end", "id [REDACTED:jwt] end"),
        ("k -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- end", "k [REDACTED:pem-private-key] end"),
        ("postgres://app:s3cr3t@db:5432/x", "postgres://app:[REDACTED:url-credentials]@db:5432/x"),
        ("https://x.io/cb?state=1&access_token=AbC123xYz&ok=1", "https://x.io/cb?state=1&access_token=[REDACTED:token]&ok=1"),
        ("key AKIAIOSFODNN7EXAMPLE here", "key [REDACTED:aws-access-key-id] here"),
        ("using sk_live_4eC39HqLyjWDarjtT1zdp7dc", "using [REDACTED:payment-provider-secret-key]"),
        ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "gh [REDACTED:github-token]"),
        ("FLWSECK_TEST-abcdef0123456789abcdef0123456789-X", "[REDACTED:flutterwave-secret-key]"),
        ("login --password hunter2 --user bob", "login --password [REDACTED:password] --user bob"),
        ("<password>p@ss</password>", "<password>[REDACTED:password]</password>"),
        ("curl -u admin:s3cr3tP4ss https://x.io", "curl -u admin:[REDACTED:basic-credentials] https://x.io"),
        ("mysqldump -uroot -pS3cret! db -p 3306", "mysqldump -uroot -p[REDACTED:password] db -p 3306"),
        (#"<add key="StripeApiKey" value="abc123"/><add key="Region" value="eu"/>"#, #"<add key="StripeApiKey" value="[REDACTED:api-key]"/><add key="Region" value="eu"/>"#),
        ("Set header X-Api-Key to 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "Set header X-Api-Key to [REDACTED:api-key]"),
        ("Your one-time password is 261589.", "Your one-time password is [REDACTED:one-time-code]."),
        ("charge with AUTH_72btv547 ok, AUTH_REQUIRED kept", "charge with [REDACTED:paystack-authorization-code] ok, AUTH_REQUIRED kept"),
        ("phone 2348031234567, idempotency key is 0b8f5e4c9c7d4a439d3b0a1f3d6c2e11", "phone 2348031234567, idempotency key is 0b8f5e4c9c7d4a439d3b0a1f3d6c2e11"),
    ])
    func valuePatterns(input: String, expected: String) throws {
        let (out, _) = try redacted(CanonicalJSON.string(["m": .string(input)]))
        #expect(out == CanonicalJSON.string(["m": .string(expected)]))
    }

    @Test("card numbers: Luhn-valid in common spacings, any digits after a card word, CVV next to the card")
    func cards() throws {
        let (out, report) = try redacted(
            #"{"a":"4111 1111 1111 1111","b":"pay 5500-0000-0000-0004 now","c":"378282246310005","d":"card 4000 1234 5678 9999 exp 12/27 cvv 123","e":"ref 4111111111111112","n":4111111111111111}"#
        )
        #expect(
            out == #"{"a":"[REDACTED:card-number]","b":"pay [REDACTED:card-number] now","c":"[REDACTED:card-number]","d":"card [REDACTED:card-number] exp 12/27 cvv [REDACTED:card-verification]","e":"ref 4111111111111112","n":"[REDACTED:card-number]"}"#
        )
        #expect(report.counts["card-number"] == 5)
    }

    @Test("identifiers, digests, UUIDs, public keys and prose are kept")
    func keeps() throws {
        let input = #"{"request_id":"req_ALENZ54pCRipuMoWnG3juGmD","idempotency_key":"0b8f5e4c-9c7d-4a43-9d3b-0a1f3d6c2e11","etag":"d41d8cd98f00b204e9800998ecf8427e","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","publishable_key":"pk_live_51HxYzAbCdEf","message":"password reset email sent","ts":"2026-11-20T10:00:00.001055Z","amount":2500000,"currency":"NGN","phone":"+234 803 123 4567"}"#
        let (out, report) = try redacted(input)
        #expect(report.isEmpty)
        #expect(out == CanonicalJSON.string(try JSONParser().parse(input)))
    }

    @Test("fails closed: a string over the size limit is dropped and its path reported")
    func sizeLimit() throws {
        var rules = RedactionRules.default
        rules.limits.maxStringBytes = 1024
        let big = String(repeating: "a", count: 2000)
        let (out, report) = try redacted(#"{"m":{"blobs":["ok","\#(big)"]}}"#, redactor: Redactor(rules: rules))
        #expect(out == #"{"m":{"blobs":["ok","[REDACTED:unprocessable]"]}}"#)
        #expect(report.dropped == ["m.blobs[1]"])
        #expect(report.jsonValue == ["dropped": ["m.blobs[1]"]])
    }

    @Test("fails closed: nesting deeper than the limit is dropped whole")
    func depthLimit() throws {
        var rules = RedactionRules.default
        rules.limits.maxDepth = 3
        let (out, report) = try redacted(#"{"a":{"b":{"c":{"d":"x"}},"e":"y"}}"#, redactor: Redactor(rules: rules))
        #expect(out == #"{"a":{"b":{"c":"[REDACTED:unprocessable]"},"e":"y"}}"#)
        #expect(report.dropped == ["a.b.c"])
    }

    @Test("secrets escaped inside strings (URL-encoding, \\u escapes, escaped JSON) are found and replaced whole")
    func escapes() throws {
        let (out, _) = try redacted(
            #"{"a":"next=%2Fcb%3Faccess_token%3DAbC123xYz789","b":"{\\u0022password\\u0022:\\u0022hunter2\\u0022}","c":"{\\\"api_key\\\":\\\"k_9f8e7d6c5b4a\\\"}"}"#
        )
        #expect(!out.contains("AbC123xYz789"))
        #expect(!out.contains("hunter2"))
        #expect(!out.contains("k_9f8e7d6c5b4a"))
        #expect(out.contains("next=%2Fcb%3Faccess_token%3D[REDACTED:token]"))
    }

    @Test("a secret used as a member name is renamed")
    func secretKeys() throws {
        let (out, report) = try redacted(#"{"seen":{"sk_live_4eC39HqLyjWDarjtT1zdp7dc":true}}"#)
        #expect(out == #"{"seen":{"[REDACTED:payment-provider-secret-key]":true}}"#)
        #expect(report.counts == ["payment-provider-secret-key": 1])
    }

    @Test("redacting twice changes nothing more and reports nothing")
    func idempotent() throws {
        let input = #"{"headers":{"authorization":"Bearer x.y.z12345678"},"message":"card 4111 1111 1111 1111 cvv 123 key sk_test_abcdefghij123"}"#
        let (once, _) = try redacted(input)
        let (twice, report) = try redacted(once)
        #expect(twice == once)
        #expect(report.isEmpty)
    }

    @Test("a Redactor is shared by concurrent callers")
    func concurrent() async throws {
        let redactor = Redactor()
        let results = await withTaskGroup(of: String.self) { group in
            for i in 0..<8 {
                group.addTask {
                    var object = JSONObject()
                    object["password"] = .string("p\(i)")
                    object["n"] = .number(Double(i))
                    _ = redactor.redact(&object)
                    return CanonicalJSON.string(.object(object))
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0.contains("[REDACTED:password]") })
    }

    @Test("the byte-class literal table agrees with the class definitions")
    func byteClassTable() {
        for byte in 0...255 {
            let b = UInt8(byte)
            let classes = ByteClass.of(b)
            let c = Character(Unicode.Scalar(b))
            #expect(classes.contains(.upper) == (b < 0x80 && c.isUppercase && c.isLetter))
            #expect(classes.contains(.lower) == (b < 0x80 && c.isLowercase && c.isLetter))
            #expect(classes.contains(.digit) == (b >= 0x30 && b <= 0x39))
            #expect(classes.contains(.trigger) == ":=>-%\\&\"'".utf8.contains(b))
            #expect(classes.contains(.tokenPunctuation) == "-.~+/=".utf8.contains(b))
            #expect(classes.contains(.space) == " \t\r\n".utf8.contains(b))
        }
    }
}
