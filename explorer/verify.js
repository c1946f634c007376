// verify.js - the Verify action: libmithril's WebAssembly module walks the
// certificate chain to genesis in the browser and checks proofs against the
// certificate they name. The verdict goes in #verdict: "verified" or
// "failed: <reason>" (the tests and the ?verify=latest link read it).

import { PROOF_ROUTES } from './api.js';
import { el, short } from './dom.js';

let modulePromise = null;

// The module served next to the page (/explorer/wasm/, from the aggregator's
// EXPLORER_WASM_DIRECTORY: the single-file mithril.mjs, or with its
// mithril.wasm beside it); rejects with the reason when it is not there.
export function loadModule() {
  if (!modulePromise) {
    modulePromise = import(new URL('wasm/mithril.mjs', document.baseURI).href)
      .then((js) => js.loadMithril());
  }
  return modulePromise;
}

function setVerdict(text, detail) {
  document.getElementById('verdict').textContent = text;
  document.getElementById('verdict-detail').textContent = detail || '';
  document.body.dataset.verdict = text.startsWith('verified') ? 'verified' : 'failed';
}

function progressRow(p) {
  return el('tr', { class: `status-${p.status}` },
    el('td', null, p.index), el('td', null, el('code', { title: p.hash }, short(p.hash))),
    el('td', null, p.epoch), el('td', null, p.signedEntity), el('td', null, p.status));
}

// Verify the chain from `hash` ("latest" by default) back to genesis.
export async function verifyChain(agg, genesisVk, hash = 'latest') {
  const body = document.querySelector('#progress tbody');
  body.replaceChildren();
  document.getElementById('verdict').textContent = '';
  document.getElementById('verdict-detail').textContent = 'verifying…';
  if (!genesisVk) {
    setVerdict('failed: no genesis verification key (give one, or &genesis=KEY in the address)');
    return null;
  }
  let m;
  try {
    m = await loadModule();
  } catch (e) {
    setVerdict(`failed: the WebAssembly module did not load: ${e.message || e}`);
    return null;
  }
  const t0 = performance.now();
  let r;
  try {
    r = await m.verifyChain(agg.url, genesisVk.trim(), (p) => body.append(progressRow(p)), { hash });
  } catch (e) {
    r = { verified: false, reason: e.message || String(e) };
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(2);
  if (r.verified) setVerdict('verified', `${r.certificates} certificates to genesis from ${short(r.hash)} in ${secs} s`);
  else setVerdict(`failed: ${r.reason}`, `after ${body.children.length} certificates`);
  return r;
}

// Check a transaction or block hash: fetch its proof, verify the chain of the
// certificate it names, then the proof against that certificate.
export async function checkProof(agg, genesisVk, kind, hash) {
  const out = document.getElementById('proof-verdict');
  const detail = document.getElementById('proof-detail');
  out.textContent = '';
  detail.textContent = 'checking…';
  const say = (text, more) => { out.textContent = text; detail.textContent = more || ''; };
  try {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error('a hash is 64 lowercase hex digits');
    const route = PROOF_ROUTES[kind](hash);
    const proof = await agg.get(route);
    if (!proof) throw new Error('the aggregator has no proof of this kind (404)');
    const chain = await verifyChain(agg, genesisVk, proof.certificate_hash);
    if (!chain || !chain.verified) throw new Error(`the certificate ${short(proof.certificate_hash)} of the proof does not verify`);
    const m = await loadModule();
    const check = kind === 'block' ? m.verifyBlocksProof : m.verifyTransactionsProof;
    const r = check.call(m, JSON.stringify(proof), chain.certificate);
    if (r.certified.includes(hash)) say('certified', `by certificate ${short(r.certificateHash)}, Merkle root ${short(r.merkleRoot)}`);
    else say('not certified', r.nonCertified.includes(hash) ? 'the aggregator has no proof for it' : 'absent from the proof');
  } catch (e) {
    say(`failed: ${e.message || e}`);
  }
}
