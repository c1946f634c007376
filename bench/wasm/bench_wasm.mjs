// The WASM side of bench_wasm (bench_wasm.c runs it with the native figures):
//   node bench_wasm.mjs MITHRIL_MJS CERT_1000.json SHARED_DIR NATIVE_ONE_MS NATIVE_CHAIN_MS [--json]
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';

const [mjs, certPath, shared, nativeOne, nativeChain] = process.argv.slice(2);
const json = process.argv.includes('--json');
const report = (name, value, unit) =>
  console.log(json ? JSON.stringify({ figure: name, value: Number(value.toPrecision(6)), unit })
    : `${name.padEnd(58)} ${value.toFixed(4).padStart(14)} ${unit}`);

const refDir = join(shared, 'reference-data');
const certs = JSON.parse(readFileSync(join(refDir, 'aggregator-fake-2026-05-21', 'certificates.json'), 'utf8'));
const vk = readFileSync(join(refDir, 'genesis-keys', 'devnet-e2e', 'genesis.vkey'), 'utf8').trim();
const serve = async (url) => {
  const c = certs[url.split('/').pop()];
  const body = c ? JSON.stringify(c) : '';
  return { ok: !!c, status: c ? 200 : 404, text: async () => body };
};

let t0 = performance.now();
const { loadMithril } = await import(mjs);
const m = await loadMithril({ fetch: serve, cache: false });
const load = performance.now() - t0;

const cert = readFileSync(certPath, 'utf8');
let one = Infinity;
for (let i = 0; i < 3; i++) {
  t0 = performance.now();
  const r = m.verifyCertificate(cert, vk);
  if (!r.valid) throw new Error(`bench_wasm: ${r.reason}`);
  one = Math.min(one, performance.now() - t0);
}
t0 = performance.now();
for (const h of Object.keys(certs)) {
  const r = await m.verifyChain('http://bench/aggregator', vk, null, { hash: h });
  if (!r.verified) throw new Error(`bench_wasm: ${r.reason}`);
}
const chain = performance.now() - t0;

// The package's mithril.mjs carries the .wasm inline; the pair is one level up (build/wasm).
const wasmPath = [join(dirname(mjs), 'mithril.wasm'), join(dirname(mjs), '..', 'mithril.wasm')].find(existsSync);
const wasm = readFileSync(wasmPath);
report('wasm: load mithril.mjs + instantiate (Node)', load, 'ms');
report('wasm: verify one certificate, 1000 signers m=16948', one, 'ms');
report('wasm: 43 reference certificates, each walked to genesis', chain, 'ms');
report('wasm/native: one certificate, 1000 signers', one / Number(nativeOne), 'x');
report('wasm/native: 43-certificate chain', chain / Number(nativeChain), 'x');
report('wasm: mithril.wasm size', wasm.length / 1024, 'KiB');
report('wasm: mithril.wasm gzip -9 size', gzipSync(wasm, { level: 9 }).length / 1024, 'KiB');
report('wasm: package mithril.mjs (.wasm inline) size', readFileSync(mjs).length / 1024, 'KiB');
report('wasm: package mithril.mjs gzip -9 size', gzipSync(readFileSync(mjs), { level: 9 }).length / 1024, 'KiB');
