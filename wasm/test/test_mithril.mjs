// mithril.mjs in Node against the reference's real data: the chains, proofs
// and artifacts it served are accepted; one altered byte, a wrong genesis key,
// a flipped proof byte are refused with the reason.
//   node --test wasm/test/test_mithril.mjs   (MITHRIL_MJS: the module to test)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceDir, loadReference, fakeFetch } from './reference.mjs';

const { loadMithril } = await import(process.env.MITHRIL_MJS);
const dir = referenceDir();
const ref = loadReference(dir);
const URL_ = 'http://aggregator.test/aggregator';
const certText = (h) => JSON.stringify(ref.certificates[h]);
const latest = ref.list[0].hash;
// Flip one hex digit at position i of a string.
const flipHex = (s, i) => s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1);

test('the latest certificate verifies back to genesis, with progress per certificate', async () => {
  const m = await loadMithril({ fetch: fakeFetch(ref), cache: false });
  assert.match(m.version, /^\d+\.\d+\.\d+/);
  const seen = [];
  const r = await m.verifyChain(URL_, ref.genesisVk, (p) => seen.push(p));
  assert.equal(r.verified, true, r.reason);
  assert.equal(r.hash, latest);
  assert.equal(r.certificates, seen.length);
  assert.ok(seen.length > 1);
  seen.forEach((p, i) => {
    assert.equal(p.index, i);
    assert.equal(p.status, 'verified');
    assert.equal(p.epoch, ref.certificates[p.hash].epoch);
    assert.equal(p.signedEntity, Object.keys(ref.certificates[p.hash].signed_entity_type)[0]);
  });
  assert.equal(seen[0].hash, latest);
  const last = ref.certificates[seen.at(-1).hash];
  assert.equal(last.genesis_signature.length > 0, true, 'the walk ends at the genesis certificate');
  assert.equal(JSON.parse(r.certificate).hash, latest);
});

test('every one of the 43 reference certificates verifies; the cache ends later walks', async () => {
  const log = [];
  const m = await loadMithril({ fetch: fakeFetch(ref, { log }) });
  const hashes = Object.keys(ref.certificates);
  assert.equal(hashes.length, 43);
  for (const h of hashes) {
    const r = await m.verifyChain(URL_, ref.genesisVk, null, { hash: h });
    assert.equal(r.verified, true, `${h}: ${r.reason}`);
  }
  // Warm: one fetch, the certificate's content checked, reported as cached.
  log.length = 0;
  const seen = [];
  const r = await m.verifyChain(URL_, ref.genesisVk, (p) => seen.push(p), { hash: latest });
  assert.equal(r.verified, true, r.reason);
  assert.deepEqual(seen.map((p) => p.status), ['cached']);
  assert.deepEqual(log, [`/aggregator/certificate/${latest}`]);
  // The cache is kept per genesis key: under another key nothing is cached.
  const other = readFileSync(join(dir, '..', 'genesis-keys', 'release-preprod', 'genesis.vkey'), 'utf8').trim();
  seen.length = 0;
  assert.equal((await m.verifyChain(URL_, other, (p) => seen.push(p))).verified, false);
  assert.ok(seen.length > 1 && seen.every((p) => p.status === 'verified'));
  // Emptied, the next walk checks every certificate again.
  m.clearCache();
  seen.length = 0;
  assert.equal((await m.verifyChain(URL_, ref.genesisVk, (p) => seen.push(p))).verified, true);
  assert.ok(seen.every((p) => p.status === 'verified') && seen.length > 1);
});

test('one altered byte in a certificate of the chain is refused, naming it', async () => {
  const m = await loadMithril({ fetch: fakeFetch(ref), cache: false });
  const walk = [];
  await m.verifyChain(URL_, ref.genesisVk, (p) => walk.push(p.hash));
  const victim = walk[3];
  // A digit of the multi-signature, then a digit of a signer's stake.
  const cases = [
    (t) => t.replace(/"multi_signature":"(.{200})(.)/, (_, a, b) => `"multi_signature":"${a}${b === '0' ? '1' : '0'}`),
    (t) => t.replace(/"stake":(\d)/, (_, d) => `"stake":${d === '1' ? '2' : '1'}`),
  ];
  for (const alter of cases) {
    const tamper = (path, text) => (path.endsWith(victim) ? alter(text) : text);
    assert.notEqual(alter(certText(victim)), certText(victim));
    const log = [];
    const bad = await loadMithril({ fetch: fakeFetch(ref, { tamper, log }), cache: false });
    const seen = [];
    const r = await bad.verifyChain(URL_, ref.genesisVk, (p) => seen.push(p.hash));
    assert.equal(r.verified, false);
    assert.match(r.reason, new RegExp(victim.slice(0, 16)));
    // Checking a certificate includes its link to the next: the victim and
    // the one it follows are never reported verified.
    assert.ok(seen.length >= 2 && !seen.includes(victim));
    assert.deepEqual(seen, walk.slice(0, seen.length));
  }
  // A consistent forgery (content and hash field altered together) is
  // refused too: the hash asked for is the previous certificate's previous_hash.
  const forged = (path, text) => {
    if (!path.endsWith(victim)) return text;
    const c = JSON.parse(text);
    c.epoch += 1;
    return JSON.stringify(c);
  };
  const r = await (await loadMithril({ fetch: fakeFetch(ref, { tamper: forged }), cache: false }))
    .verifyChain(URL_, ref.genesisVk);
  assert.equal(r.verified, false);
  assert.match(r.reason, new RegExp(victim.slice(0, 16)));
  assert.equal((await m.verifyChain(URL_, ref.genesisVk)).verified, true, 'the untouched chain still verifies');
});

test('a wrong or malformed genesis key is refused', async () => {
  const m = await loadMithril({ fetch: fakeFetch(ref), cache: false });
  const other = readFileSync(join(dir, '..', 'genesis-keys', 'release-preprod', 'genesis.vkey'), 'utf8').trim();
  assert.notEqual(other, ref.genesisVk);
  const r = await m.verifyChain(URL_, other);
  assert.equal(r.verified, false);
  assert.match(r.reason, /genesis/i);
  const bad = await m.verifyChain(URL_, 'zz');
  assert.equal(bad.verified, false);
  assert.match(bad.reason, /genesis key/);
  // One certificate on its own, too.
  const genesisHash = Object.keys(ref.certificates).find((h) => ref.certificates[h].genesis_signature);
  assert.equal(m.verifyCertificate(certText(genesisHash), ref.genesisVk).valid, true);
  assert.equal(m.verifyCertificate(certText(genesisHash), other).valid, false);
});

test('an unreachable aggregator or a missing certificate gives the reason', async () => {
  const m = await loadMithril({ fetch: async () => { throw new Error('connection refused'); } });
  const r = await m.verifyChain(URL_, ref.genesisVk, null, { hash: latest });
  assert.equal(r.verified, false);
  assert.match(r.reason, /connection refused/);
  const gone = ref.certificates[latest].previous_hash;
  const m2 = await loadMithril({ fetch: fakeFetch(ref, { tamper: (p, t) => (p.endsWith(gone) ? undefined : t) }) });
  const r2 = await m2.verifyChain(URL_, ref.genesisVk);
  assert.equal(r2.verified, false);
  assert.match(r2.reason, new RegExp(`${gone}.*404|404.*${gone}|${gone}`));
});

test('verifyCertificate: real certificates are valid, an altered one is not', async () => {
  const m = await loadMithril({ fetch: fakeFetch(ref) });
  for (const h of Object.keys(ref.certificates).slice(0, 5)) {
    const r = m.verifyCertificate(ref.certificates[h], ref.genesisVk);
    assert.equal(r.valid, true, r.reason);
    assert.equal(r.hash, h);
  }
  const t = certText(latest).replace(/"signed_message":"(.)/, (_, c) => `"signed_message":"${c === 'a' ? 'b' : 'a'}`);
  const r = m.verifyCertificate(t, ref.genesisVk);
  assert.equal(r.valid, false);
  assert.ok(r.reason.length > 0);
});

const proofCases = [
  ['ctx-proofs.json', 'verifyTransactionsProof', 'certified_transactions'],
  ['ctx-proofs-v2.json', 'verifyTransactionsProof', 'certified_transactions'],
  ['cblk-proofs.json', 'verifyBlocksProof', 'certified_blocks'],
];
for (const [file, fn, key] of proofCases) {
  test(`${file}: every proof is certified by its certificate; a flipped byte is refused`, async () => {
    const m = await loadMithril({ fetch: fakeFetch(ref) });
    const proofs = ref.read(file);
    for (const [hash, msg] of Object.entries(proofs)) {
      const cert = certText(msg.certificate_hash);
      const r = m[fn](JSON.stringify(msg), cert);
      assert.ok(r.certified.includes(hash), `${hash} certified`);
      assert.deepEqual(r.nonCertified, []);
      assert.equal(r.certificateHash, msg.certificate_hash);
    }
    const [hash, msg] = Object.entries(proofs)[0];
    const text = JSON.stringify(msg);
    const at = text.indexOf('"proof":"') + 9 + 100; // a digit inside the first proof's hex
    assert.throws(() => m[fn](flipHex(text, at), certText(msg.certificate_hash)), (e) => e.message.length > 0);
    // Against another certificate than the one it names.
    const other = Object.keys(ref.certificates).find((h) => h !== msg.certificate_hash);
    assert.throws(() => m[fn](text, certText(other)), /certificate|hash/i);
    assert.ok(key in msg && hash);
  });
}

test('Mithril stake distributions and their signers verify against their certificates', async () => {
  const m = await loadMithril({ fetch: fakeFetch(ref) });
  for (const [hash, msd] of Object.entries(ref.read('mithril-stake-distributions.json'))) {
    const cert = certText(msd.certificate_hash);
    assert.equal(m.verifyStakeDistribution(msd, cert).hash, hash);
    for (const s of msd.signers) {
      assert.equal(m.verifySignerCredentials({ partyId: s.party_id, verificationKey: s.verification_key,
        operationalCertificate: s.operational_certificate, kesSignature: s.verification_key_signature,
        kesEvolutions: s.kes_period }), true);
    }
    const tampered = { ...msd, signers: msd.signers.map((s, i) => (i ? s : { ...s, stake: s.stake + 1 })) };
    assert.throws(() => m.verifyStakeDistribution(tampered, cert), (e) => e.message.length > 0);
    const s = msd.signers[0];
    assert.throws(() => m.verifySignerCredentials({ partyId: msd.signers[1].party_id,
      verificationKey: s.verification_key, operationalCertificate: s.operational_certificate,
      kesSignature: s.verification_key_signature, kesEvolutions: s.kes_period }), /pool|party/i);
  }
});

test('Cardano databases verify against their certificates; the Merkle root of digests', async () => {
  const m = await loadMithril({ fetch: fakeFetch(ref) });
  for (const db of Object.values(ref.read('cardano-databases.json'))) {
    const cert = certText(db.certificate_hash);
    assert.equal(m.verifyCardanoDatabase(db, cert).merkleRoot, db.merkle_root);
    const bad = { ...db, merkle_root: flipHex(db.merkle_root, 10) };
    assert.throws(() => m.verifyCardanoDatabase(bad, cert), (e) => e.message.length > 0);
  }
  // Golden vector of the reference (spec cardano-db.md §2.5 V6, as tests/unit/test_cardano_merkle.c).
  const leaves = ['golden-1', 'golden-2', 'golden-3', 'golden-4', 'golden-5'];
  assert.equal(m.cardanoDbMerkleRoot(leaves), '3bbced153528697ecde7345a22e50115306478353619411523e804f2323fd921');
  assert.throws(() => m.cardanoDbMerkleRoot([]), /.+/);
});

test('synchronous checks run while a chain walk waits for the network', async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  const base = fakeFetch(ref);
  const slow = async (url) => { await gate; return base(url); };
  const m = await loadMithril({ fetch: slow, cache: false });
  const walk = m.verifyChain(URL_, ref.genesisVk, null, { hash: latest });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(m.verifyCertificate(certText(latest), ref.genesisVk).valid, true);
  release();
  assert.equal((await walk).verified, true);
});
