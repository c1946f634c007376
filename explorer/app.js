// app.js - the explorer page: which aggregator (?aggregator=URL, default the
// one serving the page), its data, and the Verify action (?verify=latest
// starts it on load, with &genesis=KEY for another network's genesis key;
// ?proof=HASH&kind=transaction|transaction-v2|block checks a proof on load).

import { ARTIFACT_KINDS, Aggregator } from './api.js';
import { renderArtifacts, renderCertificate, renderCertificates, renderSigners, renderStatus } from './views.js';
import { checkProof, loadModule, verifyChain } from './verify.js';

const query = new URLSearchParams(location.search);
const SIGNER_EPOCHS = 4; // registrations shown: the current epoch and the ones before

// The page's server: its aggregator path and genesis key (explorer/config.json
// of mithril-aggregator); absent when the page is served some other way.
async function serverConfig() {
  try {
    const res = await fetch('config.json');
    return res.ok ? await res.json() : {};
  } catch {
    return {};
  }
}

function showError(e) {
  const p = document.getElementById('load-error');
  p.textContent = String(e.message || e);
  p.hidden = false;
}

async function openCertificate(agg, hash) {
  try {
    const c = await agg.get(`/certificate/${hash}`);
    if (!c) throw new Error(`certificate ${hash} not found`);
    renderCertificate(c, (h) => openCertificate(agg, h));
  } catch (e) {
    showError(e);
  }
}

async function loadAll(agg) {
  const open = (h) => openCertificate(agg, h);
  const [features, status, settings, certs] = await Promise.all([
    agg.get('/'), agg.get('/status'), agg.get('/epoch-settings'), agg.get('/certificates')]);
  renderStatus(status, settings, features);
  renderCertificates(certs || [], open);
  // #certificate/HASH (the links of the page) opens that one, else the latest
  const linked = /^#certificate\/([0-9a-f]{64})$/.exec(location.hash);
  if (linked) await openCertificate(agg, linked[1]);
  else if (certs && certs.length) await openCertificate(agg, certs[0].hash);
  const arts = await Promise.all(ARTIFACT_KINDS.map((k) => agg.get(k.route)
    .then((items) => ({ items }), (e) => ({ error: String(e.message || e) }))));
  renderArtifacts(arts, open);
  const epoch = status?.epoch ?? settings?.epoch;
  const epochs = [];
  for (let e = epoch; e !== undefined && e >= 0 && epochs.length < SIGNER_EPOCHS; e--) epochs.push(e);
  const regs = await Promise.all(epochs.map((e) => agg.get(`/signers/registered/${e}`)
    .then((data) => ({ epoch: e, data }), () => ({ epoch: e, data: null }))));
  renderSigners(regs, settings);
}

async function main() {
  const config = await serverConfig();
  const own = config.aggregator_path ? new URL(config.aggregator_path, location.origin).href : '';
  const url = query.get('aggregator') || own;
  const input = document.getElementById('aggregator');
  input.value = url;
  const genesis = document.getElementById('genesis');
  const source = document.getElementById('genesis-source');
  if (query.get('genesis')) {
    genesis.value = query.get('genesis');
    source.textContent = 'from the address';
  } else if (config.genesis_verification_key && url === own) {
    genesis.value = config.genesis_verification_key;
    source.textContent = 'as configured on this aggregator: compare it with your network\'s published key';
  }
  document.getElementById('aggregator-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({ aggregator: input.value.trim() });
    location.search = q.toString();
  });
  if (!url) {
    showError('no aggregator: give one with ?aggregator=URL');
    return;
  }
  const agg = new Aggregator(url);
  const verifyButton = document.getElementById('verify-button');
  const proofButton = document.getElementById('proof-button');
  const moduleStatus = document.getElementById('module-status');
  const ready = loadModule().then((m) => {
    moduleStatus.textContent = `libmithril ${m.version || ''} (WebAssembly) ready`;
    verifyButton.disabled = false;
    proofButton.disabled = false;
  }, (e) => {
    moduleStatus.textContent = `WebAssembly module unavailable: ${e.message || e}`;
  });
  document.getElementById('verify-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    verifyChain(agg, genesis.value);
  });
  document.getElementById('proof-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    checkProof(agg, genesis.value, document.getElementById('proof-kind').value,
      document.getElementById('proof-hash').value.trim().toLowerCase());
  });
  const listed = loadAll(agg).then(() => { document.body.dataset.loaded = 'true'; }, (e) => {
    showError(e);
    document.body.dataset.loaded = 'error';
  });
  const verify = query.get('verify');
  if (verify) {
    await ready;
    await verifyChain(agg, genesis.value, verify);
  }
  const proof = query.get('proof');
  if (proof) {
    const kind = query.get('kind') || 'transaction';
    document.getElementById('proof-kind').value = kind;
    document.getElementById('proof-hash').value = proof;
    await ready;
    await checkProof(agg, genesis.value, kind, proof.trim().toLowerCase());
  }
  await listed;
}

main().catch(showError);
