#!/usr/bin/python3
"""Independent checker of a Cardano node database layout (spec cardano-db.md
1.1 and 5): used on cardano-node-sim output and on the real node samples.

  check_node_db.py DB_OR_IMMUTABLE_DIR --chunk-size N [--k K] [--sim]

Checks every trio: .primary (version 1, u32 BE offsets, final size
1 + 4*(chunk_size+2) for all but the last chunk, slot -> entry mapping),
.secondary (56-byte entries: block offsets, CRC32 via zlib, BLAKE2b-256
header hash via hashlib, slots), .chunk (CBOR blocks starting 82 07 85,
header fields, body size/hash, prev_hash chaining, consecutive block
numbers). With --sim also volatile/ (the last <= k blocks, chaining on),
ledger/ (<= 2 in-memory snapshots), protocolMagicId and node.socket.
Prints a summary line; exits 1 with the reason on the first violation."""
import hashlib
import json
import os
import re
import struct
import sys
import zlib


class Bad(Exception):
    pass


def b2b(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def cbor_head(buf, i):
    ib = buf[i]
    major, ai = ib >> 5, ib & 31
    i += 1
    if ai < 24:
        return major, ai, i
    if ai == 31:
        return major, None, i  # indefinite
    n = {24: 1, 25: 2, 26: 4, 27: 8}.get(ai)
    if n is None:
        raise Bad("bad CBOR additional info %d at %d" % (ai, i - 1))
    return major, int.from_bytes(buf[i:i + n], "big"), i + n


def cbor_skip(buf, i):
    """Index just after the CBOR item starting at i."""
    major, v, i = cbor_head(buf, i)
    if major in (0, 1, 7):
        return i
    if major in (2, 3):
        if v is None:
            while buf[i] != 0xFF:
                i = cbor_skip(buf, i)
            return i + 1
        return i + v
    if major == 6:
        return cbor_skip(buf, i)
    if major in (4, 5):
        per = 2 if major == 5 else 1
        if v is None:
            while buf[i] != 0xFF:
                i = cbor_skip(buf, i)
            return i + 1
        for _ in range(v * per):
            i = cbor_skip(buf, i)
        return i
    raise Bad("bad CBOR major %d" % major)


def cbor_uint(buf, i):
    major, v, j = cbor_head(buf, i)
    if major != 0:
        raise Bad("expected uint at %d" % i)
    return v, j


def cbor_bytes(buf, i):
    major, v, j = cbor_head(buf, i)
    if major != 2 or v is None:
        raise Bad("expected bytes at %d" % i)
    return buf[j:j + v], j + v


def parse_block(blk):
    """(header_size, header_hash, block_no, slot, prev_hash|None) of a Conway block."""
    if blk[:3] != b"\x82\x07\x85":
        raise Bad("block does not start 82 07 85 (Conway, 5 items): %s" % blk[:3].hex())
    h_end = cbor_skip(blk, 3)
    header = blk[3:h_end]
    major, n, i = cbor_head(blk, 3)
    if major != 4 or n != 2:
        raise Bad("header is not [header_body, signature]")
    body_start = i
    major, n, i = cbor_head(blk, i)
    if major != 4 or n != 10:
        raise Bad("header_body is not an array of 10")
    block_no, i = cbor_uint(blk, i)
    slot, i = cbor_uint(blk, i)
    if blk[i] == 0xF6:
        prev, i = None, i + 1
    else:
        prev, i = cbor_bytes(blk, i)
        if len(prev) != 32:
            raise Bad("prev_hash is %d bytes" % len(prev))
    for _ in range(3):  # issuer_vkey, vrf_vkey, vrf_result
        i = cbor_skip(blk, i)
    body_size, i = cbor_uint(blk, i)
    body_hash, i = cbor_bytes(blk, i)
    i = cbor_skip(blk, i)  # operational_cert
    i = cbor_skip(blk, i)  # protocol_version
    if i != cbor_skip(blk, body_start):
        raise Bad("header_body has trailing fields")
    sig, i = cbor_bytes(blk, i)
    if len(sig) != 448:
        raise Bad("KES signature is %d bytes, want 448" % len(sig))
    # body: 4 items after the header
    j, hashes = h_end, b""
    for _ in range(4):
        k = cbor_skip(blk, j)
        hashes += b2b(blk[j:k])
        j = k
    if j != len(blk):
        raise Bad("block has %d trailing bytes" % (len(blk) - j))
    if len(blk) - h_end != body_size:
        raise Bad("block_body_size %d != actual %d" % (body_size, len(blk) - h_end))
    if b2b(hashes) != body_hash:
        raise Bad("block_body_hash mismatch at slot %d" % slot)
    return len(header), b2b(header), block_no, slot, prev


class Chain:
    def __init__(self):
        self.prev_hash = None
        self.block_no = None
        self.slot = None
        self.blocks = 0

    def add(self, what, bno, slot, prev, hh):
        if self.blocks == 0:
            # a chain from genesis has no prev; a partial sample may start anywhere
            pass
        else:
            if prev != self.prev_hash:
                raise Bad("%s: prev_hash does not chain to the previous block" % what)
            if bno != self.block_no + 1:
                raise Bad("%s: block number %d after %d" % (what, bno, self.block_no))
            if slot <= self.slot:
                raise Bad("%s: slot %d not after %d" % (what, slot, self.slot))
        self.prev_hash, self.block_no, self.slot = hh, bno, slot
        self.blocks += 1


def check_immutable(imm, chunk_size, chain, from_genesis):
    names = sorted(os.listdir(imm))
    nums = {}
    for n in names:
        m = re.fullmatch(r"(\d{5})\.(chunk|primary|secondary)", n)
        if not m:
            raise Bad("unexpected file in immutable/: %s" % n)
        nums.setdefault(int(m.group(1)), set()).add(m.group(2))
    if not nums:
        raise Bad("no immutable files")
    first, last = min(nums), max(nums)
    if sorted(nums) != list(range(first, last + 1)):
        raise Bad("trio numbers are not contiguous")
    final_size = 1 + 4 * (chunk_size + 2)
    skipped = 0
    for no in range(first, last + 1):
        if nums[no] != {"chunk", "primary", "secondary"}:
            raise Bad("%05d: incomplete trio %s" % (no, sorted(nums[no])))
        rd = lambda ext: open(os.path.join(imm, "%05d.%s" % (no, ext)), "rb").read()
        chunk, prim, sec = rd("chunk"), rd("primary"), rd("secondary")
        tag = "%05d" % no
        if prim[:1] != b"\x01" or (len(prim) - 1) % 4:
            raise Bad("%s.primary: bad version or size %d" % (tag, len(prim)))
        offs = [struct.unpack(">I", prim[1 + 4 * i:5 + 4 * i])[0] for i in range((len(prim) - 1) // 4)]
        if no != last and len(prim) != final_size:
            raise Bad("%s.primary: %d bytes, a finalised chunk has %d" % (tag, len(prim), final_size))
        if len(offs) > chunk_size + 2 or not offs or offs[0] != 0:
            raise Bad("%s.primary: %d offsets, first %s" % (tag, len(offs), offs[:1]))
        if offs[-1] != len(sec) or len(sec) % 56:
            raise Bad("%s: last primary offset %d != secondary size %d" % (tag, offs[-1], len(sec)))
        filled = []
        for i in range(len(offs) - 1):
            d = offs[i + 1] - offs[i]
            if d not in (0, 56):
                raise Bad("%s.primary: offsets %d -> %d" % (tag, offs[i], offs[i + 1]))
            if d:
                filled.append(i)
        entries = [sec[k:k + 56] for k in range(0, len(sec), 56)]
        if len(filled) != len(entries):
            raise Bad("%s: %d filled slots, %d secondary entries" % (tag, len(filled), len(entries)))
        if not entries:
            if chunk:
                raise Bad("%s: empty index but %d chunk bytes" % (tag, len(chunk)))
            skipped += 1
            continue
        for idx, e in enumerate(entries):
            boff, hoff, hsize, crc = struct.unpack(">QHHI", e[:16])
            hhash, slot = e[16:48], struct.unpack(">Q", e[48:56])[0]
            end = struct.unpack(">Q", entries[idx + 1][:8])[0] if idx + 1 < len(entries) else len(chunk)
            if idx == 0 and boff != 0 or end <= boff or end > len(chunk):
                raise Bad("%s.secondary[%d]: block offsets %d..%d" % (tag, idx, boff, end))
            blk = chunk[boff:end]
            if zlib.crc32(blk) != crc:
                raise Bad("%s.secondary[%d]: CRC32 mismatch" % (tag, idx))
            if hoff != 3 or hashlib.blake2b(blk[hoff:hoff + hsize], digest_size=32).digest() != hhash:
                raise Bad("%s.secondary[%d]: header hash mismatch" % (tag, idx))
            if slot // chunk_size != no or slot % chunk_size + 1 != filled[idx]:
                raise Bad("%s.secondary[%d]: slot %d is not at relative slot %d" % (tag, idx, slot, filled[idx]))
            size, hh, bno, bslot, prev = parse_block(blk)
            if size != hsize or hh != hhash or bslot != slot:
                raise Bad("%s.secondary[%d]: entry does not describe its block" % (tag, idx))
            if chain.blocks == 0 and from_genesis and (prev is not None or bno != 0):
                raise Bad("first block is not a genesis successor (prev %s, block %d)" % (prev, bno))
            chain.add("%s block %d" % (tag, idx), bno, slot, prev, hh)
    return last - first + 1, skipped


def check_sim_extras(db, chain, k):
    vol = os.path.join(db, "volatile")
    vfiles = sorted(os.listdir(vol), key=lambda n: int(re.fullmatch(r"blocks-(\d+)\.dat", n).group(1)))
    if len(vfiles) > k:
        raise Bad("volatile/ has %d blocks, more than k=%d" % (len(vfiles), k))
    for n in vfiles:
        blk = open(os.path.join(vol, n), "rb").read()
        _, hh, bno, slot, prev = parse_block(blk)
        if n != "blocks-%d.dat" % bno:
            raise Bad("volatile/%s holds block %d" % (n, bno))
        chain.add("volatile/" + n, bno, slot, prev, hh)
    led = os.path.join(db, "ledger")
    snaps = os.listdir(led)
    if len(snaps) > 2 or any(not s.isdigit() for s in snaps):
        raise Bad("ledger/ holds %s (want <= 2 slot-named snapshots)" % snaps)
    for s in snaps:
        meta = json.load(open(os.path.join(led, s, "meta")))
        if meta.get("backend") != "utxohd-mem":
            raise Bad("ledger/%s/meta backend is %r" % (s, meta.get("backend")))
        for f in ("state", "tables"):
            if not os.path.isfile(os.path.join(led, s, f)):
                raise Bad("ledger/%s/%s missing" % (s, f))
    magic = open(os.path.join(db, "protocolMagicId")).read()
    if not magic.isdigit():
        raise Bad("protocolMagicId is %r" % magic)
    st = json.load(open(os.path.join(db, "node.socket")))
    tip = st["tip"]
    if chain.blocks and (tip["hash"] != chain.prev_hash.hex() or tip["slot"] != chain.slot
                         or tip["block"] != chain.block_no):
        raise Bad("node.socket tip %s is not the last block (%d)" % (tip, chain.block_no))
    if str(st["magic"]) != magic:
        raise Bad("state magic %s != protocolMagicId %s" % (st["magic"], magic))
    return len(vfiles), len(snaps)


def main():
    args = sys.argv[1:]
    opt = lambda name, default: int(args[args.index(name) + 1]) if name in args else default
    path, chunk_size, k, sim = args[0], opt("--chunk-size", 100), opt("--k", 10), "--sim" in args
    imm = path if os.path.basename(path.rstrip("/")) == "immutable" else os.path.join(path, "immutable")
    chain = Chain()
    try:
        trios, skipped = check_immutable(imm, chunk_size, chain, from_genesis=sim)
        extra = check_sim_extras(path, chain, k) if sim else None
    except (Bad, OSError, ValueError, KeyError, IndexError) as e:
        print("check_node_db: %s: %s" % (path, e), file=sys.stderr)
        return 1
    print("ok %s: %d trios (%d without blocks), %d blocks%s" % (
        path, trios, skipped, chain.blocks,
        ", %d volatile, %d ledger snapshots" % extra if extra else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
