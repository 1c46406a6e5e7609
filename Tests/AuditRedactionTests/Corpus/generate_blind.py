#!/usr/bin/env python3
"""A second held-out corpus (blind.jsonl), written after the rules were tuned and run once
without changing the rules: its first-run figures are the honest estimate of generalisation.

Shapes not used in the other corpora: stack traces, env and YAML dumps, HTTP request dumps,
GraphQL variables, SOAP bodies, logfmt, other providers and other keep-worthy identifiers.
Deterministic: seed 99.
"""
import json, random, base64, sys, uuid, hashlib

rng = random.Random(99)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HEX = "0123456789abcdef"
UP = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
def r(a, k): return "".join(rng.choice(a) for _ in range(k))
def luhn(prefix, length):
    d = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    for c in range(10):
        t = d + [c]; s = 0
        for i, x in enumerate(reversed(t)):
            if i % 2: x = x * 2 - 9 if x * 2 > 9 else x * 2
            s += x
        if s % 10 == 0: return "".join(map(str, t))
def pw(): return rng.choice(["Kx9!", "Pa$$", "Mango", "Zebra_", "Q1w2E3"]) + r(B62, 9)
def ev(**kw):
    e = {"ts": "2026-%02d-%02dT%02d:%02d:%02dZ" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
         "level": rng.choice(["debug", "error", "notice"]), "source": rng.choice(["collections-svc", "fx-rates", "bills-api"]),
         "action": rng.choice(["bill.pay", "fx.quote", "mandate.create", "card.tokenize"]),
         "request_id": "req_" + r(B62, 24), "transaction_id": "txn_" + r(B62, 20), "customer_code": "CUS_" + r(UP, 10),
         "correlation_id": str(uuid.UUID(int=rng.getrandbits(128)))}
    e.update(kw); return e
cases = []
def add(cat, e, secrets, keep=()):
    cases.append({"category": cat, "event": e, "secrets": list(secrets), "keep": [e["request_id"], e["transaction_id"], e["customer_code"], e["correlation_id"]] + list(keep)})

for _ in range(6):
    p = pw(); add("stacktrace", ev(error={"stack": "java.sql.SQLException: Access denied for user 'app'@'10.0.0.5' (using password: YES)\n\tat com.mysql.jdbc.Driver.connect(jdbc:mysql://app:%s@db:3306/bills)" % p}), [p], ["java.sql.SQLException"])
for _ in range(6):
    k = "sk_live_" + r(B62, 30); add("traceback", ev(error={"trace": "Traceback (most recent call last):\n  File \"pay.py\", line 12, in charge\n    stripe.api_key = '%s'\nValueError: bad amount" % k}), [k], ["ValueError: bad amount"])
for _ in range(6):
    p, t = pw(), r(B62, 40); add("env-dump", ev(env="PATH=/usr/bin\nDB_PASSWORD=%s\nGITHUB_TOKEN=%s\nLOG_LEVEL=info" % (p, t)), [p, t], ["LOG_LEVEL=info"])
for _ in range(6):
    p, s = pw(), r(B62, 32); add("yaml-dump", ev(config="database:\n  host: db.internal\n  password: %s\nstripe:\n  secret_key: %s\n" % (p, s)), [p, s], ["host: db.internal"])
for _ in range(6):
    t, c = r(B62 + "-_", 50), r(B62, 32)
    add("http-dump", ev(request="POST /v1/bills HTTP/1.1\r\nHost: bills.example.ng\r\nAuthorization: Bearer %s\r\nX-Session-Token: %s\r\nContent-Length: 42\r\n" % (t, c)), [t, c], ["Host: bills.example.ng"])
for _ in range(6):
    p = pw(); add("graphql", ev(graphql={"query": "mutation Login($u: String!, $p: String!) { login(u: $u, p: $p) { id } }", "variables": {"u": "ade@example.ng", "password": p}}), [p], ["ade@example.ng"])
for _ in range(5):
    p = pw(); add("soap", ev(body="<soap:Envelope><soap:Body><Auth><Username>svc</Username><Password>%s</Password></Auth></soap:Body></soap:Envelope>" % p), [p], ["<Username>svc</Username>"])
for _ in range(6):
    t = r(B62, 36); add("logfmt", ev(message="level=info msg=\"token refreshed\" user=42 access_token=%s duration=12ms" % t), [t], ["duration=12ms"])
provs = [
    lambda: "sk_test_" + r(B62, 40), lambda: "rk_test_" + r(B62, 40), lambda: "whsec_" + r(B62, 40),
    lambda: "FLWSECK_TEST" + r(HEX, 12), lambda: "ghu_" + r(B62, 36), lambda: "glrt-" + r(B62 + "_-", 20),
    lambda: "xapp-1-" + r(UP, 11) + "-" + r("0123456789", 13) + "-" + r(HEX, 64), lambda: "AIza" + r(B62 + "_-", 35),
    lambda: "SG." + r(B62 + "_-", 22) + "." + r(B62 + "_-", 43), lambda: "hf_" + r(B62, 34), lambda: "ASIA" + r(UP, 16),
    lambda: "npm_" + r(B62, 36), lambda: "glpat-" + r(B62, 20), lambda: "sk-" + r(B62, 48), lambda: "xoxb-" + r("0123456789", 11) + "-" + r(B62, 24),
]
for gen in provs:
    for tmpl in ["warn: credential %s found in request body", "{\"auth\":{\"k\":\"%s\"}}"]:
        v = gen(); add("provider", ev(message=tmpl % v), [v])
for _ in range(12):
    c = rng.choice([luhn("4", 16), luhn("51", 16), luhn("2221", 16), luhn("37", 15), luhn("5061", 19), luhn("36", 14)])
    fmt = rng.choice(["%s", "%s", "%s"])
    shown = rng.choice([c, " ".join(c[i:i + 4] for i in range(0, len(c), 4)), "-".join(c[i:i + 4] for i in range(0, len(c), 4))])
    add("card-text", ev(message=rng.choice(["customer typed %s in the reference field", "IVR captured digits %s", "chargeback for %s opened", "debit via %s reversed"]) % shown), [shown])
for _ in range(5):
    c = luhn("4", 16); cvv = str(rng.randint(100, 999))
    add("card-cvv", ev(message="vault miss: pan=%s exp=0929 cvv=%s" % (c, cvv)), [c, "cvv=" + cvv])
for _ in range(5):
    otp = str(rng.randint(100000, 999999)); add("otp-text", ev(sms={"body": "Your one-time password is %s. Do not share it." % otp}), ["is " + otp])
for _ in range(4):
    pin = str(rng.randint(1000, 9999)); add("pin-text", ev(message="USSD session: user entered PIN %s" % pin), ["PIN " + pin])
for _ in range(5):
    body = r(B62 + "+/", 64)
    add("pem-escaped", ev(config=json.dumps({"key": "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----" % body})), [body])
for _ in range(5):
    sig = r(B62 + "%", 43); add("presigned", ev(url="https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=svc%40p.iam&X-Goog-Signature=" + sig), [sig], ["X-Goog-Algorithm=GOOG4-RSA-SHA256"])
for _ in range(4):
    u = base64.b64encode(("merchant:" + pw()).encode()).decode(); add("basic-header-field", ev(headers={"authorization": "Basic " + u}), [u])
for _ in range(4):
    v = r(B62, 30); add("field-variants", ev(data={"Api_Token": v, "kind": "bot"}), [v], ["bot"])
for _ in range(4):
    v = r(HEX, 64); add("field-variants", ev(data={"X-Webhook-Signature": v}), [v])
for _ in range(4):
    p = pw(); add("field-variants", ev(data={"PASSCODE": p}), [p])
for _ in range(4):
    v = r(B62, 24); add("field-variants", ev(data={"sessionKey": v}), [v])
for _ in range(3):
    v = r(B62, 40); add("field-variants", ev(headers=[{"name": "X-Api-Secret", "value": v}]), [v])

def keep(cat, e, k): cases.append({"category": cat, "event": e, "secrets": [], "keep": [e["request_id"], e["transaction_id"], e["customer_code"], e["correlation_id"]] + list(k)})
for _ in range(6):
    m = "MND-" + r(UP, 12); keep("keep-mandate", ev(mandate_id=m, message="mandate %s activated" % m), [m])
for _ in range(6):
    h = hashlib.sha256(r(B62, 10).encode()).hexdigest(); keep("keep-digest", ev(message="payload digest sha256:%s matched" % h, content_sha256=h), [h])
for _ in range(6):
    k = str(uuid.UUID(int=rng.getrandbits(128))); keep("keep-idempotency", ev(headers={"Idempotency-Key": k}, message="replayed request with Idempotency-Key: %s" % k), [k])
for _ in range(5):
    ref = "T" + r("0123456789", 15); keep("keep-reference", ev(message="NIBSS reference %s settled" % ref), [ref])
for _ in range(5):
    amt = "%d.%02d" % (rng.randint(1, 10**6), rng.randint(0, 99)); keep("keep-amount", ev(message="quote NGN/USD 1550.25 for %s USD" % amt, rate=1550.25), [amt, "1550.25"])
for msg in ["User entered wrong password twice", "Session token rotated", "Webhook secret verified", "CVV check failed", "PIN reset via USSD", "Secret Santa campaign started", "API keys page viewed", "Token bucket refilled", "Signature mismatch on webhook", "card ending 4242 charged"]:
    keep("keep-prose", ev(message=msg), [msg])
for _ in range(5):
    pk = "FLWPUBK-" + r(HEX, 32) + "-X"; keep("keep-public", ev(public_key=pk, message="checkout uses %s" % pk), [pk])
for _ in range(4):
    v = "v" + str(rng.randint(1, 9)) + "." + str(rng.randint(0, 20)) + "." + str(rng.randint(0, 99)); keep("keep-version", ev(message="sdk %s" % v), [v])
for _ in range(4):
    keep("keep-status", ev(http={"status": 401, "path": "/v1/auth/token"}, message="401 on /v1/auth/token"), ["/v1/auth/token"])
for _ in range(4):
    acct = r("0123456789", 10); keep("keep-account", ev(message="transfer to account %s at GTBank" % acct), [acct])

for c in cases: sys.stdout.write(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n")
sys.stderr.write("%d cases\n" % len(cases))
