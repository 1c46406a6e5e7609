#!/usr/bin/env python3
"""Training redaction corpus (train.jsonl): the cases rules were tuned against.

Each line: {"category", "event", "secrets", "keep"}. See generate_heldout.py for the held-out
set, which uses different phrasings, names and providers. Deterministic: seed 7.
"""
import json, random, base64, sys, uuid, hashlib

rng = random.Random(7)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HEX = "0123456789abcdef"
UP = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
def r(alpha, k): return "".join(rng.choice(alpha) for _ in range(k))
def luhn(prefix, length):
    d = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    for check in range(10):
        t = d + [check]; s = 0
        for i, x in enumerate(reversed(t)):
            if i % 2: x = x * 2 - 9 if x * 2 > 9 else x * 2
            s += x
        if s % 10 == 0: return "".join(map(str, t))
def card(): return rng.choice([lambda: luhn("4", 16), lambda: luhn("5" + str(rng.randint(1, 5)), 16), lambda: luhn("37", 15), lambda: luhn("5060", 19), lambda: luhn("6011", 16), lambda: luhn("4", 13)])()
def jwt():
    enc = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
    return enc({"alg": "HS256", "typ": "JWT"}) + "." + enc({"sub": "usr_" + r(B62, 8), "exp": rng.randint(1700000000, 1900000000)}) + "." + r(B62 + "-_", 43)
def secretish(): return rng.choice(["P@ss-", "s3cret!", "Winter#", "pa55word_", "L0ngPass."]) + r(B62, 8)
def ev(**kw):
    e = {"ts": "2026-11-20T%02d:%02d:%02d.%06dZ" % (rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randrange(10**6)),
         "level": "info", "source": rng.choice(["payments-api", "checkout-web", "identity-svc", "refunds-svc"]),
         "action": rng.choice(["payment.authorize", "auth.login", "refund.create", "customer.update"]),
         "request_id": "req_" + r(B62, 24), "transaction_id": "txn_" + r(B62, 20), "customer_code": "CUS_" + r(UP, 10),
         "correlation_id": r(HEX, 32)}
    e.update(kw)
    return e
cases = []
def add(cat, e, secrets, keep=()):
    cases.append({"category": cat, "event": e, "secrets": list(secrets), "keep": [e["request_id"], e["transaction_id"], e["customer_code"], e["correlation_id"]] + list(keep)})

# The benchmark's four shapes.
for _ in range(6):
    p = "P@ss-" + r(B62, 8); add("bench-password", ev(metadata={"amount": 5000, "currency": "NGN", "password": p}), [p], ["NGN"])
    j = "eyJhbGciOiJFZERTQSJ9." + r(B62 + "-_", 40) + "." + r(B62 + "-_", 40)
    add("bench-bearer", ev(headers={"authorization": "Bearer " + j, "user_agent": "sdk-node/4.2.1"}), [j], ["sdk-node/4.2.1"])
    k = "sk_live_" + r(B62, 16); add("bench-api-key", ev(message="Captured authorized payment using key " + k), [k], ["Captured authorized payment using key"])
    c = "4%015d" % rng.getrandbits(49); add("bench-card-field", ev(metadata={"card_number": c}), [c])
    add("bench-card-message", ev(message="Ledger entry posted for card %s %s %s %s" % (c[:4], c[4:8], c[8:12], c[12:])), ["%s %s %s %s" % (c[:4], c[4:8], c[8:12], c[12:])], ["Ledger entry posted for card"])

for name in ["password", "passwd", "user_password", "Password", "PASSWORD", "loginPassword", "old-password", "passphrase", "pwd", "admin_pass"]:
    p = secretish(); add("field-password", ev(body={"username": "ade", name: p}), [p], [name, "ade"])
for name in ["client_secret", "secret", "apiSecret", "WEBHOOK_SECRET", "consumer-secret", "secret_key"]:
    v = r(B62, 30); add("field-secret", ev(settings={name: v}), [v], [name])
for name in ["api_key", "apikey", "x-api-key", "X-Api-Key", "ApiKey", "private_api_key", "paystackSecretKey"]:
    v = r(B62, 32); add("field-api-key", ev(headers={name: v, "content-type": "application/json"}), [v], ["application/json"])
for name in ["access_token", "accessToken", "refreshToken", "idToken", "session_token", "token", "auth_token", "bearerToken", "X-CSRF-Token"]:
    v = r(B62 + "-_.", 44); add("field-token", ev(oauth={name: v, "scope": "read write"}), [v], ["read write"])
for name in ["authorization", "Proxy-Authorization", "auth"]:
    v = r(B62, 30); add("field-authorization", ev(headers={name: "Basic " + v}), [v])
for name in ["cookie", "Set-Cookie", "sessionCookie"]:
    v = r(B62, 26); add("field-cookie", ev(headers={name: "sid=" + v + "; Secure"}), [v])
for name in ["private_key", "privateKey", "ssh_key"]:
    body = r(B62 + "+/", 64); add("field-private-key", ev(secrets_dump={name: "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----"}), [body])
for name in ["pin", "pin_code", "atm_pin", "PIN"]:
    v = str(rng.randint(1000, 9999)); add("field-pin", ev(req={name: v}), ['"%s":"%s"' % (name, v)])
for name in ["cvv", "cvc", "cvv2", "card_cvv"]:
    v = str(rng.randint(100, 999)); add("field-cvv", ev(card={name: v, "exp_month": 9}), ['"%s":"%s"' % (name, v)], ["exp_month"])
for name in ["otp", "otp_code", "mfa_code", "twoFactorCode", "one_time_code"]:
    v = str(rng.randint(100000, 999999)); add("field-otp", ev(verify={name: v}), ['"%s":"%s"' % (name, v)])
for name in ["card_number", "cardNumber", "pan", "cc_number", "card-no"]:
    c = card(); add("field-card", ev(card={name: c, "brand": "verve"}), [c], ["verve"])
for name in ["x-paystack-signature", "x-flutterwave-signature", "stripe-signature", "X-Hub-Signature", "signature", "hmac"]:
    v = r(HEX, 64); add("field-signature", ev(headers={name: v}), [v])
for name in ["db_password", "DATABASE_PASSWORD", "pg_password", "redisPassword"]:
    p = secretish(); add("field-db-password", ev(env={name: p, "DB_NAME": "payments"}), [p], ["payments"])
v = r(B62, 30); add("field-array", ev(api_keys=[v]), [v])
p = secretish(); add("field-object", ev(credentials={"user": "x", "pass": p}), [p])
p = secretish(); add("field-deep", ev(l1={"l2": [{"l3": {"password": p}}]}), [p])

for _ in range(3):
    v = r(B62, 30); add("headers-list", ev(request={"headers": [{"name": "Authorization", "value": "Bearer " + v}, {"name": "Accept", "value": "text/html"}]}), [v], ["text/html"])
    v = r(B62, 24); add("headers-list", ev(request={"headers": [{"name": "Cookie", "value": "sid=" + v}]}), [v])
    v, c = r(B62, 30), r(B62, 20); add("headers-string", ev(headers="Authorization: Bearer %s\nCookie: token=%s\nUser-Agent: curl/8.0" % (v, c)), [v, c], ["curl/8.0"])

for tmpl in ["Authorization failed for Bearer %s", "bearer %s rejected", "sent Authorization: Bearer %s"]:
    for _ in range(2):
        v = r(B62, 32); add("bearer", ev(message=tmpl % v), [v])
for _ in range(4):
    tok = base64.b64encode(("user%d:%s" % (rng.randint(1, 99), secretish())).encode()).decode()
    add("basic", ev(message="Authorization: Basic " + tok), [tok])
for _ in range(5):
    j = jwt(); add("jwt", ev(message=rng.choice(["jwt %s invalid", "decoded %s", "id_token=%s"]) % j), [j])
for _ in range(3):
    body = r(B62 + "+/", 64); add("pem", ev(message="key:\n-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----" % body), [body])
for tmpl in ["postgres://app:%s@db:5432/pay", "mysql://root:%s@localhost/test", "https://deploy:%s@git.example.com/repo.git", "amqps://guest:%s@rabbit/vhost"]:
    p = secretish().replace("#", "9"); add("url-credentials", ev(message="dsn " + tmpl % p), [p])
for tmpl in ["https://api.example.com/v1/x?token=%s", "https://x.com/cb?code=ok&access_token=%s", "https://cdn.example.com/f?sig=%s&se=2026", "https://api.example.com/?apikey=%s"]:
    v = r(B62, 40); add("url-query", ev(url=tmpl % v), [v])
train_providers = [
    ("aws", lambda: "AKIA" + r(UP, 16)), ("aws-secret", lambda: r(B62, 14) + "/" + r(B62, 12) + "+" + r(B62, 12)),
    ("stripe", lambda: "sk_live_" + r(B62, 24)), ("stripe", lambda: "sk_test_" + r(B62, 24)),
    ("paystack", lambda: "sk_live_" + r(HEX, 40)), ("flutterwave", lambda: "FLWSECK-" + r(HEX, 32) + "-X"),
    ("github", lambda: "gho_" + r(B62, 36)), ("github", lambda: "ghs_" + r(B62, 36)), ("gitlab", lambda: "glptt-" + r(HEX, 40)),
    ("slack", lambda: "xoxp-" + r("0123456789", 11) + "-" + r("0123456789", 11) + "-" + r(HEX, 32)),
    ("google", lambda: "AIza" + r(B62, 35)), ("google-oauth", lambda: "GOCSPX-" + r(B62 + "-_", 28)), ("google-oauth", lambda: "ya29." + r(B62 + "-_", 60)),
    ("twilio", lambda: "SK" + r(HEX, 32)), ("sendgrid", lambda: "SG." + r(B62, 22) + "." + r(B62, 43)),
    ("mailgun", lambda: "key-" + r(HEX, 32)), ("huggingface", lambda: "hf_" + r(B62, 34)), ("anthropic", lambda: "sk-ant-api03-" + r(B62 + "-_", 80)),
    ("square", lambda: "sq0atp-" + r(B62 + "-_", 22)), ("vault", lambda: "hvs." + r(B62, 24)),
]
for cat, gen in train_providers:
    for tmpl in ["configured client with %s", "env KEY=%s", "leaked: %s."]:
        v = gen(); add("provider-" + cat, ev(message=tmpl % v), [v])
for tmpl in ["Server=db;Database=x;User Id=sa;Password=%s;", "host=pg user=app password=%s dbname=pay"]:
    for _ in range(2):
        p = secretish().replace(";", "9"); add("connection-string", ev(config=tmpl % p), [p])
for _ in range(24):
    c = card(); sep = rng.choice(["", " ", "-"])
    shown = sep.join(c[i:i + 4] for i in range(0, len(c), 4)) if sep else c
    add("card-in-text", ev(message=rng.choice(["Payment with card %s failed", "PAN %s", "pay %s now"]) % shown), [shown])
for _ in range(4):
    c, cvv = card(), str(rng.randint(100, 999)); add("cvv-near-card", ev(message="card %s exp 10/27 cvv %s" % (c, cvv)), [c, "cvv " + cvv])
for tmpl in ["api_key=%s", "secret=%s", "token: %s", "key=%s", "password=%s", "X-Api-Key: %s"]:
    v = r(B62, 28); add("generic-label", ev(message="request " + tmpl % v), [v])
v = r(B62, 30); add("url-encoded", ev(message="next=%2Fcb%3Ftoken%3D" + v), [v])
v = r(B62, 30); add("u-escaped", ev(message="body {\\u0022token\\u0022:\\u0022" + v + "\\u0022}"), [v])
p = secretish(); add("escaped-json", ev(message=json.dumps({"password": p})), [p])
p = secretish(); add("xml", ev(message="<auth><password>%s</password></auth>" % p), [p])
p = secretish(); add("command-line", ev(message="mysql -u root --password=%s" % p), [p])

def keep(cat, e, k):
    cases.append({"category": cat, "event": e, "secrets": [], "keep": [e["request_id"], e["transaction_id"], e["customer_code"], e["correlation_id"]] + list(k)})
for _ in range(8):
    u = str(uuid.UUID(int=rng.getrandbits(128))); keep("keep-uuid", ev(trace_id=u, message="trace " + u), [u])
for _ in range(6):
    k = "idem_" + r(B62, 20); keep("keep-idempotency", ev(idempotency_key=k, message="Idempotency-Key: " + k), [k])
for _ in range(6):
    h = hashlib.sha256(r(B62, 8).encode()).hexdigest(); keep("keep-sha256", ev(digest=h, message="sha256=" + h), [h])
for _ in range(5):
    keep("keep-amounts", ev(amount=rng.randint(1, 10**8), currency="NGN", message="Refund of NGN 25,000.00 created"), ["Refund of NGN 25,000.00 created"])
for _ in range(4):
    pk = "pk_test_" + r(B62, 24); keep("keep-public-key", ev(publishable_key=pk, message="using " + pk), [pk])
for msg in ["password reset email sent", "Token expired, please log in again", "Invalid API key supplied", "secret rotated successfully", "PIN change requested", "Card declined by issuer", "Bearer token missing", "Basic plan selected", "key rotation complete", "authorization code flow started"]:
    keep("keep-prose", ev(message=msg), [msg])
for name in ["token_type", "password_updated_at", "key_id", "secret_arn", "token_expires_in", "card_last4", "pin_attempts"]:
    v = rng.choice(["bearer", "2026-11-20T10:00:00Z", "kid_" + r(B62, 8), "5"]); keep("keep-field-names", ev(meta={name: v}), [name, v])
for _ in range(6):
    n = luhn("4", 16); bad = n[:-1] + str((int(n[-1]) + 3) % 10); keep("keep-non-luhn", ev(message="reference " + bad), [bad])
for _ in range(4):
    keep("keep-ts", ev(message="at 2026-11-20T10:00:00.123456Z"), ["2026-11-20T10:00:00.123456Z"])
for _ in range(4):
    ip = "%d.%d.%d.%d" % (41, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)); keep("keep-ip", ev(metadata={"ip": ip}), [ip])

for c in cases:
    sys.stdout.write(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n")
sys.stderr.write("%d cases\n" % len(cases))
