#!/usr/bin/python3
"""mithril-signer against a tiny fake aggregator and a fake cardano-cli, for
what the real aggregator and cardano-node-sim cannot be made to do.

The signer against the real mithril-aggregator over cardano-node-sim (one
registration per epoch with the key it stored 0600, certificates, kill -9 of
a signer after registering or mid-epoch, kill -9 of the aggregator, a signer
started before the aggregator, SIGTERM) is tests/signer/signer_real_aggregator.sh.

Checked here: --help and bad configuration; faults injected by the fake
aggregator: 500s, requests hanging past the timeout, malformed epoch
settings, a registration answered 500 then kill -9 (the restarted signer
posts the *same* key), a signature answered 404 (message not open yet, retried)
and one refused with 400 (given up, the others still signed); every request
carries mithril-api-version; the digest cache is used on the next rounds; old
keys are deleted. Identity, with node answers the fake cardano-cli makes up:
the party id is the pool id of the opcert (pool files made by
cardano-node-sim), every registration carries the opcert, the KES signature
and the KES evolutions the node reports; an expired KES key or a superseded
opcert gives no registration; PARTY_ID alone only behind
ALLOW_UNAUTHENTICATED_SIGNER, with a warning.
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUILD = os.environ.get("MTL_BUILD_DIR", ".")
SIGNER = os.path.join(BUILD, "src/signer/mithril-signer")
SIM = os.path.join(BUILD, "tools/cardano-node-sim/cardano-node-sim")
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


# ---- bech32 pool ids (BIP-173), for the fake cardano-cli ----------------------
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def bech32(hrp, data):
    acc, bits, out = 0, 0, []
    for b in data:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    hx = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _polymod(hx + out + [0] * 6) ^ 1
    out += [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in out)


# The signer's request timeout: generous, so that a slow answer on a loaded
# machine (ASan, 2 cores shared) is not taken for a failure and retried; the
# hanging routes answer well past it.
TIMEOUT_MS = 5000
HANG_S = TIMEOUT_MS / 1000 + 3

FAKE_CLI = r'''#!/usr/bin/python3
import json, os, sys
st = json.load(open(os.environ["CARDANO_NODE_SOCKET_PATH"]))
a = sys.argv[1:]
if "tip" in a:
    print(json.dumps({"block": 100 * st["epoch"], "epoch": st["epoch"], "era": "Conway",
                      "hash": "ab" * 32, "slot": 1000 * st["epoch"], "syncProgress": "100.00"}))
elif "kes-period-info" in a:
    # cardano-cli's shape: check marks, then the JSON (opcert from period 0, issue 0)
    cur = st.get("kesPeriod", 0)
    print("\u2713 Operational certificate's KES period is within the correct KES period interval")
    print(json.dumps({"qKesCurrentKesPeriod": cur, "qKesEndKesInterval": 62,
                      "qKesKesKeyExpiry": None, "qKesMaxKESEvolutions": 62,
                      "qKesNodeStateOperationalCertificateNumber": st.get("nodeCounter", 0),
                      "qKesOnDiskOperationalCertificateNumber": 0,
                      "qKesRemainingSlotsInKesPeriod": None, "qKesSlotsPerKesPeriod": 1000,
                      "qKesStartKesInterval": 0}, indent=4, sort_keys=True))
elif "stake-snapshot" in a:
    if st.get("crossOnSnapshot"):
        # the chain enters the next epoch while its stakes are being read
        st = st["crossOnSnapshot"]
        with open(os.environ["CARDANO_NODE_SOCKET_PATH"] + ".tmp", "w") as fh:
            json.dump(st, fh)
        os.replace(os.environ["CARDANO_NODE_SOCKET_PATH"] + ".tmp",
                   os.environ["CARDANO_NODE_SOCKET_PATH"])
    pools = {h: {"stakeGo": s, "stakeMark": s, "stakeSet": s} for h, s in st["pools"].items()}
    t = sum(st["pools"].values())
    print(json.dumps({"pools": pools, "total": {"stakeGo": t, "stakeMark": t, "stakeSet": t}}))
else:
    sys.stderr.write("fake cardano-cli: unsupported %s\n" % a)
    sys.exit(1)
'''


# ---- the fake aggregator --------------------------------------------------------
class World:
    def __init__(self):
        self.lock = threading.Lock()
        self.epoch = 10
        self.regs = {}  # recording epoch -> {party: verification_key} (accepted)
        self.attempts = []  # (recording epoch, party, vk, accepted)
        self.sigs = []  # (entity json, signed_message, party) accepted
        self.sig_posts = []  # (entity json, status) every attempt
        self.sig_mode = None  # "404-once": first post of an entity 404; "400-cdb": DB refused
        self.fail = set()  # routes answering 500
        self.hang = set()  # routes answering after HANG_S
        self.garbage = 0  # answer that many GETs with malformed bodies
        self.garbage_served = 0
        self.errors_served = 0
        self.missing_header = 0
        self.params = {"k": 2, "m": 20, "phi_f": 0.9}
        self.bodies = []  # every /register-signer body

    def signers(self, key):
        return [{"party_id": p, "verification_key": vk} for p, vk in self.regs.get(key, {}).items()]


W = World()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the signer hanging up (timeout, kill -9) is expected here


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self):
        if self.headers.get("mithril-api-version") is None:
            W.missing_header += 1
        p = self.path.removeprefix("/aggregator")
        key = p.split("/")[1] if p.count("/") >= 1 else p
        if key in W.hang:
            time.sleep(HANG_S)
        if key in W.fail:
            with W.lock:
                W.errors_served += 1
            self.reply(500, {"label": "internal", "message": "injected failure"})
            return None
        return p

    def do_GET(self):
        p = self.route()
        if p is None:
            return
        with W.lock:
            if W.garbage > 0 and p == "/epoch-settings":
                bodies = [b"{not json", b'{"epoch":"x"}', b'{"epoch":11,"current_signers":{}}',
                          b'{"epoch":11,"current_signers":[],"next_signers":[{"party_id":1}]}',
                          b"[]"]
                body = bodies[W.garbage_served % len(bodies)]
                W.garbage -= 1
                W.garbage_served += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if p == "/epoch-settings":
                self.reply(200, {"epoch": W.epoch, "signer_registration_protocol": W.params,
                                 "current_signers": W.signers(W.epoch - 1),
                                 "next_signers": W.signers(W.epoch)})
            elif p.startswith("/protocol-configuration/"):
                self.reply(200, {"protocol_parameters": W.params,
                                 "available_signed_entity_types":
                                     ["MithrilStakeDistribution", "CardanoDatabase",
                                      "CardanoImmutableFilesFull"]})
            else:
                self.reply(404, {"label": "not_found", "message": p})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n) or b"{}")
        p = self.route()
        if p is None:
            if self.path.endswith("/register-signer"):
                with W.lock:
                    W.attempts.append((body.get("epoch"), body.get("party_id"),
                                       body.get("verification_key"), False))
            return
        with W.lock:
            if p == "/register-signer":
                W.bodies.append(body)
                ok = body.get("epoch") == W.epoch + 1  # the reference's recording epoch
                W.attempts.append((body.get("epoch"), body.get("party_id"),
                                   body.get("verification_key"), ok))
                if not ok:
                    self.reply(400, {"label": "bad_epoch", "message": "epoch %s" % body.get("epoch")})
                    return
                W.regs.setdefault(body["epoch"], {})[body["party_id"]] = body["verification_key"]
                self.reply(201)
            elif p == "/register-signatures":
                need = {"entity_type", "party_id", "signature", "indexes", "signed_message"}
                if set(body) != need or not re.fullmatch(r"[0-9a-f]{64}", body["signed_message"]):
                    self.reply(400, {"label": "bad", "message": "fields %s" % sorted(body)})
                    return
                ent = json.dumps(body["entity_type"], sort_keys=True)
                code = 201
                if W.sig_mode == "404-once" and not any(e == ent for e, _ in W.sig_posts):
                    code = 404
                elif W.sig_mode == "400-cdb" and "CardanoDatabase" in ent:
                    code = 400
                W.sig_posts.append((ent, code))
                if code != 201:
                    self.reply(code, {"label": "refused", "message": "injected %d" % code})
                    return
                W.sigs.append((ent, body["signed_message"], body["party_id"]))
                self.reply(201)
            else:
                self.reply(404, {"label": "not_found", "message": p})


def wait_for(cond, what, timeout=120):  # generous: ASan on a loaded machine
    t0 = time.time()
    while time.time() - t0 < timeout:
        with W.lock:
            if cond():
                check(True, what)
                return True
        time.sleep(0.05)
    check(False, what + " (timed out)")
    return False


def write_immutables(db, upto):
    """Trios 0..upto (contents arbitrary: the signer only hashes them)."""
    imm = os.path.join(db, "immutable")
    os.makedirs(imm, exist_ok=True)
    for n in range(upto + 1):
        for ext in ("chunk", "primary", "secondary"):
            f = os.path.join(imm, "%05d.%s" % (n, ext))
            if not os.path.exists(f):
                with open(f, "wb") as fh:
                    fh.write(("%s-%d-" % (ext, n)).encode() * (1000 + n))


def main():
    if not os.path.exists(SIGNER):
        print("SKIP: %s not built" % SIGNER)
        return 77
    work = tempfile.mkdtemp(prefix="signer_test.")
    # Configuration: --help documents the settings; errors name them.
    h = subprocess.run([SIGNER, "--help"], capture_output=True, text=True)
    check(h.returncode == 0 and "AGGREGATOR_ENDPOINT" in h.stdout and "PARTY_ID" in h.stdout
          and "-vvvv" in h.stdout, "--help documents the settings and -v levels")
    check(all(x in h.stdout for x in ("KES_SECRET_KEY_PATH", "OPERATIONAL_CERTIFICATE_PATH",
                                       "kes.skey", "opcert.cert", "ALLOW_UNAUTHENTICATED_SIGNER")),
          "--help names the key files the signer needs")
    env0 = {k: v for k, v in os.environ.items()
            if k not in ("PARTY_ID", "KES_SECRET_KEY_PATH", "OPERATIONAL_CERTIFICATE_PATH",
                         "ALLOW_UNAUTHENTICATED_SIGNER")}
    test_mode = {"PARTY_ID": "pool1x", "ALLOW_UNAUTHENTICATED_SIGNER": "true"}
    r = subprocess.run([SIGNER], capture_output=True, text=True,
                       env={**env0, "AGGREGATOR_ENDPOINT": "", **test_mode})
    check(r.returncode == 2 and "AGGREGATOR_ENDPOINT" in r.stderr, "missing endpoint refused")
    r = subprocess.run([SIGNER, "--aggregator-endpoint", "http://x", "--network", "devnet",
                        "--party-id", "pool1x", "--allow-unauthenticated-signer"],
                       capture_output=True, text=True, env=env0)
    check(r.returncode == 2 and "NETWORK_MAGIC" in r.stderr, "devnet without magic refused")
    r = subprocess.run([SIGNER, "--run-interval", "abc"], capture_output=True, text=True,
                       env={**env0, "AGGREGATOR_ENDPOINT": "http://x", "NETWORK": "mainnet",
                            **test_mode})
    check(r.returncode == 2 and "RUN_INTERVAL" in r.stderr, "bad RUN_INTERVAL refused")
    base = {**env0, "AGGREGATOR_ENDPOINT": "http://127.0.0.1:9", "NETWORK": "mainnet",
            "CARDANO_CLI_PATH": "/nonexistent/cardano-cli", "MAX_CYCLES": "1",
            "DATA_STORES_DIRECTORY": os.path.join(work, "unauth")}
    r = subprocess.run([SIGNER], capture_output=True, text=True,
                       env={**base, "PARTY_ID": "pool1x"})
    check(r.returncode == 2 and "KES_SECRET_KEY_PATH and OPERATIONAL_CERTIFICATE_PATH" in r.stderr
          and "ALLOW_UNAUTHENTICATED_SIGNER" in r.stderr,
          "PARTY_ID without credentials nor test switch refused, naming the settings")
    r = subprocess.run([SIGNER], capture_output=True, text=True, env={**base, **test_mode})
    check(r.returncode == 0 and "WARNING: ALLOW_UNAUTHENTICATED_SIGNER" in r.stderr,
          "the test switch runs PARTY_ID alone, with a warning on stderr")

    # The pool's files, as cardano-node-sim writes them for each pool.
    pools_dir = os.path.join(work, "pools")
    subprocess.run([SIM, "--db", os.path.join(work, "simdb"), "--seed", "3", "--epochs", "1",
                    "--pools", "3", "--pools-dir", pools_dir], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pool_files = os.path.join(pools_dir, "2")
    r = subprocess.run([SIGNER], capture_output=True, text=True,
                       env={**base, "KES_SECRET_KEY_PATH": os.path.join(pools_dir, "1/kes.skey"),
                            "OPERATIONAL_CERTIFICATE_PATH": os.path.join(pool_files, "opcert.cert")})
    check(r.returncode != 0 and "not the KES key of the operational certificate" in r.stderr,
          "another pool's KES key refused at start: %s" % r.stderr.strip()[-160:])

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]

    def cold_hash(i):
        env = json.load(open(os.path.join(pools_dir, str(i), "cold.vkey")))
        return hashlib.blake2b(bytes.fromhex(env["cborHex"])[2:], digest_size=28).hexdigest()

    pools_hex = [cold_hash(i) for i in range(3)]
    stakes = {pools_hex[0]: 1000, pools_hex[1]: 3000, pools_hex[2]: 6000}
    party = bech32("pool", bytes.fromhex(pools_hex[2]))
    check(party == open(os.path.join(pool_files, "pool.id")).read().strip(),
          "pool.id is the bech32 of the cold key hash")
    opcert_hex = json.load(open(os.path.join(pool_files, "opcert.cert")))["cborHex"]
    state = os.path.join(work, "node.json")
    node = {"kesPeriod": None, "nodeCounter": 0}  # kesPeriod None: the epoch's number

    def node_state(e):
        kes = e if node["kesPeriod"] is None else node["kesPeriod"]
        return {"epoch": e, "pools": dict(stakes), "kesPeriod": kes,
                "nodeCounter": node["nodeCounter"]}

    def set_epoch(e, cross=None):
        with W.lock:
            W.epoch = e
        st = node_state(e)
        if cross:
            st["crossOnSnapshot"] = cross
        with open(state + ".tmp", "w") as fh:
            json.dump(st, fh)
        os.replace(state + ".tmp", state)

    set_epoch(10)
    cli = os.path.join(work, "cardano-cli")
    with open(cli, "w") as fh:
        fh.write(FAKE_CLI)
    os.chmod(cli, 0o755)
    db = os.path.join(work, "db")
    write_immutables(db, 3)
    stores = os.path.join(work, "stores")
    env = {**env0, "AGGREGATOR_ENDPOINT": "http://127.0.0.1:%d/aggregator" % port,
           "NETWORK": "devnet", "NETWORK_MAGIC": "42", "CARDANO_CLI_PATH": cli,
           "CARDANO_NODE_SOCKET_PATH": state, "DB_DIRECTORY": db,
           "DATA_STORES_DIRECTORY": stores, "RUN_INTERVAL": "100",
           "KES_SECRET_KEY_PATH": os.path.join(pool_files, "kes.skey"),
           "OPERATIONAL_CERTIFICATE_PATH": os.path.join(pool_files, "opcert.cert"),
           "AGGREGATOR_TIMEOUT_MS": str(TIMEOUT_MS), "STORE_RETENTION_LIMIT": "5",
           "ENABLE_METRICS_SERVER": "true", "METRICS_SERVER_PORT": "0"}
    log_path = os.path.join(work, "signer.log")
    logf = open(log_path, "a")

    def start():
        return subprocess.Popen([SIGNER, "-vvv"], env=env, stdout=logf, stderr=logf)

    def log_text():
        with open(log_path) as fh:
            return fh.read()

    def wait_cycles(n, what):
        """Wait until the signer ends n more cycles: what it did before this
        call is then persisted, and what it did not do in n cycles it will
        not do (no fixed sleep: cycles are slow on a loaded machine)."""
        base = log_text().count("event=cycle ")
        return wait_for(lambda: log_text().count("event=cycle ") >= base + n,
                        "%d more signer cycles (%s)" % (n, what))

    proc = start()
    try:
        # Epoch 10: stakes of 11 recorded, key 11 registered.
        wait_for(lambda: 11 in W.regs and party in W.regs[11], "registered for epoch 11 at epoch 10")
        key11 = os.path.join(stores, "protocol_initializer-11.key")
        b = W.bodies[0]
        check(list(b) == ["epoch", "party_id", "verification_key", "verification_key_signature",
                          "operational_certificate", "kes_period"],
              "register-signer body has the reference's fields in order: %s" % list(b))
        check(b["party_id"] == party and b["kes_period"] == 10,
              "party id = the opcert's pool id, kes_period = evolutions at period 10")
        # JSON-hex of [[kes_vk, 0, 0, sigma], cold_vk], the bytes of the opcert file
        oc = json.loads(bytes.fromhex(b["operational_certificate"]))
        raw = bytes.fromhex(opcert_hex)
        check(bytes(oc[0][0]) == raw[4:36] and oc[0][1:3] == [0, 0] and bytes(oc[0][3]) ==
              raw[40:104] and bytes(oc[1]) == raw[106:], "operational_certificate is the file's")
        sig = json.loads(bytes.fromhex(b["verification_key_signature"]))
        check(isinstance(sig, dict), "verification_key_signature is the nested Sum6 signature")

        # Epoch 11 with the aggregator failing (500) then hanging past the timeout.
        with W.lock:
            W.fail = {"epoch-settings"}
        set_epoch(11)
        wait_for(lambda: W.errors_served >= 3, "signer retries while the aggregator answers 500")
        with W.lock:
            W.fail = set()
            W.garbage = 5
        wait_for(lambda: W.garbage == 0, "malformed epoch settings served")
        timeouts = log_text().count("epoch-settings: Timeout was reached")
        with W.lock:
            W.hang = {"epoch-settings"}
        wait_for(lambda: log_text().count("epoch-settings: Timeout was reached") > timeouts,
                 "signer gives up a request hanging past its timeout")
        check(proc.poll() is None, "signer alive after 500s, malformed answers and timeouts")
        # Registration refused (500) after the key was stored, then kill -9.
        with W.lock:
            W.hang = set()
            W.fail = {"register-signer"}
        wait_for(lambda: any(a[0] == 12 for a in W.attempts), "registration attempt for epoch 12")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with W.lock:
            W.fail = set()
        proc = start()
        wait_for(lambda: 12 in W.regs and party in W.regs[12],
                 "registered for epoch 12 after kill -9 and restart")
        vks12 = {a[2] for a in W.attempts if a[0] == 12}
        check(len(vks12) == 1, "every registration attempt for epoch 12 carried the same key")

        # Epoch 12: signs MSD and CardanoDatabase{12, 2} with the key of 11.
        set_epoch(12)
        wait_for(lambda: len(W.sigs) >= 2, "signatures posted at epoch 12")
        ents = sorted(s[0] for s in W.sigs)
        check(ents == sorted([json.dumps({"MithrilStakeDistribution": 12}),
                              json.dumps({"CardanoDatabase": {"epoch": 12,
                                                              "immutable_file_number": 2}},
                                         sort_keys=True)]),
              "signed MSD 12 and CardanoDatabase {12, 2}: %s" % ents)
        wait_for(lambda: 13 in W.regs, "registered for epoch 13")
        check(not any(json.loads(s[0]).get("CardanoImmutableFilesFull") for s in W.sigs),
              "legacy CardanoImmutableFilesFull (no signer row) not signed")
        # Epoch 13 with one more immutable trio: digests of old files come
        # from the cache.
        # Each entity is first answered 404 (message not open yet): retried.
        write_immutables(db, 4)
        with W.lock:
            W.sig_mode = "404-once"
        set_epoch(13)
        def in13(ent):
            return ": 13" in ent or '"epoch": 13' in ent

        wait_for(lambda: len([x for x in W.sigs if in13(x[0])]) >= 2,
                 "signatures posted at epoch 13")
        # (a CardanoDatabase{12, 3} may also have been tried if the signer saw
        # the new trio before the epoch change: only epoch 13 is counted)
        e13 = [(e, c) for e, c in W.sig_posts if in13(e)]
        check(sorted(c for _, c in e13) == [201, 201, 404, 404],
              "epoch 13 signatures retried after 404 (message not yet open): %s" % e13)
        msgs = [s[1] for s in W.sigs]
        check(len(msgs) == len(set(msgs)), "each message signed once")
        # Epoch 14: the aggregator refuses our CardanoDatabase message (400):
        # the signer gives that one up and still signs the others.
        with W.lock:
            W.sig_mode = "400-cdb"
        set_epoch(14)
        wait_for(lambda: any("MithrilStakeDistribution\": 14" in e for e, _, _ in W.sigs),
                 "MSD 14 signed")
        wait_for(lambda: any(c == 400 for _, c in W.sig_posts), "CardanoDatabase 14 refused")
        wait_cycles(5, "after the refusal")
        check(sum(1 for _, c in W.sig_posts if c == 400) == 1,
              "a refused signature (400) is not posted again")
        check(W.missing_header == 0, "every request carries mithril-api-version")
        check(not os.path.exists(key11), "key of epoch 11 deleted once useless")
        check(all(bd.get("kes_period") == bd["epoch"] - 1 for bd in W.bodies),
              "each registration signed at the KES period of its epoch: %s"
              % [(bd["epoch"], bd.get("kes_period")) for bd in W.bodies])

        # Epoch 15: the KES key is past its 64 periods, then the node has a newer
        # opcert for the pool: no registration, a clear error; then fine again.
        n_att = len(W.attempts)
        node["kesPeriod"] = 64
        set_epoch(15)
        wait_for(lambda: "KES key expired: 64 evolutions" in log_text(),
                 "expired KES key: registration refused with a message")
        node["kesPeriod"], node["nodeCounter"] = 15, 1
        set_epoch(15)
        wait_for(lambda: "a newer opcert was issued" in log_text(),
                 "superseded opcert: registration refused with a message")
        check(len(W.attempts) == n_att and "event=registration_refused" in log_text(),
              "nothing posted while the credentials do not match the chain")
        node["nodeCounter"] = 0
        set_epoch(15)
        wait_for(lambda: 16 in W.regs and party in W.regs[16], "registers again once they do")

        # Epoch 16: the chain enters epoch 17, with other stakes, between the
        # signer's read of the epoch and its read of the stake distribution.
        # Those stakes are 17's: a key for 17 made with them would carry the
        # wrong stake. The signer drops them, follows the chain into 17 and
        # registers for 18 with the stake it read during 17.
        wait_cycles(2, "settled in epoch 15")
        n_att = len(W.attempts)
        cross_stakes = {pools_hex[0]: 1100, pools_hex[1]: 2900, pools_hex[2]: 7777}
        old = dict(stakes)
        stakes.update(cross_stakes)
        cross = node_state(17)
        stakes.clear()
        stakes.update(old)
        set_epoch(16, cross)
        wait_for(lambda: "event=stakes_dropped epoch=16 chain_epoch=17" in log_text(),
                 "stakes read across the epoch change are dropped, with a warning")
        stakes.update(cross_stakes)
        set_epoch(17)  # the aggregator follows the chain
        wait_for(lambda: 18 in W.regs and party in W.regs[18], "registered for epoch 18")
        check(not any(a[0] == 17 for a in W.attempts[n_att:]),
              "no key registered for epoch 17 with the stakes of another epoch")
        check(not os.path.exists(os.path.join(stores, "stakes-17.json")),
              "the stakes read across the change were not recorded for epoch 17")
        st18 = json.load(open(os.path.join(stores, "stakes-18.json")))
        check(st18.get(party) == 7777, "stakes read during 17 recorded under 18: %s" % st18)
        # (logged once the aggregator answered: waited for, not read at once)
        wait_for(lambda: re.search(r"event=signer_registered epoch=18 party=%s stake=7777\b"
                                   % party, log_text()) is not None,
                 "the key of epoch 18 carries the stake 7777")

        # Metrics (ENABLE_METRICS_SERVER, port 0: the log names the port).
        # (the last start's server: the first process was killed)
        mport = re.findall(r"event=metrics_server ip=127.0.0.1 port=(\d+)", log_text())
        check(len(mport) == 2, "metrics server started by each process")
        if mport:
            import urllib.request
            with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % mport[-1]) as rsp:
                ctype = rsp.headers.get("Content-Type")
                text = rsp.read().decode()
            val = {ln.split()[0]: int(ln.split()[1]) for ln in text.splitlines()
                   if ln and not ln.startswith("#")}
            check(ctype.startswith("text/plain; version=0.0.4"), "metrics content type")
            check("# TYPE mithril_signer_signer_registration_success_since_startup counter"
                  in text and "# TYPE mithril_signer_signature_registration_success_last_epoch "
                  "gauge" in text, "metrics have the reference's names and types")
            n_regs = sum(1 for e, p in ((a[0], a[1]) for a in W.attempts if a[3]) if p == party)
            check(val.get("mithril_signer_signer_registration_success_last_epoch") == 17
                  and val.get("mithril_signer_signer_registration_success_since_startup", 0) >= 1
                  and val["mithril_signer_signer_registration_total_since_startup"] >=
                  val["mithril_signer_signer_registration_success_since_startup"],
                  "registration metrics (this process's %d accepted of %d): %s" % (
                      val.get("mithril_signer_signer_registration_success_since_startup", -1),
                      n_regs, {k: v for k, v in val.items() if "registration" in k}))
            check(val.get("mithril_signer_signature_registration_success_last_epoch", 0) >= 14
                  and val["mithril_signer_signature_registration_total_since_startup"] >
                  val["mithril_signer_signature_registration_success_since_startup"] >= 4,
                  "signature metrics: last epoch >= 14, 404s and the 400 counted in the total: %s"
                  % {k: v for k, v in val.items() if "signature" in k})
            check(0 < val["mithril_signer_runtime_cycle_success_since_startup"] <=
                  val["mithril_signer_runtime_cycle_total_since_startup"], "cycle counters")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        logf.close()
        srv.shutdown()
    log = open(log_path).read()
    dig = re.findall(r"event=digests_computed .*?hashed=(\d+) from_cache=(\d+)", log)
    dig = [(int(a), int(b)) for a, b in dig]
    check(dig[:3] == [(9, 0), (3, 9), (0, 12)],
          "digest cache: first round hashes 9 files, next 3 new ones, a retry none (%s)" % dig)
    check("injected failure" in log, "aggregator errors are logged with their message")
    check("Sanitizer" not in log and "runtime error" not in log, "no sanitizer report")
    cyc = re.findall(r"event=cycle .*?wall_ms=([\d.]+) cpu_ms=([\d.]+) children_cpu_ms=([\d.]+) "
                     r"rss_kb=(\d+)", log)
    if cyc:
        cpu = sorted(float(c[1]) for c in cyc)
        kid = sorted(float(c[2]) for c in cyc)
        print("figures: cycles=%d cpu_ms median=%.2f max=%.2f children_cpu_ms median=%.2f "
              "rss_kb max=%d" % (len(cyc), cpu[len(cpu) // 2], cpu[-1], kid[len(kid) // 2],
                                 max(int(c[3]) for c in cyc)))
    for line in log.splitlines():
        if "event=digests_computed" in line:
            print("figures: " + line[line.index("event="):])
    if FAILS:
        print("---- signer log (tail) ----")
        print("\n".join(log.splitlines()[-60:]))
        return 1
    subprocess.run(["rm", "-rf", work])
    return 0


if __name__ == "__main__":
    sys.exit(main())
