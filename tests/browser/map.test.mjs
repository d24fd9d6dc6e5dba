// The live attack map in a real headless Chromium against a running peba (PEBA_URL, started
// by run.sh with a GeoIP database placing the test networks and a private user MAP_USER /
// MAP_TOKEN): the page loads from peba alone under its Content-Security-Policy without
// console errors; alerts posted through the ingest route reach the counters, rankings and
// ticker within 2 s; anonymous viewers never receive a source address; a logged-in private
// user sees private data with addresses. Saves a screenshot (SCREENSHOT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { post, realisticMix, alertXml, sourceOf, COUNTRIES } from './attacks.mjs';

const base = process.env.PEBA_URL;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const COMMUNITY = ['community-01-user', 'foth{a5maiCee8fineu7'];
const PRIVATE = [process.env.MAP_USER, process.env.MAP_TOKEN];
const LIVE_BOUND_MS = 2_000;
const LOAD_RATE = Number(process.env.MAP_LOAD_RATE || 500);
const LOAD_SECONDS = Number(process.env.MAP_LOAD_SECONDS || 20);

async function count(page, id) {
  return Number(await page.getByTestId(id).textContent());
}

/** Waits until `probe()` is truthy; returns the milliseconds it took. */
async function within(bound, what, probe) {
  const start = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > bound) assert.fail(`${what} did not happen within ${bound} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('the map', { timeout: 180_000 }, async (t) => {
  assert.ok(base, 'PEBA_URL names the running server');
  assert.ok(PRIVATE[0] && PRIVATE[1], 'MAP_USER and MAP_TOKEN name the private user');

  // Realistic history before the page opens: many countries, six honeypot types.
  const history = realisticMix(600, 1);
  await post(base, ...COMMUNITY, history);
  const communityAddresses = new Set(history.map(sourceOf));

  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const problems = [];
  const external = [];
  const received = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(base) && !url.startsWith('data:')) external.push(url);
    });
    const graphqlRequests = [];
    page.on('response', async (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
      if (response.url().endsWith('/graphql')) {
        graphqlRequests.push(response.request().postDataJSON()?.operationName);
        received.push({ anonymous: !response.request().headers().authorization, text: await response.text() });
      }
    });
    const sockets = [];
    page.on('websocket', (socket) => {
      const frames = [];
      const entry = { url: socket.url(), frames, closed: false };
      sockets.push(entry);
      socket.on('close', () => {
        entry.closed = true;
      });
      socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
    });

    const opened = Date.now();
    const answer = await page.goto(`${base}/map`, { waitUntil: 'load' });
    await t.test('served same-origin under a strict CSP', async () => {
      const csp = answer.headers()['content-security-policy'];
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /connect-src 'self'(;|$)/);
      const playground = await fetch(`${base}/playground`);
      assert.equal(playground.headers.get('content-security-policy'), csp);
    });

    await t.test('first render shows the history', async () => {
      await page.getByTestId('status').getByText('Live').waitFor({ timeout: 10_000 });
      await within(10_000, 'counters show the history', async () => (await count(page, 'count-last-minute')) === history.length);
      t.diagnostic(`first complete render ${Date.now() - opened} ms after navigation (${history.length} alerts stored)`);
      assert.equal(await count(page, 'count-last-hour'), history.length);
      assert.equal(await count(page, 'count-last-24-hours'), history.length);
      assert.equal(await page.getByTestId('top-countries').locator('> *').count(), 10);
      assert.equal(await page.getByTestId('honeypot-types').locator('> *').count(), 6);
      assert.equal(await page.getByTestId('top-ports').locator('> *').count(), 10);
      assert.equal(await page.getByTestId('ticker').locator('> *').count(), 20);
      assert.equal(graphqlRequests.filter((op) => op === 'MapPanels').length, graphqlRequests.length);
    });

    let liveMs = 0;
    await t.test('live alerts reach counters, rankings and ticker within 2 s', async () => {
      const before = await count(page, 'count-last-minute');
      // Singapore (last in the table, rare in the history) attacking port 2323 on the cowrie sensor.
      const burst = Array.from({ length: 150 }, (_, i) =>
        alertXml({ country: COUNTRIES.length - 1, sensor: 0, port: 2323, host: 90_000 + i }));
      burst.forEach((xml) => communityAddresses.add(sourceOf(xml)));
      await post(base, ...COMMUNITY, burst);
      const acknowledged = Date.now();
      await within(LIVE_BOUND_MS, 'the ticker shows the burst', async () =>
        (await page.getByTestId('ticker').locator('> *').first().textContent()).includes(':2323'));
      await within(LIVE_BOUND_MS, 'the counters count the burst', async () =>
        (await count(page, 'count-last-minute')) === before + burst.length);
      await within(LIVE_BOUND_MS, 'the rankings rank the burst', async () =>
        (await page.getByTestId('top-ports').locator('> *').first().textContent()).startsWith('2323') &&
        (await page.getByTestId('top-countries').locator('> *').first().textContent()).startsWith('Singapore'));
      liveMs = Date.now() - acknowledged;
      assert.equal(await count(page, 'count-last-hour'), before + burst.length);
      assert.ok(Number(await page.getByTestId('map').getAttribute('data-arcs')) > 0, 'arcs in flight');
      t.diagnostic(`burst of ${burst.length} fully shown ${liveMs} ms after it was acknowledged`);
    });

    await t.test('one WebSocket; anonymous viewers never receive source addresses', async () => {
      assert.equal(sockets.length, 1);
      assert.ok(sockets[0].url.endsWith('/graphql/ws'));
      const frames = sockets[0].frames.join('\n');
      assert.match(frames, /alertAdded/);
      const everything = frames + received.filter((r) => r.anonymous).map((r) => r.text).join('\n');
      const leaked = [...communityAddresses].filter((address) => everything.includes(address));
      assert.deepEqual(leaked, []);
      assert.equal(await page.getByTestId('ticker').locator('.ip').count(), 0);
    });

    // Long tasks and busy share are measured and reported (BENCHMARKS.md), not asserted: on a
    // shared 2-core machine the debug server's ingest competes with the renderer for the CPU.
    await t.test(`sustained ${LOAD_RATE} alerts/s for ${LOAD_SECONDS} s: every alert counted, arcs capped`, async () => {
      const before = await count(page, 'count-last-hour');
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      const taskTime = async () =>
        (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
      await page.evaluate(() => {
        window.longTasks = [];
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
        }).observe({ type: 'longtask' });
      });
      let maxArcs = 0;
      const sampler = setInterval(async () => {
        const arcs = Number(await page.getByTestId('map').getAttribute('data-arcs').catch(() => 0));
        maxArcs = Math.max(maxArcs, arcs);
      }, 100);
      const busyBefore = await taskTime();
      const started = Date.now();
      let acknowledged = 0;
      let late = 0;
      for (let second = 0; second < LOAD_SECONDS; second += 1) {
        const alerts = realisticMix(LOAD_RATE, 100 + second);
        const messages = [];
        for (let i = 0; i < alerts.length; i += 50) {
          messages.push(post(base, ...COMMUNITY, alerts.slice(i, i + 50)).then(() => {
            acknowledged += Math.min(50, alerts.length - i);
          }));
        }
        await Promise.all(messages);
        const wait = started + (second + 1) * 1000 - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        else late += 1;
      }
      const elapsed = (Date.now() - started) / 1000;
      const busy = (await taskTime()) - busyBefore;
      await within(5_000, 'the page counts every acknowledged alert', async () =>
        (await count(page, 'count-last-hour')) === before + acknowledged);
      clearInterval(sampler);
      const longTasks = await page.evaluate(() => window.longTasks);
      const longest = Math.max(0, ...longTasks);
      t.diagnostic(
        `load: ${acknowledged} alerts acknowledged in ${elapsed.toFixed(1)} s ` +
          `(${(acknowledged / elapsed).toFixed(0)}/s, ${late} seconds behind schedule); ` +
          `main thread busy ${((busy / elapsed) * 100).toFixed(1)} %; ` +
          `${longTasks.length} tasks over 50 ms, longest ${longest.toFixed(0)} ms; at most ${maxArcs} arcs in flight`,
      );
      assert.equal(acknowledged, LOAD_RATE * LOAD_SECONDS);
      assert.ok(maxArcs <= 400, `arcs capped (${maxArcs})`);
    });

    // A realistic screenshot: arcs of a fresh wave over the shaded countries.
    await post(base, ...COMMUNITY, realisticMix(120, 2));
    await page.waitForTimeout(700);
    await page.screenshot({ path: process.env.SCREENSHOT || 'map.png' });

    await t.test('a private user logs in and sees private data with addresses', async () => {
      const own = realisticMix(40, 3);
      await post(base, ...PRIVATE, own);
      await page.getByTestId('login-form').getByLabel('User').fill(PRIVATE[0]);
      await page.getByTestId('login-form').getByLabel('Token').fill(PRIVATE[1]);
      await page.getByTestId('login-form').getByRole('button').click();
      await page.getByTestId('viewer').getByText(PRIVATE[0]).waitFor({ timeout: 5_000 });
      assert.equal(await page.getByTestId('domain').isEnabled(), true);
      await page.getByTestId('domain').selectOption('PRIVATE');
      await within(5_000, 'the counters show the private alerts', async () =>
        (await count(page, 'count-last-hour')) === own.length);
      const live = alertXml({ country: 0, sensor: 1, port: 445, host: 77_777 });
      await post(base, ...PRIVATE, [live]);
      await within(LIVE_BOUND_MS, 'the private alert appears with its address', async () =>
        (await page.getByTestId('ticker').locator('> *').first().textContent()).includes(sourceOf(live)));
      await within(LIVE_BOUND_MS, 'the counters count it', async () =>
        (await count(page, 'count-last-hour')) === own.length + 1);
      assert.equal(sockets.filter((s) => !s.closed).length, 1, 'one socket open at a time');
    });
  } finally {
    await browser.close();
  }
  assert.deepEqual(external, [], 'every request stays on peba');
  assert.deepEqual(problems, []);
});
