#!/usr/bin/env python3
"""An independent reader of the auditq store format (docs/formats.md), standard library only.

It recomputes, from the bytes on disk, what `auditq verify` checks: each segment's SHA-256, every
record's salted commitments and digest, the hash chain across segments, each block's chain head,
each segment's RFC 6962 Merkle root, and each sealed segment's lookup index (rebuilt from the
records, it must hash to the root the manifest signs, and so must the index file); and checks every
manifest signature with the stock `openssl` command. It exists to show the format can be read
without auditq.

    python3 docs/verify_store.py STORE_DIR PUBLIC_KEY.pem
    python3 docs/verify_store.py --record-digest LEAF_KEY_HEX < record-line    # one record's digest
    python3 docs/verify_store.py --bundle BUNDLE.json PUBLIC_KEY.pem             # an evidence bundle

Exit status 0 when everything matches (warnings allowed), 1 otherwise.
"""
import base64
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

H = lambda b: hashlib.sha256(b).digest()


def jcs(value):
    """RFC 8785 for the values auditq stores (integers within ±2^53; BMP member names)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_key(salt_tree, index, depth=24):
    """The key of leaf `index`: derived from the one node that covers it (at most one per depth)."""
    if isinstance(salt_tree, list):  # a header's node list: index it by (depth, prefix) once per call site
        salt_tree = {(n["depth"], n["prefix"]): n["key"] for n in salt_tree}
    for d in range(depth + 1):
        prefix = index >> (depth - d) if d else 0
        hexkey = salt_tree.get((d, prefix))
        if hexkey is None:
            continue
        key = bytes.fromhex(hexkey)
        for level in range(d, depth):
            bit = (index >> (depth - 1 - level)) & 1
            key = H(key + bytes([bit]))
        return key
    return None  # punctured: this record's salts were erased


def get_path(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def set_path(obj, path, value):
    parts = path.split(".")
    for part in parts[:-1]:
        if not isinstance(obj.get(part), dict):
            obj[part] = {}
        obj = obj[part]
    obj[parts[-1]] = value


def record_digest(record, leaf):
    if "expired" in record:
        return bytes.fromhex(record["expired"]["digest"])  # an expired stub keeps only its digest
    sealed = json.loads(json.dumps(record))
    erased = sealed.pop("erased", {})
    salts = sealed.pop("salts", {})
    for path in sealed.get("pd", []):
        if path in erased:
            commitment = bytes.fromhex(erased[path]["commitment"])
        else:
            salt = bytes.fromhex(salts[path]) if path in salts else H(leaf + b"\x02" + path.encode())
            commitment = H(salt + jcs(get_path(sealed["event"], path)))
        set_path(sealed["event"], path, "commit:" + commitment.hex())
    return H(jcs(sealed))


def merkle_root(leaves):
    if not leaves:
        return H(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return H(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


def members(data):
    """Yield (offset, decompressed bytes) for each gzip member of a segment file."""
    offset = 0
    while offset < len(data):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data[offset:])
        if not d.eof:
            yield offset, out, False
            return
        yield offset, out, True
        offset = len(data) - len(d.unused_data)


# --- Segment index files (docs/formats.md, "Segment index files") ---------------------------------

INDEX_FIELDS = ["transaction_id", "customer_code", "request_id", "correlation_id"]
PAGE_TARGET = 16384
M64 = (1 << 64) - 1


def fingerprint(value):
    h = 0xCBF29CE484222325
    for b in value.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    h ^= h >> 33
    return h >> 32


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def build_index(segment, first_seq, segment_bytes, blocks):
    """blocks: [(offset, first_seq, [event, ...])] in file order. Returns (file bytes, root)."""
    pages = []      # (bytes, count, first)
    sections = []   # (first page, page count, items)
    entries = [set() for _ in INDEX_FIELDS]
    table = []
    for number, (offset, first, events) in enumerate(blocks):
        end = blocks[number + 1][0] if number + 1 < len(blocks) else segment_bytes
        times = [ts_micros(e["ts"]) for e in events]
        table.append(struct.pack("<QIIQqq", offset, end - offset, len(events), first, min(times), max(times)))
        for e in events:
            for f, name in enumerate(INDEX_FIELDS):
                if isinstance(e.get(name), str):
                    entries[f].add((fingerprint(e[name]), number))
    start, page, count = 0, b"", 0
    for number, entry in enumerate(table):
        if count and len(page) + len(entry) > PAGE_TARGET:
            pages.append((page, count, first_block))
            page, count = b"", 0
        if not count:
            first_block = number
        page, count = page + entry, count + 1
    if count:
        pages.append((page, count, first_block))
    sections.append((start, len(pages) - start, len(table)))
    for field in entries:
        start, page, count, prev = len(pages), b"", 0, None
        for fp, block in sorted(field):
            if count == 0:
                enc = varint(block)
            else:
                delta = fp - prev[0]
                enc = varint(delta) + varint(block - prev[1] - 1 if delta == 0 else block)
            if count and len(page) + len(enc) > PAGE_TARGET:
                pages.append((page, count, first))
                page, count, enc = b"", 0, varint(block)
            if count == 0:
                first = fp
            page, count, prev = page + enc, count + 1, (fp, block)
        if count:
            pages.append((page, count, first))
        sections.append((start, len(pages) - start, len(field)))
    directory_bytes = 56 + 12 * len(sections) + 52 * len(pages)
    record_count = sum(len(b[2]) for b in blocks)
    d = b"auditqix" + struct.pack("<IIQQQQII", 1, directory_bytes, segment, first_seq, record_count,
                                   segment_bytes, len(table), len(pages))
    for s in sections:
        d += struct.pack("<III", *s)
    offset = directory_bytes
    for body, count, first in pages:
        d += struct.pack("<QIII", offset, len(body), count, first) + H(body)
        offset += len(body)
    return d + b"".join(p[0] for p in pages), H(d)


def ts_micros(ts):
    import datetime
    day, rest = ts[:19], ts[20:26]
    t = datetime.datetime.strptime(day, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return (int(t.timestamp()) * 1000000) + int(rest)


# --- Signatures (docs/formats.md, "Keys", "Checkpoints") ------------------------------------------

def ed25519_verify(public_key, message_path, signature_path):
    """Pure Ed25519 (RFC 8032) with the stock openssl command."""
    return subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", public_key, "-rawin",
                           "-in", message_path, "-sigfile", signature_path], capture_output=True).returncode == 0


def key_id(public_key):
    """The first 16 bytes of SHA-256 of the 32-byte raw key (the last 32 bytes of the SPKI DER), in hex."""
    pem = open(public_key).read()
    der = base64.b64decode("".join(l for l in pem.splitlines() if l and not l.startswith("-----")))
    return hashlib.sha256(der[-32:]).hexdigest()[:32]


def signed_document(path, fmt, public_key):
    """A document with an embedded signature (checkpoints, rewrites, the retention state): returns
    (document, problem or None). The signature covers the JCS encoding of the object without it."""
    try:
        doc = json.loads(open(path, "rb").read())
    except (OSError, ValueError) as e:
        return None, f"{path}: unreadable ({e})"
    if not isinstance(doc, dict) or doc.get("format") != fmt or doc.get("version") != 1:
        return None, f"{path}: not a {fmt} version 1"
    body = {k: v for k, v in doc.items() if k != "signature"}
    with tempfile.TemporaryDirectory() as tmp:
        message, signature = os.path.join(tmp, "body"), os.path.join(tmp, "sig")
        open(message, "wb").write(jcs(body))
        try:
            open(signature, "wb").write(base64.b64decode(doc.get("signature", ""), validate=True))
        except ValueError:
            return doc, f"{path}: signature is not base64"
        if not ed25519_verify(public_key, message, signature):
            return doc, f"{path}: signature does not verify"
    if doc.get("key_id") != key_id(public_key):
        return doc, f"{path}: key_id {doc.get('key_id')} is not the trusted key's"
    return doc, None


# --- A store (docs/formats.md, "Store layout" and everything it lists) -----------------------------

SEGMENT_FILE = re.compile(r"^segment-([0-9]{8,})(?:\.g([1-9][0-9]{0,8}))?(\.jsonl\.gz|\.index)$")
SEGMENT_DOCUMENT = re.compile(r"^segment-([0-9]{8,})(\.manifest\.json|\.manifest\.sig|\.rewrite\.json)$")


def parse_name(name):
    """(segment number, suffix, generation) of a file in segments/, or None."""
    m = SEGMENT_FILE.match(name)
    if m and int(m.group(1)) >= 1:
        return int(m.group(1)), m.group(3), int(m.group(2) or 0)
    m = SEGMENT_DOCUMENT.match(name)
    if m and int(m.group(1)) >= 1:
        return int(m.group(1)), m.group(2), 0
    return None


def generation_name(number, generation, suffix):
    return "segment-%08d" % number + (".g%d" % generation if generation else "") + suffix


def verify_retention_state(store, descriptor, public_key, problems, notes):
    """Checks retention.json; returns (first segment, first seq, h(first_seq - 1), previous manifest hash)."""
    genesis = (1, 1, H(("auditq-genesis:" + descriptor["store_id"]).encode()), None)
    path = os.path.join(store, "retention.json")
    if not os.path.exists(path):
        return genesis
    state, problem = signed_document(path, "auditq-retention-state", public_key)
    if problem or state["store_id"] != descriptor["store_id"] or state["first_segment"] < 2:
        problems.append(problem or "retention state: belongs to another store, or starts at segment 1")
        return genesis
    segment, seq = 1, 1
    for r in state["removed"]:
        if r["first_segment"] != segment or r["first_seq"] != seq or r["last_segment"] < segment or r["last_seq"] < seq:
            problems.append(f"retention state: removal of segments {r['first_segment']}-{r['last_segment']} does not follow segment {segment - 1}, record {seq - 1}")
        notes.append(f"NOTE records {r['first_seq']}-{r['last_seq']} (segments {r['first_segment']}-{r['last_segment']}, {r['records']} records) expired under policy {r['policy']} on {r['time']}")
        segment, seq = r["last_segment"] + 1, r["last_seq"] + 1
    if (segment, seq) != (state["first_segment"], state["first_seq"]):
        problems.append(f"retention state: removals end at segment {segment - 1}, record {seq - 1}, not before segment {state['first_segment']}, record {state['first_seq']}")
    return state["first_segment"], state["first_seq"], bytes.fromhex(state["prev_hash"]), state["prev_manifest_sha256"]


def verify_rewrite(seg_dir, number, manifest, manifest_bytes, store_id, public_key, problems):
    """Checks segment-N.rewrite.json against the manifest it extends; returns it, or None."""
    path = os.path.join(seg_dir, "segment-%08d.rewrite.json" % number)
    rewrite, problem = signed_document(path, "auditq-segment-rewrite", public_key)
    if rewrite is None:
        problems.append(problem)
        return None
    if problem:
        problems.append(f"segment {number}: {problem}")
    if (rewrite["store_id"] != store_id or rewrite["segment"] != number or rewrite["generation"] < 1
            or rewrite["file"] != generation_name(number, rewrite["generation"], ".jsonl.gz")
            or rewrite["manifest_sha256"] != hashlib.sha256(manifest_bytes).hexdigest()):
        problems.append(f"segment {number}: the rewrite document does not belong to this segment's manifest")
    same = lambda b: (b["first_seq"], b["count"], b["chain_head"])
    if [same(b) for b in rewrite["blocks"]] != [same(b) for b in manifest["blocks"]]:
        problems.append(f"segment {number}: the rewrite's blocks do not hold the records the manifest's blocks hold")
    return rewrite


def verify(store, public_key):
    problems, notes = [], []
    descriptor = json.load(open(os.path.join(store, "store.json")))
    store_id = descriptor["store_id"]
    first_segment, seq_expected, chain, prev_manifest = verify_retention_state(store, descriptor, public_key, problems, notes)
    seg_dir = os.path.join(store, "segments")
    files = {}  # number -> {(suffix, generation)}
    for name in sorted(os.listdir(seg_dir)):
        parsed = parse_name(name)
        if parsed:
            files.setdefault(parsed[0], set()).add(parsed[1:])
        elif name.endswith(".tmp") and parse_name(name[:-4]):
            notes.append(f"WARNING {name}: temporary file of a write in progress or interrupted")
        else:
            problems.append(f"{name}: not part of the store format")
    for number in sorted(n for n in files if n < first_segment):
        notes.append(f"WARNING segment {number}: removed by retention, but files are still present (an interrupted run)")
    numbers = sorted(n for n in files if n >= first_segment)
    for a, b in zip([first_segment - 1] + numbers, numbers):
        if b != a + 1:
            problems.append(f"segments {a + 1} to {b - 1} are missing")
    for number in numbers:
        manifest = None
        try:
            kinds = files[number]
            rewrite = None
            if (".manifest.json", 0) in kinds:
                manifest_path = os.path.join(seg_dir, "segment-%08d.manifest.json" % number)
                manifest_bytes = open(manifest_path, "rb").read()
                manifest = json.loads(manifest_bytes)
                if not ed25519_verify(public_key, manifest_path, manifest_path[:-5] + ".sig"):
                    problems.append(f"segment {number}: manifest signature does not verify")
                if manifest["store_id"] != store_id or manifest["segment"] != number:
                    problems.append(f"segment {number}: the manifest is another segment's")
                if manifest["prev_manifest_sha256"] != prev_manifest:
                    problems.append(f"segment {number}: manifest does not link to the previous one")
                prev_manifest = hashlib.sha256(manifest_bytes).hexdigest()
                if (".rewrite.json", 0) in kinds:
                    rewrite = verify_rewrite(seg_dir, number, manifest, manifest_bytes, store_id, public_key, problems)
            elif (".rewrite.json", 0) in kinds:
                problems.append(f"segment {number}: a rewrite document but no manifest")
            generation = rewrite["generation"] if rewrite else 0
            for suffix, g in sorted(kinds):
                if suffix in (".jsonl.gz", ".index") and g != generation:
                    why = "superseded by generation %d" % generation if g < generation else "of a rewrite that was not committed"
                    notes.append(f"WARNING {generation_name(number, g, suffix)}: {why} (an interrupted run; rerunning it deletes the file)")
            signed = rewrite or manifest  # the file-level members: segment_sha256, segment_bytes, blocks, index
            try:
                data = open(os.path.join(seg_dir, generation_name(number, generation, ".jsonl.gz")), "rb").read()
            except FileNotFoundError:
                problems.append(f"segment {number}: {generation_name(number, generation, '.jsonl.gz')} is missing")
                if manifest:
                    chain, seq_expected = bytes.fromhex(manifest["chain_head"]), manifest["last_seq"] + 1
                continue
            if signed and (hashlib.sha256(data).hexdigest() != signed["segment_sha256"] or len(data) != signed["segment_bytes"]):
                problems.append(f"segment {number}: file SHA-256 differs from the {'rewrite document' if rewrite else 'manifest'}")
            parts = list(members(data))
            header = json.loads(parts[0][1])
            if (header["store_id"] != store_id or header["segment"] != number or header["first_seq"] != seq_expected
                    or bytes.fromhex(header["prev_hash"]) != chain):
                problems.append(f"segment {number}: does not continue the chain at record {seq_expected}")
            leaves, blocks, index_blocks = [], [], []
            erased_values, erased_records, expired = {}, {}, {}
            tree = {(n["depth"], n["prefix"]): n["key"] for n in header["salt_tree"]}
            for offset, body, complete in parts[1:]:
                lines = body.split(b"\n")
                index_blocks.append((offset, None, []))
                for line in lines[:-1]:
                    record = json.loads(line)
                    if index_blocks[-1][1] is None:
                        index_blocks[-1] = (offset, record["seq"], index_blocks[-1][2])
                    if "expired" in record:
                        # An expired stub keeps its time (for the index) but no keys.
                        index_blocks[-1][2].append({"ts": record["ts"]})
                        policy = record["expired"]["policy"]
                        expired[policy] = expired.get(policy, 0) + 1
                    else:
                        index_blocks[-1][2].append(record["event"])
                        refs = [e["ref"] for e in record.get("erased", {}).values()]
                        for ref in refs:
                            erased_values[ref] = erased_values.get(ref, 0) + 1
                        for ref in set(refs):
                            erased_records[ref] = erased_records.get(ref, 0) + 1
                    if record["seq"] != seq_expected:
                        problems.append(f"segment {number}: record {record['seq']} where {seq_expected} belongs")
                    leaf = leaf_key(tree, record["seq"] - header["first_seq"])
                    d = record_digest(record, leaf)
                    chain = H(chain + d)
                    leaves.append(H(b"\x00" + d))
                    seq_expected = record["seq"] + 1
                blocks.append((offset, len(lines) - 1, chain.hex()))
            if signed:
                table = [(b["offset"], b["count"], b["chain_head"]) for b in signed["blocks"]]
                for block in table:
                    if block not in blocks:
                        problems.append(f"segment {number}: block at byte {block[0]} does not match its signed offset, count and chain head")
                if len(blocks) != len(table):
                    problems.append(f"segment {number}: {len(blocks)} blocks in the file, {len(table)} signed")
                if merkle_root(leaves).hex() != manifest["merkle_root"]:
                    problems.append(f"segment {number}: Merkle root differs from the manifest")
                if chain.hex() != manifest["chain_head"] or len(leaves) != manifest["record_count"]:
                    problems.append(f"segment {number}: records do not produce the manifest's chain head and count")
                if "index" in signed:
                    built, root = build_index(number, header["first_seq"], len(data), index_blocks)
                    if root.hex() != signed["index"]["root"] or len(built) != signed["index"]["bytes"]:
                        problems.append(f"segment {number}: the records do not produce the index the {'rewrite document' if rewrite else 'manifest'} signs")
                    try:
                        on_disk = open(os.path.join(seg_dir, generation_name(number, generation, ".index")), "rb").read()
                        if on_disk != built:
                            problems.append(f"segment {number}: index file differs from the signed index")
                    except FileNotFoundError:
                        print(f"NOTE segment {number}: index file missing (auditq index rebuild restores it)")
                chain = bytes.fromhex(manifest["chain_head"])
                seq_expected = manifest["last_seq"] + 1
            if rewrite:
                # What the records show as erased and expired must be what the rewrite signs. A value erased
                # and later expired with its record no longer shows: erased counts are upper bounds.
                signed_erased = {e["ref"]: e for e in rewrite["erased"]}
                signed_expired = {}
                for e in rewrite["expired"]:
                    signed_expired[e["policy"]] = signed_expired.get(e["policy"], 0) + e["records"]
                if (any(ref not in signed_erased or n > signed_erased[ref]["values"] for ref, n in erased_values.items())
                        or any(n > signed_erased[ref]["records"] for ref, n in erased_records.items() if ref in signed_erased)
                        or expired != signed_expired):
                    problems.append(f"segment {number}: erased values and expired records differ from what the rewrite document signs")
                for e in rewrite["erased"]:
                    notes.append(f"NOTE segment {number}: {e['values']} value(s) in {e['records']} record(s) erased under {e['ref']}")
                for e in rewrite["expired"]:
                    notes.append(f"NOTE segment {number}: {e['records']} record(s) expired under policy {e['policy']}")
            elif expired or erased_values:
                problems.append(f"segment {number}: records are erased or expired, but no rewrite document signs it")
        except (ValueError, KeyError, IndexError, TypeError, zlib.error, OSError) as e:
            # Unreadable bytes or a malformed document: a finding, then on from what the manifest signs.
            problems.append(f"segment {number}: unreadable or malformed ({type(e).__name__}: {e})")
            if manifest:
                chain, seq_expected = bytes.fromhex(manifest["chain_head"]), manifest["last_seq"] + 1
    for n in notes:
        print(n)
    for p in problems:
        print("FINDING", p)
    print(f"{'INTACT' if not problems else 'FAILED'}: {len(numbers)} segments from segment {first_segment}, records through {seq_expected - 1}")
    return not problems


def verify_inclusion(leaf_hash, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = H(b"\x01" + p + r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = H(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_bundle(path, public_key):
    """Checks an `auditq export` bundle: manifest signatures (openssl), then each record's digest from its
    own line and salts, and its inclusion proof against the signed Merkle root."""
    bundle = json.load(open(path))
    problems, manifests = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for number, signed in bundle["manifests"].items():
            body, sig = os.path.join(tmp, number + ".json"), os.path.join(tmp, number + ".sig")
            open(body, "wb").write(base64.b64decode(signed["manifest"]))
            open(sig, "wb").write(base64.b64decode(signed["signature"]))
            ok = ed25519_verify(public_key, body, sig)
            manifest = json.loads(open(body, "rb").read())
            if not ok or manifest["segment"] != int(number) or manifest["store_id"] != bundle["store_id"]:
                problems.append(f"segment {number}: manifest signature or identity does not verify")
            else:
                manifests[int(number)] = manifest
    for entry in bundle["records"]:
        manifest = manifests.get(entry["segment"])
        record = json.loads(entry["record"])
        if manifest is None or record["seq"] != entry["seq"] or entry["leaf_index"] != entry["seq"] - manifest["first_seq"]:
            problems.append(f"record {entry['seq']}: not placed in a verified manifest")
            continue
        if entry["salts"]:
            # A record whose leaf key an erasure removed carries its salts in its line; the bundle gives
            # salts only for records without them.
            if "salts" in record:
                problems.append(f"record {entry['seq']}: salts both in its line and in the bundle")
                continue
            record["salts"] = entry["salts"]
        leaf_hash = H(b"\x00" + record_digest(record, b""))
        proof = [bytes.fromhex(h) for h in entry["proof"]]
        if not verify_inclusion(leaf_hash, entry["leaf_index"], manifest["record_count"], proof, bytes.fromhex(manifest["merkle_root"])):
            problems.append(f"record {entry['seq']}: not included under the signed Merkle root")
    for p in problems:
        print("FINDING", p)
    print(f"{'PROVEN' if not problems else 'FAILED'}: {len(bundle['records']) - len(problems)} of {len(bundle['records'])} records")
    return not problems


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bundle":
        sys.exit(0 if verify_bundle(sys.argv[2], sys.argv[3]) else 1)
    if len(sys.argv) == 3 and sys.argv[1] == "--record-digest":
        print(record_digest(json.loads(sys.stdin.read()), bytes.fromhex(sys.argv[2])).hex())
        sys.exit(0)
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(0 if verify(sys.argv[1], sys.argv[2]) else 1)
