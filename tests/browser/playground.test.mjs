// The playground in a real headless Chromium against a running peba (PEBA_URL, started by
// run.sh with imported fixture alerts, a frozen clock and the user PLAYGROUND_USER): the page
// loads without failed requests or console errors, shows the example tabs, runs an example with
// the run button, and the result appears in the result pane; the login helper, the docs
// introduction, the tab layout, the "today" examples and operation names on quick tab
// switches are tested below.
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

const user = process.env.PLAYGROUND_USER;
const userToken = process.env.PLAYGROUND_TOKEN;

/** A headless Chromium at 1280×800, and the problems its pages report. */
async function launch() {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const problems = [];
  context.on('page', (page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  });
  return { browser, context, problems };
}

/** Opens the playground in `page` and waits for its tabs and schema. */
async function open(page) {
  const schema = page.waitForResponse(
    (r) => r.url().endsWith('/graphql') && r.request().postData()?.includes('IntrospectionQuery'),
  );
  await page.goto(`${base}/playground`, { waitUntil: 'networkidle' });
  await page.locator('.graphiql-tab').first().waitFor({ timeout: 30_000 });
  await schema;
}

/** Clicks the tab whose title is `title` (the operation name). */
async function showTab(page, title) {
  await page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${title}$`) }).click();
}

/** Runs the visible tab; resolves to the request's body and the answer. */
async function run(page) {
  const response = page.waitForResponse(
    (r) => r.url().endsWith('/graphql') && !r.request().postData()?.includes('IntrospectionQuery'),
  );
  await page.locator('.graphiql-execute-button').click();
  const answered = await response;
  return {
    sent: JSON.parse(answered.request().postData()),
    headers: answered.request().headers(),
    answer: await answered.json(),
  };
}

test('logging in puts the token into the following requests until logging out', { timeout: 120_000 }, async () => {
  assert.ok(user && userToken, 'PLAYGROUND_USER and PLAYGROUND_TOKEN name a stored user');
  const { browser, context, problems } = await launch();
  try {
    const page = await context.newPage();
    await open(page);
    await showTab(page, 'Attackers');

    // anonymous: the address list is refused
    let { answer, headers } = await run(page);
    assert.equal(headers.authorization, undefined);
    assert.equal(answer.data?.attackers ?? null, null);
    assert.ok(answer.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'), JSON.stringify(answer));

    // a wrong token: the error is shown, nothing is kept
    await page.locator('[aria-label="Show Login"]').click();
    const form = page.locator('.peba-login-form');
    await form.getByLabel('User').fill(user);
    await form.getByLabel('Token').fill(`${userToken}-wrong`);
    await form.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.peba-login-error').waitFor({ timeout: 10_000 });
    assert.match(await page.locator('.peba-login-error').innerText(), /\S/);
    assert.equal(await page.locator('.peba-login-user').count(), 0);

    // the right token: logged in, visible, and sent with the next request
    await form.getByLabel('Token').fill(userToken);
    await form.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.peba-login-user').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.peba-login-user').innerText(), user);
    assert.match(await page.locator('.peba-login-status').innerText(), new RegExp(`logged in as ${user}`));
    const shown = await page.locator('.peba-login-header').innerText();
    assert.match(shown, /^Authorization: Bearer \S+$/);
    ({ answer, headers } = await run(page));
    assert.equal(`Authorization: ${headers.authorization}`, shown);
    assert.equal(answer.errors, undefined, JSON.stringify(answer));
    assert.ok(answer.data.attackers.length > 0, JSON.stringify(answer));
    assert.ok(answer.data.attackers.every((a) => a.ip && a.count > 0));

    // logging out removes it
    await page.getByRole('button', { name: 'Log out' }).click();
    await form.waitFor({ timeout: 10_000 });
    ({ answer, headers } = await run(page));
    assert.equal(headers.authorization, undefined);
    assert.equal(answer.data?.attackers ?? null, null);
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
});

test('the docs open on an introduction to peba, and leave it for the reference', { timeout: 120_000 }, async () => {
  const { browser, context, problems } = await launch();
  try {
    const page = await context.newPage();
    await open(page);
    await page.locator('[aria-label="Show Documentation Explorer"]').click();
    const intro = page.locator('.graphiql-doc-explorer').locator('..').locator('.peba-intro');
    await intro.waitFor({ timeout: 10_000 });
    const text = await intro.innerText();
    for (const words of ['Data domains', 'COMMUNITY', 'PRIVATE', 'Authentication', 'Authorization: Bearer', 'README.md']) {
      assert.ok(text.includes(words), `the introduction mentions ${words}`);
    }
    const links = await intro.locator('a').evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
    for (const href of ['/map', '/feeds/attackers.txt?hours=24', '/feeds/attackers.stix.json?hours=24', '/export/alerts.csv']) {
      assert.ok(links.includes(href), `links to ${href}: ${links}`);
    }
    // every link is to peba itself and answers (feeds and exports ask for the token)
    for (const href of links) {
      assert.ok(href.startsWith('/'), href);
      const status = (await fetch(`${base}${href}`)).status;
      assert.ok([200, 401].includes(status), `${href}: ${status}`);
    }
    // the reference below it, and the introduction only at the root
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
    await page.locator('.graphiql-doc-explorer-title', { hasText: 'Query' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.peba-intro').count(), 0);
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
});

test('every example tab is on screen at 1280×800', { timeout: 120_000 }, async () => {
  const { browser, context, problems } = await launch();
  try {
    const page = await context.newPage();
    await open(page);
    const examples = await (await fetch(`${base}/playground/examples.json`)).json();
    const layout = await page.evaluate(() => {
      const tabs = document.querySelector('.graphiql-tabs');
      return {
        pageWidth: document.documentElement.scrollWidth,
        tabsScroll: tabs.scrollWidth,
        tabsWidth: tabs.clientWidth,
        boxes: [...document.querySelectorAll('.graphiql-tab')].map((tab) => tab.getBoundingClientRect().toJSON()),
        editorTop: document.querySelector('.graphiql-query-editor').getBoundingClientRect().top,
      };
    });
    assert.equal(layout.boxes.length, examples.length);
    assert.ok(layout.pageWidth <= 1280, `page ${layout.pageWidth} px wide`);
    assert.ok(layout.tabsScroll <= layout.tabsWidth, `tab bar ${layout.tabsScroll} px in ${layout.tabsWidth}`);
    for (const box of layout.boxes) {
      assert.ok(box.left >= 0 && box.right <= 1280 && box.bottom <= 800, JSON.stringify(box));
    }
    // the editor stays usable below them
    assert.ok(layout.editorTop < 400, `editor starts at ${layout.editorTop} px`);
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
});

test('"today" examples use the date of page load, also in tabs kept from an earlier visit', { timeout: 120_000 }, async () => {
  const { browser, context, problems } = await launch();
  try {
    const page = await context.newPage();
    // the browser's real date
    await open(page);
    await showTab(page, 'Installations');
    const today = new Date().toISOString().slice(0, 10);
    let { sent } = await run(page);
    assert.equal(sent.variables.today, today);

    // another day: a fresh load and then a reload of the kept tabs both carry it
    for (const day of ['2031-03-04', '2031-03-05']) {
      await page.clock.setFixedTime(new Date(`${day}T10:00:00Z`));
      await open(page);
      await showTab(page, 'Installations');
      await page.locator('.graphiql-editor-tool').getByText(day).first().waitFor({ timeout: 10_000 });
      ({ sent } = await run(page));
      assert.equal(sent.variables.today, day);
      assert.equal(sent.operationName ?? 'Installations', 'Installations');
    }
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
});

test('a run right after quick tab switches names the visible tab\'s operation or none', { timeout: 120_000 }, async () => {
  const { browser, context, problems } = await launch();
  try {
    const page = await context.newPage();
    await open(page);
    const examples = await (await fetch(`${base}/playground/examples.json`)).json();
    const names = examples
      .filter((e) => e.query.startsWith('query '))
      .map((e) => e.query.match(/^query (\w+)/)[1]);
    const runs = [];
    page.on('request', (request) => {
      const body = request.postData();
      if (request.url().endsWith('/graphql') && body && !body.includes('IntrospectionQuery')) {
        runs.push(JSON.parse(body));
      }
    });
    for (let i = 0; i + 1 < names.length; i += 1) {
      const [from, to] = [names[i], names[i + 1]];
      const tabs = page.locator('.graphiql-tab-button');
      // no waiting between the clicks: switch away, switch again, run
      await tabs.getByText(from, { exact: true }).click({ noWaitAfter: true });
      await tabs.getByText(to, { exact: true }).click({ noWaitAfter: true });
      const before = runs.length;
      await page.locator('.graphiql-execute-button').click({ noWaitAfter: true });
      for (let wait = 0; runs.length === before && wait < 100; wait += 1) {
        await page.waitForTimeout(50);
      }
      assert.equal(runs.length, before + 1, `one request after switching to ${to}`);
      const sent = runs.at(-1);
      // let the answer arrive before the next switch
      await page.locator('.graphiql-execute-button').waitFor({ state: 'visible' });
      await page.waitForTimeout(200);
      assert.match(sent.query, new RegExp(`query ${to}\\b`), `the visible tab ${to} ran`);
      assert.ok(
        sent.operationName === undefined || sent.operationName === null || sent.operationName === to,
        `switched from ${from} to ${to}, sent operation ${sent.operationName}`,
      );
    }
    assert.ok(runs.length >= names.length - 1);
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
});
