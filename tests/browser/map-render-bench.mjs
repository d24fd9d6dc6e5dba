// Time to first complete render of the live attack map against a running peba (PEBA_URL),
// typically a release build on a large store: `peba-bench generate --alerts 1000000` then
// `peba serve` on it. Opens /map in a fresh headless Chromium page RUNS times (default 7) and
// prints the time from navigation until the status says Live, all three counters, the three
// rankings and the ticker are filled and a frame was painted; then the median and extremes.
import { chromium } from 'playwright-core';

const base = process.env.PEBA_URL;
if (!base) throw new Error('PEBA_URL names the running server');
const runs = Number(process.env.RUNS || 7);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const times = [];
try {
  for (let run = 0; run < runs; run += 1) {
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    const page = await context.newPage();
    const opened = Date.now();
    await page.goto(`${base}/map`, { waitUntil: 'commit' });
    await page.waitForFunction(
      () => {
        const byId = (id) => document.querySelector(`[data-testid="${id}"]`);
        const filled = (id) => byId(id).children.length > 0;
        return (
          byId('status').dataset.state === 'live' &&
          ['count-last-minute', 'count-last-hour', 'count-last-24-hours'].every(
            (id) => byId(id).textContent !== '',
          ) &&
          Number(byId('count-last-24-hours').textContent.replace(/\D/g, '')) > 0 &&
          ['top-countries', 'top-ports', 'honeypot-types', 'ticker'].every(filled)
        );
      },
      null,
      { polling: 'raf', timeout: 30_000 },
    );
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve())));
    const ms = Date.now() - opened;
    times.push(ms);
    const counters = await page.evaluate(() =>
      ['count-last-minute', 'count-last-hour', 'count-last-24-hours'].map(
        (id) => document.querySelector(`[data-testid="${id}"]`).textContent,
      ),
    );
    console.log(`run ${run + 1}: ${ms} ms (counters ${counters.join(' / ')})`);
    await context.close();
  }
} finally {
  await browser.close();
}
const sorted = [...times].sort((a, b) => a - b);
console.log(
  `first complete render: median ${sorted[Math.floor(sorted.length / 2)]} ms, ` +
    `min ${sorted[0]} ms, max ${sorted[sorted.length - 1]} ms over ${runs} runs`,
);
