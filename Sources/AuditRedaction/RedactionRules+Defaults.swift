extension RedactionRules {
    /// The documented default rules (docs/redaction.md).
    public static let `default` = RedactionRules(
        fieldRules: defaultFieldRules,
        weakFieldNames: ["key", "code", "auth_key"],
        keepFieldNames: [
            "request_id", "transaction_id", "customer_code", "correlation_id", "trace_id", "span_id", "event_id",
            "idempotency_key", "public_key", "publishable_key", "pub_key", "public_key_pem", "key_id", "kid",
            "cache_key", "object_key", "partition_key", "sort_key", "primary_key", "foreign_key", "routing_key",
            "dedup_key", "deduplication_key", "token_type", "grant_type", "auth_type", "auth_method", "auth_scheme",
            "authenticated", "www_authenticate", "password_reset", "password_policy", "key_type", "key_usage",
            // The event schema's own fields (docs/event.md) and other common names: a whole-name
            // hit here skips the fragment search, which is most of a lookup's cost.
            "ts", "id", "level", "source", "action", "outcome", "actor", "type", "message", "http", "method", "path",
            "status", "duration_ms", "error", "metadata", "amount", "currency", "institution", "ip", "user_agent",
            "headers", "name", "value", "email", "phone", "country", "created_at", "updated_at", "timestamp", "event",
            "service", "host", "env", "environment", "version", "url", "query", "body", "params", "reason", "result",
            "status_code", "description", "user_id", "account_id", "merchant_id", "reference", "channel", "fee",
            "content_type", "accept", "host_name", "region", "latency_ms", "attempt", "redaction", "rules", "dropped",
        ],
        descriptiveSuffixes: [
            "id", "ids", "type", "types", "kind", "length", "len", "count", "size", "expiresat", "expiresin", "expiry",
            "expires", "expiration", "ttl", "createdat", "updatedat", "changedat", "resetat", "rotatedat", "lastused",
            "lastusedat", "issuedat", "enabled", "disabled", "required", "set", "present", "provided", "valid", "verified",
            "status", "policy", "strength", "algorithm", "alg", "method", "scheme", "version", "name", "names", "label",
            "description", "last4", "lastfour", "first6", "bin", "masked", "mask", "fingerprint", "reset", "resetsent",
            "resetrequested", "changed", "updated", "rotated", "requested", "attempts", "failures", "error", "errors", "check",
            "checks", "result", "timestamp", "date", "time", "consent", "used", "remaining", "limit", "quota",
            "hint", "url", "uri", "endpoint", "provider", "issuer", "brand", "network", "scope", "scopes", "format",
            "header", "headers", "field", "fields", "path", "location", "ref", "arn", "source", "store",
        ],
        descriptivePrefixes: ["public", "publishable", "has", "is", "num", "last", "masked", "max", "min", "require", "allow", "should"],
        shapes: defaultShapes,
        scanners: [
            "bearer-token", "basic-credentials", "jwt", "pem-private-key", "url-credentials", "card-number",
            "card-verification", "pin", "one-time-code", "generic-secret", "aws-secret-access-key", "telegram-bot-token",
        ],
        limits: Limits()
    )

    static let defaultFieldRules: [FieldRule] = [
        FieldRule(
            name: "password",
            exact: [
                "pass", "pw", "pwd", "upass", "dbpass", "db_pass", "pgpass", "userpass", "rootpass", "mysql_pwd", "admin_pass",
                "smtp_pass", "ftp_pass", "mail_pass", "ssh_pass", "app_pass", "service_pass", "redis_pass", "user_pass", "login_pass",
            ],
            contains: ["password", "passwd", "passphrase", "passcode", "pwd"],
            redactsAnyInlineValue: true
        ),
        FieldRule(
            name: "secret",
            exact: ["mnemonic", "seed_phrase", "recovery_phrase", "recovery_codes", "backup_codes"],
            contains: ["secret", "seedphrase", "recoveryphrase", "recoverycode", "backupcode"],
            redactsAnyInlineValue: true
        ),
        FieldRule(
            name: "api-key",
            exact: ["apikeys", "access_key", "session_key"],
            contains: [
                "apikey", "accesskey", "appkey", "authkey", "masterkey", "licensekey", "encryptionkey", "signingkey",
                "accountkey", "clientkey", "serverkey", "consumerkey", "subscriptionkey", "adminkey", "restkey",
                "webhookkey", "merchantkey", "secretkey", "sessionkey", "deploykey",
            ],
            redactsAnyInlineValue: false
        ),
        FieldRule(
            name: "private-key",
            exact: ["pkcs8", "ssh_key", "pem_key"],
            contains: ["privatekey", "privkey", "sshkey"],
            redactsAnyInlineValue: true
        ),
        FieldRule(
            name: "token",
            exact: ["bearer", "jwt", "pat", "session_token"],
            contains: ["token", "jwt", "bearer"],
            redactsAnyInlineValue: false
        ),
        FieldRule(
            name: "authorization",
            exact: ["auth", "authorization", "proxy_authorization", "basic_auth", "authz", "auth_header", "auth_code", "auth_string"],
            contains: ["authorization", "authheader", "basicauth", "proxyauth"],
            redactsAnyInlineValue: false
        ),
        FieldRule(
            name: "cookie",
            exact: ["set_cookie"],
            contains: ["cookie"],
            redactsAnyInlineValue: false
        ),
        FieldRule(
            name: "pin",
            exact: [
                "pin", "pin_code", "pin_number", "card_pin", "atm_pin", "user_pin", "transaction_pin", "txn_pin",
                "wallet_pin", "pin_block", "mpin", "tpin", "security_pin", "new_pin", "old_pin", "confirm_pin", "current_pin",
                "pin_hash", "encrypted_pin",
            ],
            contains: ["pinblock", "cardpin", "atmpin", "transactionpin"],
            redactsAnyInlineValue: true
        ),
        FieldRule(
            name: "card-verification",
            exact: ["csc", "cvd", "cav2", "cvc2", "cvv2", "cid", "security_code", "card_security_code", "card_code"],
            contains: ["cvv", "cvc", "cvn", "cardsecuritycode", "cardverification"],
            redactsAnyInlineValue: true
        ),
        FieldRule(
            name: "one-time-code",
            exact: [
                "otp", "totp", "hotp", "otp_code", "otp_value", "sms_otp", "email_otp", "mfa_code", "mfa_otp",
                "two_factor_code", "2fa_code", "tfa_code", "verification_code", "one_time_code", "sms_code",
                "security_otp", "otp_number", "login_code", "auth_otp", "mfa", "2fa", "otp_token",
            ],
            contains: ["otpcode", "mfacode", "twofactorcode", "onetimecode", "verificationcode", "totp"],
            redactsAnyInlineValue: true
        ),
        FieldRule(
            name: "card-number",
            exact: ["pan", "cc", "ccn", "ccnum", "card_pan", "pan_number", "full_pan", "card_no", "account_pan"],
            contains: ["cardnumber", "cardno", "cardnum", "ccnumber", "primaryaccountnumber", "track1", "track2", "trackdata", "magstripe"],
            redactsAnyInlineValue: false
        ),
        FieldRule(
            name: "signature",
            exact: ["sig", "verif_hash", "hmac", "signed_payload"],
            contains: ["signature", "hmac", "verifhash"],
            redactsAnyInlineValue: false
        ),
        FieldRule(
            name: "credential",
            exact: ["creds", "cred", "login_credentials"],
            contains: ["credential"],
            redactsAnyInlineValue: false
        ),
    ]

    static let defaultShapes: [TokenShape] = [
        // AWS access key ids: AKIA (long-term), ASIA (temporary), ABIA/ACCA (other services).
        TokenShape(rule: "aws-access-key-id", prefix: "AKIA", charset: .upperAlnum, minLength: 16, maxLength: 16),
        TokenShape(rule: "aws-access-key-id", prefix: "ASIA", charset: .upperAlnum, minLength: 16, maxLength: 16),
        TokenShape(rule: "aws-access-key-id", prefix: "ABIA", charset: .upperAlnum, minLength: 16, maxLength: 16),
        TokenShape(rule: "aws-access-key-id", prefix: "ACCA", charset: .upperAlnum, minLength: 16, maxLength: 16),
        // Stripe, Paystack, Korapay, Checkout.com and others share the sk_/rk_ convention.
        TokenShape(rule: "payment-provider-secret-key", prefix: "sk_live_", charset: .alnum, minLength: 8),
        TokenShape(rule: "payment-provider-secret-key", prefix: "sk_test_", charset: .alnum, minLength: 8),
        TokenShape(rule: "payment-provider-secret-key", prefix: "rk_live_", charset: .alnum, minLength: 8),
        TokenShape(rule: "payment-provider-secret-key", prefix: "rk_test_", charset: .alnum, minLength: 8),
        TokenShape(rule: "payment-provider-secret-key", prefix: "sk_prod_", charset: .alnum, minLength: 8),
        TokenShape(rule: "payment-provider-secret-key", prefix: "sk_sbox_", charset: .token, minLength: 8),
        TokenShape(rule: "payment-provider-secret-key", prefix: "sandbox_sk_", charset: .token, minLength: 8),
        TokenShape(rule: "stripe-webhook-secret", prefix: "whsec_", charset: .alnum, minLength: 16),
        // Paystack's reusable card authorization: with the secret key it charges the card again.
        TokenShape(rule: "paystack-authorization-code", prefix: "AUTH_", charset: .lowerAlnum, minLength: 8, maxLength: 24),
        TokenShape(rule: "flutterwave-secret-key", prefix: "FLWSECK", charset: .token, minLength: 12),
        TokenShape(rule: "monnify-secret-key", prefix: "MK_PROD_", charset: .upperAlnum, minLength: 8),
        TokenShape(rule: "paypal-access-token", prefix: "access_token$", charset: .path, minLength: 20),
        TokenShape(rule: "adyen-api-key", prefix: "AQE", charset: .base64url, minLength: 80),
        TokenShape(rule: "square-access-token", prefix: "sq0atp-", charset: .token, minLength: 16),
        TokenShape(rule: "square-access-token", prefix: "sq0csp-", charset: .token, minLength: 16),
        TokenShape(rule: "square-access-token", prefix: "EAAA", charset: .token, minLength: 56),
        TokenShape(rule: "shopify-token", prefix: "shpat_", charset: .alnum, minLength: 20),
        TokenShape(rule: "shopify-token", prefix: "shpca_", charset: .alnum, minLength: 20),
        TokenShape(rule: "shopify-token", prefix: "shppa_", charset: .alnum, minLength: 20),
        TokenShape(rule: "shopify-token", prefix: "shpss_", charset: .alnum, minLength: 20),
        // Source hosting.
        TokenShape(rule: "github-token", prefix: "ghp_", charset: .alnum, minLength: 30),
        TokenShape(rule: "github-token", prefix: "gho_", charset: .alnum, minLength: 30),
        TokenShape(rule: "github-token", prefix: "ghu_", charset: .alnum, minLength: 30),
        TokenShape(rule: "github-token", prefix: "ghs_", charset: .alnum, minLength: 30),
        TokenShape(rule: "github-token", prefix: "ghr_", charset: .alnum, minLength: 30),
        TokenShape(rule: "github-token", prefix: "github_pat_", charset: .token, minLength: 40),
        TokenShape(rule: "gitlab-token", prefix: "glpat-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "gldt-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "glrt-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "glptt-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "glft-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "glsoat-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "glcbt-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "glimt-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "gloas-", charset: .token, minLength: 20),
        TokenShape(rule: "gitlab-token", prefix: "GR1348941", charset: .token, minLength: 20),
        TokenShape(rule: "npm-token", prefix: "npm_", charset: .alnum, minLength: 36),
        TokenShape(rule: "pypi-token", prefix: "pypi-AgE", charset: .token, minLength: 50),
        // Chat and messaging.
        TokenShape(rule: "slack-token", prefix: "xoxb-", charset: .token, minLength: 10),
        TokenShape(rule: "slack-token", prefix: "xoxp-", charset: .token, minLength: 10),
        TokenShape(rule: "slack-token", prefix: "xoxa-", charset: .token, minLength: 10),
        TokenShape(rule: "slack-token", prefix: "xoxr-", charset: .token, minLength: 10),
        TokenShape(rule: "slack-token", prefix: "xoxs-", charset: .token, minLength: 10),
        TokenShape(rule: "slack-token", prefix: "xoxe-", charset: .token, minLength: 10),
        TokenShape(rule: "slack-token", prefix: "xoxe.xoxp-", charset: .token, minLength: 10),
        TokenShape(rule: "slack-token", prefix: "xapp-", charset: .token, minLength: 10),
        TokenShape(rule: "slack-webhook-url", prefix: "hooks.slack.com/services/", charset: .path, minLength: 10),
        TokenShape(rule: "slack-webhook-url", prefix: "hooks.slack.com/workflows/", charset: .path, minLength: 10),
        TokenShape(rule: "discord-webhook-url", prefix: "discord.com/api/webhooks/", charset: .path, minLength: 10),
        TokenShape(rule: "discord-webhook-url", prefix: "discordapp.com/api/webhooks/", charset: .path, minLength: 10),
        TokenShape(rule: "twilio-api-key", prefix: "SK", charset: .hex, minLength: 32, maxLength: 32),
        TokenShape(rule: "sendgrid-api-key", prefix: "SG.", charset: .dotted, minLength: 40),
        TokenShape(rule: "mailgun-api-key", prefix: "key-", charset: .alnum, minLength: 32, maxLength: 32),
        TokenShape(rule: "mailchimp-api-key", prefix: "md-", charset: .token, minLength: 20),
        // Cloud and AI platforms.
        TokenShape(rule: "google-api-key", prefix: "AIza", charset: .token, minLength: 30, maxLength: 40),
        TokenShape(rule: "google-oauth-client-secret", prefix: "GOCSPX-", charset: .token, minLength: 20),
        TokenShape(rule: "google-oauth-token", prefix: "ya29.", charset: .dotted, minLength: 20),
        TokenShape(rule: "google-oauth-token", prefix: "1//0", charset: .token, minLength: 30),
        TokenShape(rule: "digitalocean-token", prefix: "dop_v1_", charset: .hex, minLength: 64),
        TokenShape(rule: "digitalocean-token", prefix: "doo_v1_", charset: .hex, minLength: 64),
        TokenShape(rule: "digitalocean-token", prefix: "dor_v1_", charset: .hex, minLength: 64),
        TokenShape(rule: "anthropic-api-key", prefix: "sk-ant-", charset: .token, minLength: 20),
        TokenShape(rule: "openai-api-key", prefix: "sk-", charset: .token, minLength: 32),
        TokenShape(rule: "huggingface-token", prefix: "hf_", charset: .alnum, minLength: 30),
        TokenShape(rule: "mapbox-secret-token", prefix: "sk.eyJ", charset: .dotted, minLength: 40),
        TokenShape(rule: "hashicorp-vault-token", prefix: "hvs.", charset: .token, minLength: 20),
        TokenShape(rule: "hashicorp-vault-token", prefix: "hvb.", charset: .token, minLength: 20),
        TokenShape(rule: "atlassian-api-token", prefix: "ATATT3", charset: .base64url, minLength: 60),
        TokenShape(rule: "postman-api-key", prefix: "PMAK-", charset: .token, minLength: 30),
        TokenShape(rule: "linear-api-key", prefix: "lin_api_", charset: .alnum, minLength: 30),
        TokenShape(rule: "doppler-token", prefix: "dp.pt.", charset: .alnum, minLength: 30),
        TokenShape(rule: "doppler-token", prefix: "dp.st.", charset: .token, minLength: 30),
        TokenShape(rule: "age-secret-key", prefix: "AGE-SECRET-KEY-1", charset: .upperAlnum, minLength: 50),
    ]
}
