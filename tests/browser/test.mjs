// End-to-end test of the voter's pages in headless Chromium. Started by run.sh, which runs
// `psephos demo --keep-open` and exports PSEPHOS_URL, PSEPHOS_TOKEN, PSEPHOS_CODES,
// PSEPHOS_BIN, PSEPHOS_VERIFY_BIN and PSEPHOS_TMP. The tests run in order and share state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'output');
const URL_ = process.env.PSEPHOS_URL;
const TOKEN = process.env.PSEPHOS_TOKEN;
const BIN = process.env.PSEPHOS_BIN;
const VERIFY = process.env.PSEPHOS_VERIFY_BIN;
const TMP = process.env.PSEPHOS_TMP || fs.mkdtempSync(path.join(os.tmpdir(), 'psephos-browser-'));
assert.ok(URL_, 'PSEPHOS_URL is set (run tests/browser/run.sh)');

// Voting codes nobody has used yet (CSV: member_id,name,email,voting_code).
function readCodes(file) {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const col = header.indexOf('voting_code');
  assert.ok(col >= 0, `voting_code column in ${header}`);
  return lines.slice(1).map((l) => l.split(',')[col].replace(/"/g, '').trim()).filter(Boolean);
}
const codes = readCodes(process.env.PSEPHOS_CODES);
let nextCode = 0;
const freshCode = () => codes[nextCode++];

let context;
let page;
const timings = { encryptMs: [], benchMs: [] };
const shared = {};

async function shot(name, p = page) {
  await p.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
}

before(async () => {
  fs.mkdirSync(out, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'psephos-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1000, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => { if (m.text().startsWith('psephos:')) console.log(`  [page] ${m.text()}`); });
  page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
});

after(async () => {
  if (context) await context.close();
  const enc = timings.encryptMs;
  const bench = [...timings.benchMs].sort((a, b) => a - b);
  if (enc.length || bench.length) {
    const median = bench.length ? bench[Math.floor(bench.length / 2)] : NaN;
    console.log(`in-browser encryption+proofs (3 options): page clicks ${enc.map((x) => x.toFixed(2)).join(', ')} ms; `
      + `benchmark of ${bench.length}: median ${median.toFixed(2)} ms, min ${bench[0]?.toFixed(2)} ms, max ${bench[bench.length - 1]?.toFixed(2)} ms`);
    fs.writeFileSync(path.join(out, 'timings.json'), JSON.stringify({ ...timings, median }, null, 2));
  }
});

async function openVoterPage() {
  await page.goto(`${URL_}/`);
  await page.getByLabel('Voting code').waitFor();
}

// Types a code, picks an option, encrypts; returns the tracking code shown.
async function encrypt(code, option) {
  await page.getByLabel('Voting code').fill(code);
  await page.getByRole('radio', { name: option, exact: true }).check();
  await page.getByRole('button', { name: 'Encrypt my ballot' }).click();
  await page.getByRole('heading', { name: 'Tracking code' }).waitFor();
  const tracking = (await page.locator('#tracking-code').textContent()).trim();
  assert.match(tracking, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
  const ms = Number(await page.locator('body').getAttribute('data-encrypt-ms'));
  assert.ok(ms > 0, 'the page exposes data-encrypt-ms');
  timings.encryptMs.push(ms);
  return tracking;
}

async function castAndCheck(tracking, shotName) {
  await page.getByRole('button', { name: 'Cast ballot' }).click();
  await page.getByRole('heading', { name: 'Your ballot was cast' }).waitFor();
  assert.equal((await page.locator('#cast-code').textContent()).trim(), tracking);
  assert.match(await page.locator('#receipt-check').textContent(), /checked on this device/);
  if (shotName) await shot(shotName);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download receipt (JSON)' }).click(),
  ]);
  const file = path.join(out, `receipt-${tracking}.json`);
  await download.saveAs(file);
  const receipt = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(receipt.tracking_code, tracking);
  return receipt;
}

async function ballotStatus(tracking) {
  const res = await fetch(`${URL_}/api/ballots/${tracking}`);
  return res.ok ? (await res.json()).status : `http ${res.status}`;
}

test('voter page renders the ballot accessibly', async () => {
  await openVoterPage();
  // The demo's options, each a radio button named by the option's exact name.
  for (const name of ['Owen Smith', 'Jeremy Corbyn', 'Neither']) {
    await page.getByRole('radio', { name, exact: true }).waitFor();
  }
  await page.getByRole('button', { name: 'Encrypt my ballot' }).waitFor();
  await shot('01-voter-page');
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 375, height: 740 });
  await phone.goto(`${URL_}/`);
  await phone.getByLabel('Voting code').waitFor();
  await shot('01b-voter-page-phone', phone);
  // The dates of the election are on the page (the demo's manifest has a closing time).
  assert.match(await phone.locator('#dates').textContent(), /Voting .*closes/);
  // On a narrow phone screen (narrower than the code, so it must wrap) a tracking code breaks
  // only at its dashes, never inside a group.
  await phone.setViewportSize({ width: 250, height: 740 });
  await phone.getByLabel('Voting code').fill(codes[codes.length - 2]);
  await phone.getByRole('radio', { name: 'Neither', exact: true }).check();
  await phone.getByRole('button', { name: 'Encrypt my ballot' }).click();
  await phone.getByRole('heading', { name: 'Tracking code' }).waitFor();
  const groupsSplit = await phone.locator('#tracking-code').evaluate((el) => {
    const text = el.firstChild;
    const tops = [];
    for (let i = 0; i < text.length; i++) {
      const r = document.createRange();
      r.setStart(text, i);
      r.setEnd(text, i + 1);
      tops.push(Math.round(r.getBoundingClientRect().top));
    }
    // Characters of one group (between dashes) must share a line.
    return text.data.split('-').some((group, gi) => {
      const start = gi * 5;
      return new Set(tops.slice(start, start + group.length)).size > 1;
    });
  });
  assert.equal(groupsSplit, false, 'no group of the tracking code is split across lines');
  await shot('01c-tracking-code-phone', phone);
  await phone.close();
});

test('cast a ballot with a fresh code: receipt verified and downloadable', async () => {
  await openVoterPage();
  const code = freshCode();
  const tracking = await encrypt(code, 'Neither');
  // The choice is read back before Cast, with a way to change it.
  assert.match(await page.locator('#chosen').textContent(), /You chose: Neither/);
  await page.getByRole('button', { name: 'Change my choices' }).waitFor();
  await shot('02-encrypted');
  const receipt = await castAndCheck(tracking, '03-cast');
  assert.equal(await ballotStatus(tracking), 'counted');
  // The voting code has left the page.
  assert.equal(await page.locator('#code').inputValue(), '');
  shared.cast = { code, tracking, receipt };
});

test('challenge a ballot: the revealed choice is the selected one, then cast after the challenge', async () => {
  await openVoterPage();
  const code = freshCode();
  const options = await page.locator('#questions input[type=radio]').evaluateAll((els) => els.map((e) => e.labels[0].textContent));
  const pick = options[0];
  const tracking = await encrypt(code, pick);
  await page.getByRole('button', { name: 'Challenge ballot' }).click();
  await page.getByRole('heading', { name: 'Ballot challenged' }).waitFor();
  assert.equal((await page.locator('#challenged-choices').textContent()).trim(), pick);
  await page.locator('#challenged-check').filter({ hasText: 'entry' }).waitFor({ timeout: 10000 });
  assert.match(await page.locator('#challenged-check').textContent(), /matches what you selected/);
  assert.match(await page.locator('#challenged-check').textContent(), /receipt \(checked on this device\).*look up the spoiled tracking code/);
  await page.locator('summary', { hasText: 'Check it yourself' }).click();
  assert.match(await page.locator('#challenged-seed').textContent(), /^[0-9a-f]{64}$/);
  await shot('04-challenged');
  assert.equal(await ballotStatus(tracking), 'challenged');
  // Encrypt again: new randomness, new tracking code; then cast.
  await page.getByRole('button', { name: 'Back to my ballot' }).click();
  await page.getByRole('radio', { name: 'Neither', exact: true }).check();
  await page.getByRole('button', { name: 'Encrypt my ballot' }).click();
  await page.getByRole('heading', { name: 'Tracking code' }).waitFor();
  const tracking2 = (await page.locator('#tracking-code').textContent()).trim();
  assert.notEqual(tracking2, tracking, 'a new encryption has a new tracking code');
  timings.encryptMs.push(Number(await page.locator('body').getAttribute('data-encrypt-ms')));
  await castAndCheck(tracking2, '05-cast-after-challenge');
  assert.equal(await ballotStatus(tracking2), 'counted');
  shared.afterChallenge = { code, tracking: tracking2 };
});

test('revote: the same code again replaces the earlier ballot', async () => {
  await openVoterPage();
  const { code, tracking } = shared.cast;
  assert.match(await page.locator('#revote-note').textContent(), /replaces your earlier one|only once/);
  const tracking2 = await encrypt(code, 'Neither');
  await castAndCheck(tracking2);
  assert.equal(await ballotStatus(tracking2), 'counted');
  assert.equal(await ballotStatus(tracking), 'superseded');
  shared.cast.tracking = tracking2;
});

test('a malformed voting code is refused on the page; a code not on the roll by the board', async () => {
  await openVoterPage();
  await page.getByLabel('Voting code').fill('ABCDE-12345');
  await page.getByRole('radio', { name: 'Neither', exact: true }).check();
  await page.getByRole('button', { name: 'Encrypt my ballot' }).click();
  const err = page.locator('#code-error');
  await err.filter({ hasText: 'not valid' }).waitFor();
  assert.match(await err.textContent(), /letters A-Z and the digits 2-7/);
  assert.equal(await page.getByLabel('Voting code').getAttribute('aria-invalid'), 'true');
  await shot('06-malformed-code');
  // Well formed, but nobody's code.
  const tracking = await encrypt('AAAAA-BBBBB-CCCCC-DDDDD', 'Neither');
  await page.getByRole('button', { name: 'Cast ballot' }).click();
  await page.locator('#cast-message').filter({ hasText: 'not on the roll' }).waitFor();
  await shot('07-not-on-roll');
  assert.equal(await ballotStatus(tracking), 'http 404');
});

test('in-browser encryption time (3-option ballot, with proofs)', async () => {
  // Time the module directly, 30 times, in the page's own origin (nothing is posted).
  const code = codes[codes.length - 1];
  const result = await page.evaluate(async (code) => {
    const m = await import('/pkg/psephos_web.js');
    await m.default();
    const [manifest, status, evidence] = await Promise.all([
      fetch('/api/manifest').then((r) => r.text()), fetch('/api/election').then((r) => r.text()),
      fetch('/api/election/evidence').then((r) => r.text())]);
    const t0 = performance.now();
    const election = m.prepare(manifest, status, evidence);
    const prepareMs = performance.now() - t0;
    const q = JSON.parse(manifest).questions;
    const choices = JSON.stringify(q.map((qq) => qq.options.map((_, i) => (i === 0 ? 1 : 0))));
    const runs = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      election.encrypt_ballot(code, choices);
      runs.push(performance.now() - s);
    }
    election.cast_body(); // spends the pending ballot (nothing is posted)
    return { prepareMs, runs, options: q.map((qq) => qq.options.length) };
  }, code);
  timings.benchMs = result.runs;
  timings.prepareMs = result.prepareMs;
  const sorted = [...result.runs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`  options per question ${JSON.stringify(result.options)}; prepare (table of K) ${result.prepareMs.toFixed(2)} ms; encrypt median ${median.toFixed(2)} ms`);
  assert.ok(median < 50, `encryption median ${median} ms (target < 10 ms)`);
});

test('network failure while casting: the ballot arrived, the answer was lost; retrying is safe', async () => {
  await openVoterPage();
  const tracking = await encrypt(freshCode(), 'Jeremy Corbyn');
  let board = null;
  // The POST reaches the board, but the page never sees the answer.
  await page.route('**/api/ballots', async (route) => {
    board = await route.fetch();
    await route.abort('failed');
  }, { times: 1 });
  await page.getByRole('button', { name: 'Cast ballot' }).click();
  await page.locator('#cast-message').filter({ hasText: 'Trying again is safe' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Challenge ballot' }).isVisible(), false, 'no challenge once a cast may have arrived');
  await shot('07b-network-failure');
  assert.equal(board.status(), 200);
  const first = await board.text();
  assert.equal(await ballotStatus(tracking), 'counted');
  await page.getByRole('button', { name: 'Try sending again' }).click();
  await page.getByRole('heading', { name: 'Your ballot was cast' }).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download receipt (JSON)' }).click(),
  ]);
  const again = fs.readFileSync(await download.path(), 'utf8');
  assert.deepEqual(JSON.parse(again), JSON.parse(first), 'the retry got the same receipt');
});

test('public board lists tracking codes, a verified checkpoint and finds a code', async () => {
  await page.goto(`${URL_}/board`);
  await page.locator('#codes-table').waitFor();
  await page.locator('#checkpoint[data-verified]').waitFor();
  assert.equal(await page.locator('#checkpoint').getAttribute('data-verified'), 'true');
  const text = await page.locator('#codes').textContent();
  assert.ok(text.includes(shared.cast.tracking));
  await page.getByRole('searchbox', { name: 'Tracking code' }).fill(shared.cast.tracking);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('#search-result').filter({ hasText: 'Found' }).waitFor();
  assert.match(await page.locator('#search-result').textContent(), /counted/);
  // The election's title and phase.
  await page.locator('#election-info').filter({ hasText: 'voting is open' }).waitFor();
  await shot('08-board');
  await page.getByRole('searchbox', { name: 'Tracking code' }).fill('AAAA-BBBB-CCCC-DDDD');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('#search-result').filter({ hasText: 'No ballot' }).waitFor();
  // As typed by a voter: lower case, spaces for dashes, 0 for O and 1 for I.
  const typed = shared.cast.tracking.toLowerCase().replace(/-/g, ' ').replace(/o/g, '0').replace(/i/g, '1');
  await page.getByRole('searchbox', { name: 'Tracking code' }).fill(typed);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('#search-result').filter({ hasText: `Found: ballot ${shared.cast.tracking}` }).waitFor();
});

test('results page says voting is in progress', async () => {
  await page.goto(`${URL_}/results`);
  await page.getByText('Voting in progress').waitFor();
  await page.locator('#election-info').filter({ hasText: 'voting is open' }).waitFor();
  await shot('09-results-in-progress');
});

test('closing the election: a pending cast is refused and the page says it is closed', async () => {
  await openVoterPage();
  const pending = await encrypt(freshCode(), 'Neither');
  execFileSync(BIN, ['admin', 'close', '--board', URL_, '--token', TOKEN, '--yes'], { stdio: 'inherit' });
  await page.getByRole('button', { name: 'Cast ballot' }).click();
  await page.getByRole('heading', { name: 'The election is closed' }).waitFor();
  assert.match(await page.locator('#closed-text').textContent(), /election is closed/);
  assert.equal(await ballotStatus(pending), 'http 404');
  // A fresh load says so too, and offers no ballot.
  await page.goto(`${URL_}/`);
  await page.getByRole('heading', { name: 'The election is closed' }).waitFor();
  assert.equal(await page.getByLabel('Voting code').isVisible(), false);
  await shot('10-closed');
  await page.goto(`${URL_}/results`);
  await page.getByText('Voting has closed').waitFor();
  await shot('11-results-closed');
});

test('the published record verifies and contains the counted ballot', async () => {
  const dir = path.join(TMP, 'published');
  try {
    execFileSync(BIN, ['admin', 'publish', '--board', URL_, '--out', dir], { stdio: 'pipe' });
  } catch (e) {
    // `admin publish` wants result.json, which exists only after the trustees decrypt (the
    // demo with --keep-open does not give us their tokens): fetch what the record has so far.
    console.log(`  admin publish: ${String(e.stderr).trim()}; downloading the record files instead`);
    fs.mkdirSync(dir, { recursive: true });
    for (const file of ['manifest.json', 'board.jsonl', 'roll.jsonl', 'checkpoints.jsonl', 'result.json']) {
      const res = await fetch(`${URL_}/api/record/${file}`);
      if (res.ok) fs.writeFileSync(path.join(dir, file), Buffer.from(await res.arrayBuffer()));
      else assert.equal(file, 'result.json', `GET /api/record/${file}: ${res.status}`);
    }
  }
  for (const tracking of [shared.cast.tracking, shared.afterChallenge.tracking]) {
    const receipt = path.join(out, `receipt-${tracking}.json`);
    const report = execFileSync(VERIFY, [dir, '--tracking-code', tracking, '--receipt', receipt], { encoding: 'utf8' });
    console.log(report.split('\n').filter((l) => l.includes(tracking) || /receipt/i.test(l)).map((l) => `  [verify] ${l}`).join('\n'));
    assert.ok(report.includes(tracking), `the verifier's report names ${tracking}`);
  }
});

test('results page renders a result table (the /api/result answer stubbed by the test)', async () => {
  // The demo with --keep-open leaves the decryption to the trustees, whose tokens the test
  // does not have; this checks the page's rendering of a result of the record's shape.
  const result = {
    questions: [{ title: 'Who should we support as Leader of the Labour Party?',
      options: [{ name: 'Owen Smith', votes: 12 }, { name: 'Jeremy Corbyn', votes: 9 }, { name: 'Neither', votes: 3 }] }],
    turnout: { eligible: 40, voted: 24, percentage: '60.00' },
    trustees: [1, 2],
  };
  await page.route('**/api/result', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(result) }));
  await page.goto(`${URL_}/results`);
  await page.getByRole('table').waitFor();
  assert.equal(await page.getByRole('row', { name: /Owen Smith/ }).locator('td').first().textContent(), '12');
  assert.match(await page.locator('#turnout').textContent(), /24 of 40 .*60\.00 %/);
  await page.getByText('psephos-verify DIR', { exact: false }).first().waitFor();
  await shot('12-results-rendered');
  await page.unroute('**/api/result');
});
