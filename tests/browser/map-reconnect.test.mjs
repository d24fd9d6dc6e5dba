// The live attack map across a server restart, in a real headless Chromium: the test runs its
// own `peba serve` (PEBA_BIN) on a fixed loopback port, opens `/map`, kills the server hard, and
// checks that the page says the connection is lost, reconnects by itself once the server is
// back on the same address, and counts alerts acknowledged while its feed was down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { post, realisticMix } from './attacks.mjs';

const bin = process.env.PEBA_BIN;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const COMMUNITY = ['community-01-user', 'foth{a5maiCee8fineu7'];
/** The page retries at most every 5 s; allow one more round and the first refresh. */
const RECONNECT_BOUND_MS = 8_000;

/** A loopback port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `peba serve` on `port` over the store in `dataDir`; resolves once it listens. */
function serve(port, dataDir) {
  const env = { ...process.env, PEBA_DATA_DIR: dataDir };
  delete env.PEBA_ELASTICSEARCH_HOST;
  const child = spawn(bin, ['serve', '--bind', `127.0.0.1:${port}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => {
    errors = (errors + chunk).slice(-4_000);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('peba listening on')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`peba exited with ${code}: ${errors}`)));
  });
}

function killHard(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

async function within(bound, what, probe) {
  const start = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > bound) assert.fail(`${what} did not happen within ${bound} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('the map reconnects after a server restart', { timeout: 120_000 }, async (t) => {
  assert.ok(bin, 'PEBA_BIN names the peba binary');
  const dataDir = mkdtempSync(join(tmpdir(), 'peba-map-reconnect-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await serve(port, dataDir);
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    const status = page.getByTestId('status');
    const state = () => status.getAttribute('data-state');
    const lastHour = async () => Number(await page.getByTestId('count-last-hour').textContent());
    const first = realisticMix(30, 7);
    await post(base, ...COMMUNITY, first);
    await page.goto(`${base}/map`);
    await within(10_000, 'the page goes live with the history', async () =>
      (await state()) === 'live' && (await lastHour()) === first.length);

    await killHard(server);
    const noticed = await within(RECONNECT_BOUND_MS, 'the page says the connection is lost', async () =>
      (await state()) === 'reconnecting');
    assert.match(await status.textContent(), /Connection lost/);
    // It keeps trying while the server stays away.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(await state(), 'reconnecting');

    server = await serve(port, dataDir);
    // Acknowledged before the page's feed is back: the refresh on reconnection must count them.
    const whileDown = realisticMix(25, 8);
    await post(base, ...COMMUNITY, whileDown);
    const back = await within(RECONNECT_BOUND_MS, 'the page reconnects by itself', async () =>
      (await state()) === 'live');
    await within(RECONNECT_BOUND_MS, 'the page counts alerts stored while its feed was down', async () =>
      (await lastHour()) === first.length + whileDown.length);

    // And the new feed delivers again.
    const after = realisticMix(5, 9);
    await post(base, ...COMMUNITY, after);
    await within(2_000, 'a live alert after the reconnection is counted', async () =>
      (await lastHour()) === first.length + whileDown.length + after.length);
    t.diagnostic(`loss shown ${noticed} ms after the kill; live again ${back} ms after the restart`);
  } finally {
    await browser.close();
    await killHard(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
