// An aggregator answering from ../shared/reference-data through a fetch()
// stand-in (no socket): GET {base}/certificates and {base}/certificate/{hash},
// with `tamper` able to rewrite any answer before it is served.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export function referenceDir() {
  const shared = process.env.MTL_SHARED_DIR || new URL('../../../shared', import.meta.url).pathname;
  const dir = join(shared, 'reference-data', 'aggregator-fake-2026-05-21');
  return existsSync(join(dir, 'certificates.json')) ? dir : null;
}

export function loadReference(dir) {
  const read = (f) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const vkFile = join(dir, '..', 'genesis-keys', 'devnet-e2e', 'genesis.vkey');
  return {
    certificates: read('certificates.json'), // hash -> CertificateMessage
    list: read('certificates-list.json'),
    genesisVk: readFileSync(vkFile, 'utf8').trim(),
    read,
  };
}

const answer = (status, body) => ({
  ok: status === 200,
  status,
  text: async () => body,
  json: async () => JSON.parse(body),
});

// tamper(path, text) -> text to serve (or undefined: 404); `log` gets each path.
export function fakeFetch(ref, { tamper = (p, t) => t, log = [] } = {}) {
  return async (url) => {
    const path = new URL(url).pathname;
    log.push(path);
    let text;
    if (path === '/aggregator/certificates') text = JSON.stringify(ref.list);
    const m = path.match(/^\/aggregator\/certificate\/([0-9a-z]+)$/);
    if (m && ref.certificates[m[1]]) text = JSON.stringify(ref.certificates[m[1]]);
    text = text === undefined ? undefined : tamper(path, text);
    return text === undefined ? answer(404, 'not found') : answer(200, text);
  };
}
