#!/usr/bin/env python3
"""Held-out redaction corpus (heldout.jsonl), written before tuning against it.

Each line: {"category", "event", "secrets", "keep"}. Deliberately different phrasings, field
names, providers and surroundings from generate_train.py. Deterministic: seed 20261121.
"""
import json, random, base64, sys, uuid, hashlib

rng = random.Random(20261121)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HEX = "0123456789abcdef"
UP = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
def r(alpha, k): return "".join(rng.choice(alpha) for _ in range(k))
def b64url(k): return r(B62 + "-_", k)
def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    for check in range(10):
        d = digits + [check]
        s = 0
        for i, x in enumerate(reversed(d)):
            if i % 2 == 1:
                x *= 2
                if x > 9: x -= 9
            s += x
        if s % 10 == 0: return "".join(map(str, d))
def card():
    kind = rng.choice(["visa", "mc", "mc2", "amex", "verve", "discover", "jcb"])
    if kind == "visa": return luhn_complete("4", 16)
    if kind == "mc": return luhn_complete(str(rng.randint(51, 55)), 16)
    if kind == "mc2": return luhn_complete(str(rng.randint(2221, 2720)), 16)
    if kind == "amex": return luhn_complete(rng.choice(["34", "37"]), 15)
    if kind == "verve": return luhn_complete(rng.choice(["5061", "6500"]), 19)
    if kind == "discover": return luhn_complete("6011", 16)
    return luhn_complete("35", 16)
def spaced(c, sep):
    if len(c) == 15: return c[:4] + sep + c[4:10] + sep + c[10:]
    return sep.join(c[i:i + 4] for i in range(0, len(c), 4))
def jwt():
    head = base64.urlsafe_b64encode(json.dumps({"alg": rng.choice(["RS256", "HS256", "ES256"]), "typ": "JWT"}).encode()).decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": r(B62, 12), "iat": rng.randint(1700000000, 1800000000), "scope": "payments:write"}).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (head, body, b64url(43))
def rid(): return "req_" + r(B62, 24)
def tid(): return "txn_" + r(B62, 20)
def cus(): return "CUS_" + r(UP, 10)
def corr(): return r(HEX, 32)
def ts(): return "2026-%02d-%02dT%02d:%02d:%02d.%06dZ" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randrange(10**6))
def pw():
    return rng.choice(["Tr0ub4dor&3", "Summer2026!", "n0t-my-real-pw", "Qwerty!7890", "hunter2hunter2", "Zx8#pLm2!vQ", "letmein-4242", "C0rrectHorse9"]) + r(B62, 3)
def base(**extra):
    ev = {"ts": ts(), "level": rng.choice(["info", "warning", "error"]), "source": rng.choice(["settlement-worker", "payouts-api", "kyc-svc", "merchant-portal"]),
          "action": rng.choice(["payout.create", "settlement.run", "merchant.login", "webhook.deliver", "kyc.verify"]),
          "request_id": rid(), "transaction_id": tid(), "customer_code": cus(), "correlation_id": corr()}
    ev.update(extra)
    return ev
def ids(ev): return [ev["request_id"], ev["transaction_id"], ev["customer_code"], ev["correlation_id"]]

cases = []
def add(cat, ev, secrets, keep=()):
    cases.append({"category": cat, "event": ev, "secrets": list(secrets), "keep": ids(ev) + list(keep)})

# ---- field names in many styles ----
for name in ["userPassword", "NEW_PASSWORD", "confirm-password", "Passphrase", "db_pass", "smtpPassword", "walletPassphrase", "X-Admin-Password"]:
    p = pw(); add("field-password", base(metadata={name: p, "attempt": 2}), [p], [name])
for name in ["clientSecret", "APP_SECRET", "oauth-client-secret", "webhook_secret", "SigningSecret", "jwtSecret"]:
    v = r(B62, 32); add("field-secret", base(config={name: v, "region": "eu-west-1"}), [v], [name, "eu-west-1"])
for name in ["apiKey", "X-API-KEY", "merchant_api_key", "Ocp-Apim-Subscription-Key", "secretKey", "access_key"]:
    v = r(B62, 28); add("field-api-key", base(request={"headers": {name: v, "Accept": "application/json"}}), [v], [name, "application/json"])
for name in ["accessToken", "refresh_token", "id_token", "SESSION-TOKEN", "x-auth-token", "csrfToken", "deviceToken"]:
    v = r(B62, 40); add("field-token", base(session_state={name: v, "token_type": "Bearer", "expires_in": 3600}), [v], [name, "token_type"])
for name in ["Authorization", "proxy-authorization", "AUTHORIZATION"]:
    v = "Bearer " + r(B62, 36); add("field-authorization", base(headers={name: v, "Content-Type": "application/json"}), [v.split()[1]], ["application/json"])
for name in ["Cookie", "set-cookie", "cookies"]:
    v = "connect.sid=s%3A" + r(B62, 32) + "; Path=/; HttpOnly"; add("field-cookie", base(response={"headers": {name: v}}), [v.split(";")[0].split("=", 1)[1]])
for name in ["privateKey", "ssh_private_key", "signing-private-key"]:
    v = "-----BEGIN EC PRIVATE KEY-----\n" + r(B62 + "+/", 64) + "\n" + r(B62 + "+/", 40) + "\n-----END EC PRIVATE KEY-----"
    add("field-private-key", base(metadata={name: v}), [v.split("\n")[1]])
for name in ["pin", "cardPin", "transaction_pin", "PIN"]:
    v = str(rng.randint(1000, 9999)); add("field-pin", base(payload={name: v, "channel": "ussd"}), ['"%s":"%s"' % (name, v)], ["ussd"])
for name in ["cvv", "cvc2", "CVV", "securityCode"]:
    v = str(rng.randint(100, 999)); add("field-cvv", base(card={name: v, "brand": "visa", "last4": "4242"}), ['"%s":"%s"' % (name, v)], ["4242", "visa"])
for name in ["otp", "mfaCode", "verification_code", "totp"]:
    v = str(rng.randint(100000, 999999)); add("field-otp", base(step={name: v, "method": "sms"}), ['"%s":"%s"' % (name, v)], ["sms"])
for name in ["cardNumber", "card_no", "PAN", "creditCardNumber"]:
    c = card(); add("field-card", base(payment={name: c, "currency": "NGN", "amount": 150000}), [c], ["NGN"])
for name in ["x-paystack-signature", "Stripe-Signature", "X-Hub-Signature-256", "verif-hash", "X-Signature"]:
    v = r(HEX, 64); add("field-signature", base(webhook={"headers": {name: v, "User-Agent": "Paystack/1.0"}}), [v], ["Paystack/1.0"])
for name in ["DB_PASSWORD", "databasePassword", "postgres_password", "MYSQL_ROOT_PASSWORD"]:
    p = pw(); add("field-db-password", base(env={name: p, "DB_HOST": "db.internal"}), [p], ["db.internal"])
# sensitive value as number / object / array
add("field-number", base(metadata={"pin": 4821}), ['"pin":4821'])
add("field-object", base(credentials={"username": "svc-payouts", "password": pw()}), [])
cases[-1]["secrets"] = [cases[-1]["event"]["credentials"]["password"]]
v1, v2 = r(B62, 30), r(B62, 30); add("field-array", base(tokens=[v1, v2]), [v1, v2])
# nested deep
p = pw(); add("field-deep", base(a={"b": {"c": [{"d": {"dbPassword": p}}]}}), [p])

# ---- header shapes ----
for hn in ["authorization", "Authorization", "X-Api-Key", "Cookie"]:
    v = r(B62, 30)
    val = ("Bearer " + v) if hn.lower() == "authorization" else v
    add("headers-list", base(http={"headers": [{"name": "Accept", "value": "*/*"}, {"name": hn, "value": val}]}), [v], ["*/*"])
for hn in ["Authorization", "x-api-key"]:
    v = r(B62, 30)
    val = ("Token " + v) if hn == "Authorization" else v
    add("headers-list-key", base(http={"headers": [{"key": hn, "value": val}, {"key": "Host", "value": "api.partner.ng"}]}), [v], ["api.partner.ng"])
for _ in range(4):
    v, c = r(B62, 34), r(B62, 24)
    add("headers-string", base(raw_headers="Host: api.example.ng\r\nAuthorization: Bearer %s\r\nCookie: sessionid=%s\r\nAccept: */*" % (v, c)), [v, c], ["api.example.ng"])
v = r(B62, 30); add("headers-flat", base(rawHeaders=["Host", "api.example.ng", "Authorization", "Bearer " + v]), [v], ["api.example.ng"])

# ---- value patterns inside strings ----
for tmpl in ["upstream rejected call with header Bearer %s (expired)", "retrying with bearer %s", "Authorization=Bearer %s; attempt=3", "curl -H 'Authorization: Bearer %s' https://api.example.ng/v2/charges"]:
    v = r(B62 + "-._", 40); add("bearer", base(message=tmpl % v), [v])
for _ in range(5):
    user, p = rng.choice(["merchant42", "ops", "svc_settle", "admin@corp.ng"]), pw()
    tok = base64.b64encode(("%s:%s" % (user, p)).encode()).decode()
    add("basic", base(message="outbound request used Basic %s against the gateway" % tok), [tok])
for tmpl in ["session established with %s", "token=%s", "{\"jwt\": \"%s\"}", "Set id token %s for user"]:
    j = jwt(); add("jwt", base(message=tmpl % j), [j])
for label in ["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]:
    body = r(B62 + "+/", 64)
    add("pem", base(error={"message": "failed to load key: -----BEGIN %s-----\n%s\n-----END %s----- is invalid" % (label, body, label)}), [body])
for tmpl in ["connect to amqp://%s:%s@mq.internal:5672/ failed", "using postgresql://%s:%s@10.0.3.4/ledger", "mongodb+srv://%s:%s@cluster0.abcd.mongodb.net/?retryWrites=true", "redis://%s:%s@cache:6379/0"]:
    u, p = rng.choice(["app", "ledger_rw", "root"]), pw()
    add("url-credentials", base(message=tmpl % (u, p)), [p], [u])
for tmpl in ["GET https://api.partner.ng/v1/balance?access_token=%s&currency=NGN", "callback https://shop.example.com/pay/return?status=ok&token=%s", "https://bucket.s3.amazonaws.com/report.csv?X-Amz-Expires=300&X-Amz-Signature=%s", "webhook target https://hooks.example.com/in?api_key=%s"]:
    v = r(HEX + "ABCDEF", 48); add("url-query", base(http={"url": tmpl % v, "method": "GET"}), [v], ["GET"])
providers = [
    ("aws-key-id", lambda: "AKIA" + r(UP, 16), "assumed role with %s"),
    ("aws-key-id", lambda: "ASIA" + r(UP, 16), "temporary creds %s issued"),
    ("aws-secret", lambda: r(B62, 18) + "/" + r(B62, 10) + "+" + r(B62, 10), "aws_secret_access_key=%s"),
    ("aws-secret", lambda: r(B62, 20) + "/" + r(B62, 19), "AWS secret %s leaked in config dump"),
    ("stripe", lambda: "sk_live_" + r(B62, 99), "Stripe client init with %s"),
    ("stripe", lambda: "rk_live_" + r(B62, 40), "restricted key %s"),
    ("stripe", lambda: "whsec_" + r(B62, 32), "webhook endpoint secret %s"),
    ("paystack", lambda: "sk_test_" + r(HEX, 40), "PAYSTACK_SECRET_KEY is %s"),
    ("flutterwave", lambda: "FLWSECK_TEST-" + r(HEX, 32) + "-X", "rave key %s"),
    ("flutterwave", lambda: "FLWSECK-" + r(HEX, 32) + "-X", "flw %s"),
    ("github", lambda: "ghp_" + r(B62, 36), "git clone failed for token %s"),
    ("github", lambda: "github_pat_" + r(B62, 22) + "_" + r(B62, 59), "PAT %s"),
    ("gitlab", lambda: "glpat-" + r(B62 + "-_", 20), "gitlab ci token %s"),
    ("slack", lambda: "xoxb-" + r("0123456789", 12) + "-" + r("0123456789", 13) + "-" + r(B62, 24), "slack bot %s"),
    ("slack-webhook", lambda: "https://hooks.slack.com/services/T%s/B%s/%s" % (r(UP, 8), r(UP, 10), r(B62, 24)), "alerting to %s"),
    ("google", lambda: "AIza" + r(B62 + "-_", 35), "maps key %s"),
    ("twilio", lambda: "SK" + r(HEX, 32), "twilio api key sid %s"),
    ("sendgrid", lambda: "SG." + r(B62 + "-_", 22) + "." + r(B62 + "-_", 43), "mail via %s"),
    ("openai", lambda: "sk-proj-" + r(B62 + "-_", 48), "llm key %s"),
    ("npm", lambda: "npm_" + r(B62, 36), "//registry.npmjs.org/:_authToken=%s"),
    ("digitalocean", lambda: "dop_v1_" + r(HEX, 64), "doctl auth %s"),
    ("shopify", lambda: "shpat_" + r(HEX, 32), "shopify admin %s"),
]
for cat, gen, tmpl in providers:
    for _ in range(3):
        v = gen(); add("provider-" + cat, base(message=tmpl % v), [v])
for tmpl in ["Server=tcp:db.example.net,1433;Database=pay;User ID=app;Password=%s;Encrypt=true", "Host=pg;Username=ledger;Pwd=%s;Port=5432", "DefaultEndpointsProtocol=https;AccountName=stor;AccountKey=%s;EndpointSuffix=core.windows.net", "jdbc:mysql://db:3306/pay?user=app&password=%s&useSSL=true"]:
    v = pw() if "AccountKey" not in tmpl else r(B62 + "+/", 86) + "=="
    add("connection-string", base(config={"conn": tmpl % v}), [v])
for _ in range(24):
    c = card(); sep = rng.choice(["", " ", "-", " "])
    shown = spaced(c, sep) if sep else c
    tmpl = rng.choice(["charge failed for %s", "customer card %s declined by issuer", "PAN=%s", "tokenizing %s now", "card:%s exp 09/29", "refund to %s queued"])
    add("card-in-text", base(message=tmpl % shown), [shown])
for tmpl, ctx in [("%s exp 11/28 cvv %s", "cvv %s"), ("%s|04/27|%s", "04/27|%s"), ("card %s, expiry 0130, cvc: %s", "cvc: %s"), ("%s 12/29 %s", "12/29 %s")] * 2:
    c, cvv = card(), str(rng.randint(100, 999))
    add("cvv-near-card", base(message=tmpl % (c, cvv)), [c, ctx % cvv])
for tmpl in ["secret: %s", "token: %s", "api-key=%s", "SIGNING_KEY=%s", "key=%s", "client secret is set to '%s'"]:
    v = r(B62, 32); add("generic-label", base(message="loaded config " + tmpl % v), [v])
# encodings
v = r(B62, 30); add("url-encoded", base(message="redirect_uri=https%3A%2F%2Fapp.example.ng%2Fcb%3Faccess_token%3D" + v + "%26state%3Dxyz"), [v])
p = pw().replace("&", "9").replace("!", "8").replace("#", "7"); add("url-encoded", base(form="username=ade&password=" + p + "&remember=1"), [p], ["username=ade"])
v = r(B62, 30); add("u-escaped", base(payload="{\\u0022apiKey\\u0022:\\u0022" + v + "\\u0022}"), [v])
p = pw().replace("\\", ""); add("escaped-json", base(body="{\"user\":\"ade\",\"password\":\"" + p + "\"}"), [p], ["ade"])
p = pw(); add("escaped-json-twice", base(body=json.dumps(json.dumps({"pass": p, "user": "ade"}))), [p])
p = pw().replace("&", "9").replace("<", "8"); add("xml", base(body="<login><user>ade</user><password>" + p + "</password></login>"), [p], ["<user>ade</user>"])
v = r(B62, 30); add("xml", base(body="<Credentials><AccessToken>" + v + "</AccessToken></Credentials>"), [v])
p = pw(); add("command-line", base(message="exec: mysqldump --user=backup --password=" + p + " payments"), [p], ["--user=backup"])
p = pw(); add("command-line", base(message="ran psql --host db --password " + p + " -c select"), [p])
v = r(B62, 30); add("exception", base(error={"message": "HTTPError 401: {\"error\":\"invalid_token\",\"access_token\":\"" + v + "\"}", "code": "upstream_401"}), [v], ["upstream_401", "invalid_token"])
c = card(); add("card-number-json", base(metadata={"ref": int(c)} if len(c) <= 16 and int(c) < 2**53 else {"ref": c}), [c])

# ---- negatives: things that must be kept ----
neg = []
def keep_case(cat, ev, keep):
    cases.append({"category": cat, "event": ev, "secrets": [], "keep": ids(ev) + list(keep)})
for _ in range(12):
    u = str(uuid.UUID(int=rng.getrandbits(128)))
    keep_case("keep-uuid", base(event_id=u, message="event %s processed" % u), [u])
for _ in range(6):
    k = str(uuid.UUID(int=rng.getrandbits(128)))
    keep_case("keep-idempotency", base(headers={"Idempotency-Key": k, "X-Request-ID": rid()}, message="idempotency key %s replayed" % k), [k])
for _ in range(6):
    h = hashlib.sha256(r(B62, 20).encode()).hexdigest()
    keep_case("keep-sha256", base(file={"sha256": h, "etag": '"%s"' % h[:32]}, message="checksum %s verified" % h), [h, h[:32]])
for _ in range(5):
    keep_case("keep-amounts", base(amount=rng.randint(100, 10**9), currency=rng.choice(["NGN", "KES", "USD"]), message="settled NGN %d.%02d to merchant" % (rng.randint(1, 99999), rng.randint(0, 99))), [])
    cases[-1]["keep"].append(cases[-1]["event"]["message"])
for _ in range(5):
    pk = "pk_live_" + r(B62, 24)
    keep_case("keep-public-key", base(checkout={"publicKey": pk}, message="inline checkout loaded with %s" % pk), [pk])
pub = "-----BEGIN PUBLIC KEY-----\n" + r(B62 + "+/", 64) + "\n-----END PUBLIC KEY-----"
keep_case("keep-public-key", base(webhook={"verification_key": pub}), [pub.split("\n")[1]])
for msg in ["Password reset email sent to customer", "User changed their password", "token refresh scheduled", "API key rotated by admin", "secret scanning enabled for repo", "Invalid PIN entered 3 times", "OTP sent via SMS", "card tokenization succeeded", "cookie consent accepted", "authorization hold released"]:
    keep_case("keep-prose", base(message=msg), [msg])
for name in ["password_changed_at", "token_expires_at", "passwordResetRequired", "api_key_id", "tokenType", "has_pin", "secret_name", "card_last4", "cvv_check"]:
    val = rng.choice(["2026-11-20T10:00:00Z", "visa", "pass", "unavailable", "ak_" + r(B62, 10)])
    keep_case("keep-field-names", base(metadata={name: val}), [name, val])
for _ in range(6):
    n = luhn_complete("4", 16)
    bad = n[:-1] + str((int(n[-1]) + 1) % 10)
    keep_case("keep-non-luhn", base(message="order number %s shipped" % bad), [bad])
for _ in range(4):
    phone = "+234 80%d %03d %04d" % (rng.randint(1, 9), rng.randint(0, 999), rng.randint(0, 9999))
    keep_case("keep-phone", base(message="SMS delivered to %s" % phone), [phone])
for _ in range(4):
    ms = "41" + r("0123456789", 4) + "******" + r("0123456789", 4)
    keep_case("keep-masked-card", base(card={"masked": ms}, message="charged card %s" % ms), [ms])
for _ in range(4):
    t = str(rng.randint(1700000000000, 1799999999999))
    keep_case("keep-epoch-ms", base(event_time=t, message="at %s" % t), [t])
for _ in range(4):
    s = "00001" + r("0123456789", 25)
    keep_case("keep-session-id", base(nip={"session_id": s}, message="NIP transfer session %s" % s), [s])
keep_case("keep-ip-path", base(http={"path": "/v1/transfers/" + tid() + "/verify", "ip": "102.89.33.4"}), ["102.89.33.4"])
cases[-1]["keep"].append(cases[-1]["event"]["http"]["path"])
for _ in range(3):
    e = "evt_" + r(B62, 24)
    keep_case("keep-event-id", base(id=e, message="delivered %s" % e), [e])

json.dump  # noqa
out = sys.stdout
for c in cases:
    out.write(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n")
sys.stderr.write("%d cases\n" % len(cases))
