// The playground in a real headless Chromium against a running peba (PEBA_URL, started by
// run.sh with imported fixture alerts and a frozen clock): the page loads without failed
// requests or console errors, shows the example tabs, runs an example with the run button,
// and the result appears in the result pane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.PEBA_URL;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

test('the playground runs an example query', { timeout: 120_000 }, async () => {
  assert.ok(base, 'PEBA_URL names the running server');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const problems = [];
  try {
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) =>
      problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
    );
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    const external = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith('data:')) {
        external.push(request.url());
      }
    });

    const examples = await (await fetch(`${base}/playground/examples.json`)).json();
    assert.ok(examples.length > 0);

    await page.goto(`${base}/playground`, { waitUntil: 'networkidle' });
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });

    // one tab per example; the first example is in the editor
    const tabs = page.locator('.graphiql-tab');
    await assert.doesNotReject(() => tabs.first().waitFor({ timeout: 10_000 }));
    assert.equal(await tabs.count(), examples.length);
    const editor = page.locator('.graphiql-query-editor');
    await editor.getByText('alertStats').first().waitFor({ timeout: 10_000 });

    // the schema arrived (introspection) before running
    await page.waitForResponse((r) => r.url().endsWith('/graphql') && r.status() === 200, {
      timeout: 10_000,
    }).catch(() => {});

    // run it
    const response = page.waitForResponse(
      (r) => r.url().endsWith('/graphql') && r.request().postData()?.includes('alertStats'),
    );
    await page.locator('.graphiql-execute-button').click();
    const answer = await (await response).json();
    assert.equal(answer.errors, undefined, JSON.stringify(answer));
    assert.equal(answer.data.alertStats.last24Hours, 16);

    // the result pane shows it
    const result = page.locator('.graphiql-response');
    await result.getByText('last24Hours').first().waitFor({ timeout: 10_000 });
    const text = await result.innerText();
    assert.match(text, /"last24Hours": 16/);

    // the documentation explorer knows the schema
    await page.locator('[aria-label="Show Documentation Explorer"]').click();
    await page.locator('.graphiql-doc-explorer').getByText('Query').first().waitFor({ timeout: 10_000 });

    await page.screenshot({ path: process.env.SCREENSHOT || 'playground.png' });
    assert.deepEqual(external, [], 'every asset comes from peba');
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
});
