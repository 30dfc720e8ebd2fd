// Browser test of the InferSave page, against a running server.
//   INFERSAVE_URL  base URL of the server (default http://127.0.0.1:18080)
//   CHROMIUM       chromium executable (default /usr/bin/chromium)
//   SCREENSHOT     full-page screenshot path (default web/tests/artifacts/page.png)
// Run: cd web && npm install && INFERSAVE_URL=http://127.0.0.1:18080 npm test
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.INFERSAVE_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const EXE = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOT = process.env.SCREENSHOT || path.join(here, 'artifacts', 'page.png');
const T = 120000;   // per wait, ms: online plans simulate every candidate

let failures = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    console.log(`ok   ${name}${note ? ` (${note})` : ''} [${Date.now() - t0} ms]`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${String(e.message || e).split('\n')[0]}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

// Submit and wait until the plan of this submit is rendered (or failed).
async function plan(page) {
  const before = Number(await page.getAttribute('#recommendation', 'data-seq'));
  await page.click('#submit');
  await page.waitForFunction(n => {
    const r = document.querySelector('#recommendation');
    return Number(r.dataset.seq) > n && (r.dataset.state === 'done' || r.dataset.state === 'error');
  }, before, { timeout: T });
  return page.getAttribute('#recommendation', 'data-state');
}
const pick = page => page.textContent('[data-testid="rec-instance"]').then(s => s.trim());

const browser = await chromium.launch({ executablePath: EXE, headless: true, args: ['--no-sandbox'] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', e => pageErrors.push(e.message));

try {
  await check('page loads with its form and the model list', async () => {
    const res = await page.goto(BASE + '/', { waitUntil: 'load' });
    assert(res.ok(), `GET / answered ${res.status()}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
    for (const id of ['#plan-form', '#submit', '#mode-batch', '#mode-service', '#recommendation', '#candidates', '#cost-chart', '#memory', '#deploy', '#copy']) {
      assert(await page.$(id), `missing ${id}`);
    }
    const n = await page.$$eval('select[name="model"] option', o => o.length);
    assert(n > 1, `model list has ${n} option(s)`);
    return `${n} models`;
  });

  await check('1. default batch plan recommends g4dn.xlarge', async () => {
    const state = await plan(page);
    assert(state === 'done', `plan state ${state}: ${await page.textContent('#form-error')}`);
    const p = await pick(page);
    assert(p === 'g4dn.xlarge', `pick is "${p}"`);
    const rows = await page.$$eval('#candidates tbody tr', r => r.length);
    assert(rows > 1, `${rows} candidate rows`);
    assert(await page.$('#cost-chart svg .pt.pick'), 'cost chart has no marked pick');
    assert(await page.$('#memory .membar'), 'no memory bar');
    await page.waitForFunction(() => document.querySelector('#deploy').dataset.state !== 'loading', null, { timeout: T });
    const snippet = await page.textContent('#deploy-snippet');
    assert(snippet.includes('g4dn.xlarge'), `deploy snippet lacks the instance: ${snippet.slice(0, 120)}`);
    assert(new URL(page.url()).search === '', `default form should keep the URL clean, got ${page.url()}`);
    return `${rows} candidates`;
  });

  let first = '';
  await check('2. service mode: tightening TTFT p99 changes the pick', async () => {
    await page.check('#mode-service');
    await page.selectOption('select[name="catalog"]', 'paper');
    await page.selectOption('select[name="model"]', 'llama-3.1-8b');
    await page.fill('input[name="rate"]', '2');
    await page.fill('input[name="slo_percentile"]', '99');
    await page.fill('input[name="slo_ttft_ms"]', '2000');
    let state = await plan(page);
    assert(state === 'done', `plan state ${state}: ${await page.textContent('#form-error')}`);
    first = await pick(page);
    assert(first && first !== 'No instance qualifies', `first pick "${first}"`);
    assert(await page.$('#cost-chart svg .objective'), 'no objective line on the cost chart');
    await page.fill('input[name="slo_ttft_ms"]', '60');
    state = await plan(page);
    assert(state === 'done', `plan state ${state}: ${await page.textContent('#form-error')}`);
    const second = await pick(page);
    assert(second !== first, `pick stayed ${first}`);
    return `${first} at 2000 ms -> ${second} at 60 ms`;
  });

  await check('service mode: latency sweep of the pick is plotted', async () => {
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#latency-chart').dataset.state), null, { timeout: T });
    const state = await page.getAttribute('#latency-chart', 'data-state');
    assert(state === 'done', `latency sweep ${state}: ${await page.textContent('#latency-chart')}`);
    const n = await page.$$eval('#latency-chart svg polyline', l => l.length);
    assert(n === 2, `${n} latency lines`);
    return `${await page.$$eval('#latency-chart circle.dot', d => d.length)} points`;
  });

  await check('URL holds the form and restores it', async () => {
    const url = page.url();
    const q = new URL(url).searchParams;
    assert(q.get('mode') === 'service' && q.get('slo_ttft_ms') === '60' && q.get('model') === 'llama-3.1-8b', `query ${new URL(url).search}`);
    const p2 = await context.newPage();
    await p2.goto(url);
    await p2.waitForFunction(() => document.querySelector('#recommendation').dataset.state === 'done', null, { timeout: T });
    const restored = await p2.inputValue('input[name="slo_ttft_ms"]');
    const p = await pick(p2);
    const want = await pick(page);
    await p2.close();
    assert(restored === '60', `restored slo_ttft_ms ${restored}`);
    assert(p === want, `shared URL picked ${p}, expected ${want}`);
    return p;
  });

  await check('4. full-page screenshot', async () => {
    await page.waitForFunction(() => document.querySelector('#deploy').dataset.state !== 'loading', null, { timeout: T });
    fs.mkdirSync(path.dirname(SHOT), { recursive: true });
    await page.screenshot({ path: SHOT, fullPage: true });
    assert(fs.statSync(SHOT).size > 10000, 'screenshot is tiny');
    return SHOT;
  });

  await check('3. invalid batch size shows the server message beside the field', async () => {
    await page.check('#mode-batch');
    await page.fill('input[name="batch_size"]', '-5');
    const state = await plan(page);
    assert(state === 'error', `plan state ${state}`);
    const msg = (await page.textContent('#err-batch_size')).trim();
    assert(/batch_size/.test(msg) && /-5/.test(msg), `message beside batch_size: "${msg}"`);
    const slot = await page.evaluate(() => document.querySelector('input[name="batch_size"]').parentElement.querySelector('.field-error').id);
    assert(slot === 'err-batch_size', 'the error is not next to the input');
    assert(await page.getAttribute('input[name="batch_size"]', 'aria-invalid') === 'true', 'input not marked invalid');
    assert(await page.isHidden('#form-error'), 'general error box shown too');
    return msg;
  });

  await check('3b. negative slo_tps shows the server message beside the field', async () => {
    await page.fill('input[name="batch_size"]', '32');
    await page.fill('input[name="slo_tps"]', '-1');
    const state = await plan(page);
    assert(state === 'error', `plan state ${state}`);
    const msg = (await page.textContent('#err-slo_tps')).trim();
    assert(msg.length > 0, 'no message beside slo_tps');
    assert((await page.textContent('#err-batch_size')).trim() === '', 'old batch_size error not cleared');
    return msg;
  });

  await check('config.json that is not JSON is refused beside the textarea', async () => {
    await page.fill('input[name="slo_tps"]', '400');
    await page.click('#config-details summary');
    await page.fill('textarea[name="model_config"]', '{ not json');
    await page.click('#submit');
    const msg = (await page.textContent('#err-model_config')).trim();
    assert(/JSON/.test(msg), `message "${msg}"`);
    await page.fill('textarea[name="model_config"]', '');
    return msg;
  });

  await check('no uncaught errors in the page', async () => {
    assert(pageErrors.length === 0, pageErrors.join('; '));
  });
} finally {
  await browser.close();
}

console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
