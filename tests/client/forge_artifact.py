#!/usr/bin/python3
"""forge_artifact.py - an altered artifact message, for the adversarial
client tests, with its `hash` recomputed the way the client recomputes it
(so that the checks behind the hash check are reached).

    forge_artifact.py IN.json OUT.json [PATH=JSON]... [--rehash]

PATH is dotted (beacon.immutable_file_number, signers.0.stake,
digests.locations.0.uri); JSON its new value (a bare word is a string).
Hashes: CardanoDatabase SHA-256(epoch u64 BE || merkle_root); stake
distribution SHA-256(epoch u64 BE || each signer's hex SHA-256(party_id ||
verification_key || [verification_key_signature] || [operational_certificate]
|| stake u64 BE)). Prints the new hash."""
import hashlib
import json
import struct
import sys


def set_path(doc, path, value):
    keys = path.split(".")
    for k in keys[:-1]:
        doc = doc[int(k)] if isinstance(doc, list) else doc[k]
    last = keys[-1]
    if isinstance(doc, list):
        doc[int(last)] = value
    else:
        doc[last] = value


def artifact_hash(a):
    if "beacon" in a:
        h = hashlib.sha256(struct.pack(">Q", a["beacon"]["epoch"]) + a["merkle_root"].encode())
        return h.hexdigest()
    h = hashlib.sha256(struct.pack(">Q", a["epoch"]))
    for s in a["signers"]:
        sh = hashlib.sha256((s["party_id"] + s["verification_key"]).encode())
        for k in ("verification_key_signature", "operational_certificate"):
            if s.get(k):
                sh.update(s[k].encode())
        sh.update(struct.pack(">Q", s["stake"]))
        h.update(sh.hexdigest().encode())
    return h.hexdigest()


def main():
    src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(src) as f:
        a = json.load(f)
    rehash = "--rehash" in edits
    for e in edits:
        if e == "--rehash":
            continue
        path, _, raw = e.partition("=")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        set_path(a, path, value)
    if rehash:
        a["hash"] = artifact_hash(a)
    with open(dst, "w") as f:
        json.dump(a, f)
    print(a["hash"])


main()
