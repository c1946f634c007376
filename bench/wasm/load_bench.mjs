// Load time of mithril.mjs (import + instantiate, fresh process each run) in
// Node and in headless Chromium, for each build given (e.g. the .mjs + .wasm
// pair and a -sSINGLE_FILE=1 one): how wasm/README.md chose its loader.
//   node load_bench.mjs NAME=DIR [NAME=DIR...]   (DIR holds mithril.mjs)
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

const RUNS = 5;
const builds = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')).map(([n, d]) => [n, resolve(d)]));
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function nodeRun(dir) {
  const code = `const t0 = performance.now(); const { loadMithril } = await import(${JSON.stringify(join(dir, 'mithril.mjs'))});
    await loadMithril(); console.log(performance.now() - t0);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }));
}

const types = { '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
let waiting = null;
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/result') {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => { res.end(); waiting && waiting(Number(body)); });
    return;
  }
  if (url.pathname === '/load.html') {
    const b = url.searchParams.get('b');
    res.setHeader('content-type', 'text/html');
    res.end(`<script type="module">const t0 = performance.now();
      const { loadMithril } = await import('/${b}/mithril.mjs'); await loadMithril();
      fetch('/result', { method: 'POST', body: String(performance.now() - t0) });</script>`);
    return;
  }
  const [, b, file] = url.pathname.split('/');
  const path = builds[b] && join(builds[b], file || '');
  if (!path || !existsSync(path)) { res.statusCode = 404; res.end(); return; }
  res.setHeader('content-type', types[file.slice(file.lastIndexOf('.'))] || 'application/octet-stream');
  res.end(readFileSync(path));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

async function chromiumRun(b) {
  const profile = mkdtempSync(join(tmpdir(), 'mtl-load-'));
  const got = new Promise((r) => (waiting = r));
  const child = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
    `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/load.html?b=${b}`], { stdio: 'ignore', detached: true });
  const timeout = new Promise((_, j) => setTimeout(() => j(new Error('chromium: no result in 60 s')), 60000));
  try {
    return await Promise.race([got, timeout]);
  } finally {
    // /usr/bin/chromium is a wrapper script: stop the whole group it leads.
    const exited = new Promise((r) => child.once('exit', r));
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    await exited;
    await new Promise((r) => setTimeout(r, 500));
    rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

const hasChromium = (() => { try { execFileSync('chromium', ['--version']); return true; } catch { return false; } })();
for (const [b, dir] of Object.entries(builds)) {
  const n = [];
  for (let i = 0; i < RUNS; i++) n.push(nodeRun(dir));
  console.log(`${`load ${b}: Node 20, median of ${RUNS}`.padEnd(58)} ${median(n).toFixed(1).padStart(14)} ms`);
  if (!hasChromium) continue;
  const c = [];
  for (let i = 0; i < RUNS; i++) c.push(await chromiumRun(b));
  console.log(`${`load ${b}: Chromium, median of ${RUNS}`.padEnd(58)} ${median(c).toFixed(1).padStart(14)} ms`);
}
server.close();
