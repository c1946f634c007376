#!/usr/bin/env node
// browser.mjs - drive Debian's headless Chromium over the DevTools protocol
// (--remote-debugging-pipe: NUL-terminated JSON on fds 3 and 4, no npm
// package needed): open a page, wait until a JavaScript expression is
// truthy, print the value of another, optionally save a PNG of the page.
//
//   node browser.mjs --url URL [--until EXPR] [--print EXPR] [--screenshot F.png]
//                    [--timeout SECONDS] [--width PX]
//
// Exit 0 when --until became truthy (its value is on stdout when no --print
// is given), 2 on timeout (the --print value is still printed), 1 on error.
// Page console messages and uncaught exceptions go to stderr.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function parseArgs(argv) {
  const o = { until: 'document.readyState === "complete"', timeout: 300, width: 1280 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, ''), v = argv[i + 1];
    if (v === undefined || !['url', 'until', 'print', 'screenshot', 'timeout', 'width', 'chromium'].includes(k)) {
      throw new Error(`usage: browser.mjs --url URL [--until EXPR] [--print EXPR] [--screenshot F] [--timeout S] [--width PX] (bad: ${argv[i]})`);
    }
    o[k] = v;
  }
  if (!o.url) throw new Error('--url is required');
  o.timeout = Number(o.timeout);
  o.width = Number(o.width);
  return o;
}

class Cdp {
  constructor(child) {
    this.child = child;
    this.next = 1;
    this.pending = new Map();
    this.buf = '';
    child.stdio[4].on('data', (d) => this.onData(d));
    child.on('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`chromium exited (${code})`));
      this.pending.clear();
    });
  }

  onData(d) {
    this.buf += d.toString('utf8');
    let i;
    while ((i = this.buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(this.buf.slice(0, i));
      this.buf = this.buf.slice(i + 1);
      if (msg.id && this.pending.has(msg.id)) {
        const { resolve, reject } = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else resolve(msg.result);
      } else if (msg.method === 'Runtime.consoleAPICalled') {
        const text = msg.params.args.map((a) => a.value ?? a.description ?? '').join(' ');
        process.stderr.write(`page console.${msg.params.type}: ${text}\n`);
      } else if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params.exceptionDetails;
        process.stderr.write(`page exception: ${d.exception?.description || d.text}\n`);
      }
    }
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.next++;
    const msg = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdio[3].write(`${msg}\0`);
    });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function evaluate(cdp, session, expression) {
  const r = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, session);
  if (r.exceptionDetails) return undefined;
  return r.result.value;
}

async function run(o) {
  const profile = mkdtempSync(join(tmpdir(), 'mtl-chromium-'));
  const args = ['--headless', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-dev-shm-usage', '--remote-debugging-pipe',
    `--user-data-dir=${profile}`, 'about:blank'];
  if (process.getuid && process.getuid() === 0) args.unshift('--no-sandbox');
  const child = spawn(o.chromium || process.env.CHROMIUM || '/usr/bin/chromium', args,
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.on('exit', r));
  const cdp = new Cdp(child);
  try {
    const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
    await cdp.send('Runtime.enable', {}, sessionId);
    await cdp.send('Page.enable', {}, sessionId);
    await cdp.send('Emulation.setDeviceMetricsOverride',
      { width: o.width, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
    await cdp.send('Page.navigate', { url: o.url }, sessionId);
    const end = Date.now() + o.timeout * 1000;
    let value;
    for (;;) {
      value = await evaluate(cdp, sessionId, o.until);
      if (value || Date.now() > end) break;
      await sleep(250);
    }
    const printed = o.print ? await evaluate(cdp, sessionId, o.print) : value;
    if (printed !== undefined && printed !== null) {
      process.stdout.write(`${typeof printed === 'string' ? printed : JSON.stringify(printed)}\n`);
    }
    if (o.screenshot) {
      const m = await cdp.send('Page.getLayoutMetrics', {}, sessionId);
      const height = Math.ceil((m.cssContentSize || m.contentSize).height);
      await cdp.send('Emulation.setDeviceMetricsOverride',
        { width: o.width, height: Math.min(Math.max(height, 600), 8000), deviceScaleFactor: 1, mobile: false }, sessionId);
      const shot = await cdp.send('Page.captureScreenshot', { format: 'png' }, sessionId);
      writeFileSync(o.screenshot, Buffer.from(shot.data, 'base64'));
    }
    await cdp.send('Browser.close').catch(() => {});
    return value ? 0 : 2;
  } catch (e) {
    process.stderr.write(`browser: ${e.message}\n${stderr.slice(-2000)}`);
    child.kill('SIGKILL');
    return 1;
  } finally {
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(profile, { recursive: true, force: true });
  }
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`browser: ${e.message}\n`);
  process.exit(1);
}
process.exit(await run(opts));
