#!/usr/bin/python3
"""forge_proof.py - altered transaction / block proof messages for the
client tests (tests/client/client_tx_proofs.sh), from one message of the
reference data (ctx-proofs.json, ctx-proofs-v2.json, cblk-proofs.json).

    forge_proof.py FILE HASH MODE OUT.json [ARG]

FILE's message keyed by HASH, altered by MODE, is written to OUT.json:
  flip-item       v1: one byte of the first proof item of the master proof
                  (the JSON-hex is re-encoded as the reference writes it)
  flip-byte N     v2/blocks: byte N of the bincode proof (negative: from the end)
  certificate H   the message names certificate H instead
  fake-leaf H     v1: the transactions.md forgery: H (a transaction that is
                  not in the tree) listed as a leaf at the position of the real
                  leaf of its range's sub-proof, and added to transactions_hashes
"""
import json
import sys


def compact(x):
    return json.dumps(x, separators=(",", ":"))


def main():
    path, key, mode, out = sys.argv[1:5]
    arg = sys.argv[5] if len(sys.argv) > 5 else None
    msg = json.load(open(path))[key]
    if mode == "certificate":
        msg["certificate_hash"] = arg
    elif mode in ("flip-item", "fake-leaf"):
        entry = msg["certified_transactions"][0]
        proof = json.loads(bytes.fromhex(entry["proof"]))
        if mode == "flip-item":
            proof["master_proof"]["inner_proof_items"][0]["hash"][0] ^= 1
        else:
            sub = proof["sub_proofs"][0][1]["master_proof"]
            pos = sub["inner_leaves"][0][0]
            sub["inner_leaves"].append([pos, {"hash": list(arg.encode())}])
            entry["transactions_hashes"].append(arg)
        entry["proof"] = compact(proof).encode().hex()
    elif mode == "flip-byte":
        field = "certified_blocks" if "certified_blocks" in msg else "certified_transactions"
        raw = bytearray.fromhex(msg[field]["proof"])
        raw[int(arg)] ^= 1
        msg[field]["proof"] = raw.hex()
    else:
        sys.exit("forge_proof.py: unknown mode " + mode)
    json.dump(msg, open(out, "w"))


main()
