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

Exit status 0 when everything matches, 1 otherwise.
"""
import gzip
import hashlib
import struct
import json
import os
import subprocess
import sys
import zlib

H = lambda b: hashlib.sha256(b).digest()


def jcs(value):
    """RFC 8785 for the values auditq stores (integers within ±2^53; BMP member names)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_key(salt_tree, index, depth=24):
    for node in salt_tree:
        d, prefix = node["depth"], node["prefix"]
        if d == 0 or (index >> (depth - d)) == prefix:
            key = bytes.fromhex(node["key"])
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


def verify(store, public_key):
    problems = []
    descriptor = json.load(open(os.path.join(store, "store.json")))
    chain = H(("auditq-genesis:" + descriptor["store_id"]).encode())
    seq_expected = 1
    prev_manifest = None
    seg_dir = os.path.join(store, "segments")
    numbers = sorted({int(n[8:16]) for n in os.listdir(seg_dir) if n.startswith("segment-")})
    for number in numbers:
        base = os.path.join(seg_dir, "segment-%08d" % number)
        data = open(base + ".jsonl.gz", "rb").read()
        sealed = os.path.exists(base + ".manifest.json")
        manifest = None
        if sealed:
            manifest_bytes = open(base + ".manifest.json", "rb").read()
            manifest = json.loads(manifest_bytes)
            ok = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", public_key, "-rawin",
                                 "-in", base + ".manifest.json", "-sigfile", base + ".manifest.sig"],
                                capture_output=True).returncode == 0
            if not ok:
                problems.append(f"segment {number}: manifest signature does not verify")
            if hashlib.sha256(data).hexdigest() != manifest["segment_sha256"]:
                problems.append(f"segment {number}: file SHA-256 differs from the manifest")
            if manifest["prev_manifest_sha256"] != prev_manifest:
                problems.append(f"segment {number}: manifest does not link to the previous one")
            prev_manifest = hashlib.sha256(manifest_bytes).hexdigest()
        parts = list(members(data))
        header = json.loads(parts[0][1])
        if header["first_seq"] != seq_expected or bytes.fromhex(header["prev_hash"]) != chain:
            problems.append(f"segment {number}: does not continue the chain at record {seq_expected}")
        leaves = []
        block_heads = {}
        index_blocks = []
        for offset, body, complete in parts[1:]:
            lines = body.split(b"\n")
            index_blocks.append((offset, None, []))
            for line in lines[:-1]:
                record = json.loads(line)
                if index_blocks[-1][1] is None:
                    index_blocks[-1] = (offset, record["seq"], index_blocks[-1][2])
                index_blocks[-1][2].append(record["event"])
                if record["seq"] != seq_expected:
                    problems.append(f"segment {number}: record {record['seq']} where {seq_expected} belongs")
                leaf = leaf_key(header["salt_tree"], record["seq"] - header["first_seq"])
                d = record_digest(record, leaf)
                chain = H(chain + d)
                leaves.append(H(b"\x00" + d))
                seq_expected = record["seq"] + 1
            block_heads[offset] = chain.hex()
        if manifest:
            for block in manifest["blocks"]:
                if block_heads.get(block["offset"]) != block["chain_head"]:
                    problems.append(f"segment {number}: block at byte {block['offset']} does not match its signed chain head")
            if merkle_root(leaves).hex() != manifest["merkle_root"]:
                problems.append(f"segment {number}: Merkle root differs from the manifest")
            if chain.hex() != manifest["chain_head"]:
                problems.append(f"segment {number}: chain head differs from the manifest")
            if "index" in manifest:
                built, root = build_index(number, header["first_seq"], len(data), index_blocks)
                if root.hex() != manifest["index"]["root"] or len(built) != manifest["index"]["bytes"]:
                    problems.append(f"segment {number}: the records do not produce the index the manifest signs")
                try:
                    on_disk = open(base + ".index", "rb").read()
                    if on_disk != built:
                        problems.append(f"segment {number}: index file differs from the signed index")
                except FileNotFoundError:
                    print(f"NOTE segment {number}: index file missing (auditq index rebuild restores it)")
            chain = bytes.fromhex(manifest["chain_head"])
            seq_expected = manifest["last_seq"] + 1
    for p in problems:
        print("FINDING", p)
    print(f"{'INTACT' if not problems else 'FAILED'}: {len(numbers)} segments, records through {seq_expected - 1}")
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
    import base64
    import tempfile
    bundle = json.load(open(path))
    problems, manifests = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for number, signed in bundle["manifests"].items():
            body, sig = os.path.join(tmp, number + ".json"), os.path.join(tmp, number + ".sig")
            open(body, "wb").write(base64.b64decode(signed["manifest"]))
            open(sig, "wb").write(base64.b64decode(signed["signature"]))
            ok = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", public_key, "-rawin",
                                 "-in", body, "-sigfile", sig], capture_output=True).returncode == 0
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
