// The JS API of mithril.mjs (wasm/README.md), appended to emscripten's module
// factory (createMithrilCore) with --extern-post-js: one ES module.

const PROOFS_TRANSACTIONS_V1 = 1;
const PROOFS_TRANSACTIONS_V2 = 2;
const PROOFS_BLOCKS = 3;
const MAX_CERTIFICATE_BYTES = 16 << 20; // a certificate is a few kB; a bound against a lying server

const isNode = () =>
  typeof process === 'object' && !!process.versions && typeof process.versions.node === 'string';

// The .wasm next to this file. Browsers stream-compile it from its URL;
// Node's fetch() cannot read file: URLs, so there its bytes are read here.
async function wasmBytes(opts, url) {
  if (opts.wasmBinary) return opts.wasmBinary;
  if (!isNode() || !url.startsWith('file:')) return undefined;
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(new URL(url));
  } catch (e) {
    if (e.code === 'ENOENT') return undefined; // a -sSINGLE_FILE build carries it inline
    throw e;
  }
}

const asText = (x, what) => {
  if (typeof x === 'string') return x;
  if (x && typeof x === 'object') return JSON.stringify(x);
  throw new TypeError(`${what}: expected JSON text or an object`);
};
const asObject = (x, what) => {
  if (typeof x !== 'string') return x;
  try {
    return JSON.parse(x);
  } catch (e) {
    throw new Error(`${what}: not JSON: ${e.message}`);
  }
};

export async function loadMithril(opts = {}) {
  const wasmUrl = String(opts.wasmUrl || new URL('mithril.wasm', import.meta.url));
  const doFetch = opts.fetch || globalThis.fetch.bind(globalThis);
  const useCache = opts.cache !== false;
  const core = await createMithrilCore({
    wasmBinary: await wasmBytes(opts, wasmUrl),
    locateFile: () => wasmUrl,
    // libsodium's seed; its own probe looks for `window`/`require`, which an ES
    // module in Node has neither of.
    getRandomValue: () => globalThis.crypto.getRandomValues(new Uint32Array(1))[0] >>> 0,
    print: () => {},
    printErr: () => {},
  });
  if (core._mw_init() !== 0) throw new Error('mithril: libmithril failed to initialise');

  // A C answer: JSON text to parse, or NULL with the reason in mw_error().
  const take = (ptr) => {
    if (!ptr) throw new Error(core.UTF8ToString(core._mw_error()));
    const text = core.UTF8ToString(ptr);
    core._mw_free(ptr);
    return JSON.parse(text);
  };
  // Strings go through malloc, not ccall's stack copies: messages can be megabytes.
  const call = (name, types, args) => {
    const owned = [];
    try {
      const cargs = args.map((a, i) => {
        if (types[i] !== 'string') return a;
        const n = core.lengthBytesUTF8(a) + 1;
        const p = core._malloc(n);
        if (!p) throw new Error('mithril: out of memory');
        owned.push(p);
        core.stringToUTF8(a, p, n);
        return p;
      });
      return take(core['_' + name](...cargs));
    } finally {
      owned.forEach((p) => core._free(p));
    }
  };

  // ---- the chain walk: C asks for certificates through these two ----
  let walk = null; // {base, onProgress, fetchError} of the walk under way
  core.mithrilFetchCertificate = async (hash, statusPtr) => {
    const setStatus = (s) => (core.HEAP32[statusPtr >> 2] = s);
    try {
      const res = await doFetch(`${walk.base}/certificate/${hash}`);
      setStatus(res.status);
      if (!res.ok) return 0;
      const text = await res.text();
      if (text.length > MAX_CERTIFICATE_BYTES) {
        walk.fetchError = `certificate ${hash}: over ${MAX_CERTIFICATE_BYTES} bytes`;
        return 0;
      }
      const n = core.lengthBytesUTF8(text) + 1;
      const p = core._malloc(n); // C takes it (mtl_free is free)
      if (p) core.stringToUTF8(text, p, n);
      return p;
    } catch (e) {
      setStatus(0);
      walk.fetchError = `${e.message || e}`;
      return 0;
    }
  };
  core.mithrilProgress = (index, hash, epoch, signedEntity, cached) => {
    if (!walk.onProgress) return;
    try {
      walk.onProgress({ index, hash, epoch, signedEntity, status: cached ? 'cached' : 'verified' });
    } catch {
      // a failing progress callback must not break the walk
    }
  };

  async function latestHash(base) {
    const res = await doFetch(`${base}/certificates`);
    if (!res.ok) throw new Error(`${base}/certificates: HTTP ${res.status}`);
    const list = await res.json();
    if (!Array.isArray(list) || !list.length || typeof list[0].hash !== 'string')
      throw new Error(`${base}/certificates: no certificate`);
    return list[0].hash;
  }

  // One walk at a time: Asyncify suspends one C call stack.
  let queue = Promise.resolve();
  async function verifyChainNow(aggregatorUrl, genesisVk, onProgress, o) {
    const base = String(aggregatorUrl).replace(/\/+$/, '');
    walk = { base, onProgress, fetchError: null };
    try {
      const hash = !o.hash || o.hash === 'latest' ? await latestHash(base) : String(o.hash);
      const r = await core.ccall(
        'mw_verify_chain', 'number', ['string', 'string', 'number', 'number'],
        [hash, String(genesisVk), useCache ? 1 : 0, o.maxCertificates || 0], { async: true });
      const ok = take(r);
      return { verified: true, certificates: ok.certificates, hash: ok.hash, certificate: ok.certificate };
    } catch (e) {
      const why = e.message || String(e);
      return { verified: false, reason: walk.fetchError ? `${why}: ${walk.fetchError}` : why };
    } finally {
      walk = null;
    }
  }

  function proofs(kind, proofJson, certificateJson, nonCertifiedKey) {
    const msg = asObject(proofJson, 'proof');
    const r = call('mw_verify_proofs', ['number', 'string', 'string'],
      [kind, asText(proofJson, 'proof'), asText(certificateJson, 'certificate')]);
    const nc = msg && Array.isArray(msg[nonCertifiedKey]) ? msg[nonCertifiedKey] : [];
    return { certified: r.certified, nonCertified: nc.map(String), certificateHash: r.certificateHash,
      merkleRoot: r.merkleRoot, latestBlockNumber: r.latestBlockNumber };
  }

  return {
    version: core.UTF8ToString(core._mw_version()),

    verifyChain(aggregatorUrl, genesisVk, onProgress, o = {}) {
      const run = queue.then(() => verifyChainNow(aggregatorUrl, genesisVk, onProgress, o));
      queue = run.catch(() => {});
      return run;
    },

    clearCache() {
      if (core._mw_clear_cache() !== 0) throw new Error(core.UTF8ToString(core._mw_error()));
    },

    verifyCertificate(certJson, genesisVk) {
      try {
        const r = call('mw_verify_certificate', ['string', 'string'],
          [asText(certJson, 'certificate'), String(genesisVk)]);
        return { valid: true, ...r };
      } catch (e) {
        return { valid: false, reason: e.message };
      }
    },

    verifyTransactionsProof(proofJson, certificateJson) {
      const msg = asObject(proofJson, 'proof');
      const v1 = msg && Array.isArray(msg.certified_transactions);
      return proofs(v1 ? PROOFS_TRANSACTIONS_V1 : PROOFS_TRANSACTIONS_V2, proofJson, certificateJson,
        'non_certified_transactions');
    },

    verifyBlocksProof(proofJson, certificateJson) {
      return proofs(PROOFS_BLOCKS, proofJson, certificateJson, 'non_certified_blocks');
    },

    verifyStakeDistribution(msdJson, certificateJson) {
      return call('mw_verify_msd', ['string', 'string'],
        [asText(msdJson, 'stake distribution'), asText(certificateJson, 'certificate')]);
    },

    verifyCardanoDatabase(artifactJson, certificateJson) {
      return call('mw_verify_cardano_database', ['string', 'string'],
        [asText(artifactJson, 'cardano database'), asText(certificateJson, 'certificate')]);
    },

    cardanoDbMerkleRoot(digestsHex) {
      return call('mw_cardano_db_merkle_root', ['string'], [JSON.stringify(digestsHex)]).root;
    },

    verifySignerCredentials(c) {
      call('mw_verify_credentials', ['string', 'string', 'string', 'string', 'number'],
        [c.partyId, c.verificationKey, c.operationalCertificate, c.kesSignature, Number(c.kesEvolutions)]);
      return true;
    },
  };
}
