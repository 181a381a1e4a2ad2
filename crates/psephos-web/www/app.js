// The voter's page. Every encoding, proof and signature check is done by the WebAssembly
// module (pkg/, built from crates/psephos-web); this file only moves JSON text between the
// page, the module and the board.
import init, { prepare, normalize_code } from './pkg/psephos_web.js';
import { datesText } from './info.js';

const $ = (id) => document.getElementById(id);

// A thrown module error carries {"error": code, "message": text}, like the board's errors.
function moduleError(e) {
  try {
    const body = JSON.parse(e.message);
    if (body && typeof body.error === 'string') return body;
  } catch (_) { /* not ours */ }
  return { error: 'internal', message: String(e && e.message ? e.message : e) };
}

// What to tell the voter for each board rejection code (docs/api.md).
const BOARD_MESSAGES = {
  not_on_roll: 'This voting code is not on the roll of this election. Check it for typos and try again. Nothing was recorded.',
  election_closed: 'The election is closed: voting has ended and this ballot was not accepted.',
  election_not_open: 'Voting has not opened yet: this ballot was not accepted.',
  revote_rejected: 'This voting code has already been used, and this election does not allow changing a vote. Your earlier ballot stands.',
  bad_signature: 'The board could not check this ballot\'s signature. Reload the page and try again.',
  wrong_election: 'This ballot was made for another election. Reload the page and try again.',
  bad_proof: 'The board found the ballot\'s proofs invalid. Reload the page and try again.',
  malformed: 'The board could not read this ballot. Reload the page and try again.',
  duplicate_ballot: 'This ballot id was already used. Encrypt your ballot again.',
  challenge_mismatch: 'The board could not re-create the challenged ballot from its revealed randomness.',
  spoiled_ballot_cast: 'This ballot reuses the randomness of a challenged (spoiled) ballot, which can never be cast. Encrypt your ballot again.',
  rate_limited: 'Too many attempts from this connection. Wait a minute and try again (it is safe to retry).',
  payload_too_large: 'The ballot is too large for the board. Reload the page and try again.',
};

// Codes after which sending the same ballot again cannot help.
const FINAL_CODES = new Set(Object.keys(BOARD_MESSAGES).filter((c) => c !== 'rate_limited'));

class BoardError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

class NetworkError extends Error {}

async function getText(path) {
  let res;
  try {
    res = await fetch(path, { cache: 'no-store' });
  } catch (e) {
    throw new NetworkError(String(e));
  }
  const text = await res.text();
  if (!res.ok) throw boardError(res.status, text);
  return text;
}

async function postText(path, body) {
  let res;
  let text;
  try {
    res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body, cache: 'no-store' });
    text = await res.text();
  } catch (e) {
    throw new NetworkError(String(e));
  }
  if (!res.ok) throw boardError(res.status, text);
  return text;
}

function boardError(status, text) {
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === 'string') return new BoardError(status, body.error, body.message || '');
  } catch (_) { /* not JSON */ }
  return new BoardError(status, status >= 500 ? 'server_error' : 'http_' + status, text.slice(0, 200));
}

function say(el, text, kind) {
  el.textContent = text;
  el.classList.remove('error', 'ok');
  if (kind) el.classList.add(kind);
}

function show(section) {
  for (const id of ['closed', 'ballot-form', 'encrypted', 'challenged', 'cast-done']) {
    $(id).hidden = id !== section;
  }
  const heading = $(section).querySelector('h2[tabindex]');
  if (heading) heading.focus();
}

function download(link, text, filename) {
  if (link.href && link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  link.download = filename;
}

const state = {
  election: null,   // the module's prepared election
  manifest: null,   // parsed, for rendering only
  ballot: null,     // {text, trackingCode, ballotId}: text is the signed cast body, once Cast was pressed
  selectedNames: null,
};

function closedText(phase) {
  switch (phase) {
    case 'empty':
    case 'ceremony':
      return ['Voting has not opened yet', 'The election has not opened yet. Come back when voting opens.'];
    case 'finished':
      return ['The election is closed', 'The election is closed: voting has ended and the result is published. See the results page.'];
    default:
      return ['The election is closed', 'The election is closed: voting has ended and no more ballots are accepted. The result will be published on the results page.'];
  }
}

function showClosed(phase) {
  const [heading, text] = closedText(phase);
  $('closed-heading').textContent = heading;
  $('closed-text').textContent = text;
  show('closed');
}

function renderQuestions(manifest) {
  const container = $('questions');
  container.replaceChildren();
  manifest.questions.forEach((q, qi) => {
    const fs = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = q.title;
    fs.append(legend);
    const single = q.max_selections === 1;
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.id = `q${qi}-hint`;
    if (q.min_selections === q.max_selections) {
      hint.textContent = q.max_selections === 1 ? 'Choose one option.' : `Choose exactly ${q.max_selections} options.`;
    } else if (q.min_selections === 0) {
      hint.textContent = single ? 'Choose one option, or none.' : `Choose up to ${q.max_selections} options.`;
    } else {
      hint.textContent = `Choose between ${q.min_selections} and ${q.max_selections} options.`;
    }
    fs.append(hint);
    fs.setAttribute('aria-describedby', hint.id);
    q.options.forEach((name, oi) => {
      const row = document.createElement('div');
      row.className = 'option';
      const input = document.createElement('input');
      input.type = single ? 'radio' : 'checkbox';
      input.name = `q${qi}`;
      input.id = `q${qi}o${oi}`;
      input.value = String(oi);
      const label = document.createElement('label');
      label.htmlFor = input.id;
      label.textContent = name;
      row.append(input, label);
      fs.append(row);
    });
    container.append(fs);
  });
}

function readChoices() {
  const choices = [];
  const names = [];
  state.manifest.questions.forEach((q, qi) => {
    const row = q.options.map((_, oi) => ($(`q${qi}o${oi}`).checked ? 1 : 0));
    choices.push(row);
    names.push(q.options.filter((_, oi) => row[oi] === 1));
  });
  return { choices, names };
}

function revoteText(manifest) {
  return manifest.revote_policy === 'reject'
    ? 'You can vote only once: after your ballot is cast, another ballot with the same code is refused.'
    : 'If you voted before with this code, this ballot replaces your earlier one: only your last ballot counts.';
}

// The signed evidence of the election's key (GET /api/election/evidence); the board answers
// 503 for a moment right after opening, until a checkpoint covers the open entry.
async function fetchElectionEvidence() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getText('/api/election/evidence');
    } catch (e) {
      if (attempt >= 5 || !(e instanceof NetworkError || e.status === 503)) throw e;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}

// The fingerprint of the checked election (and the web bundle hash it commits to), shown
// wherever the page shows the election, for comparing out of band.
function showElectionFingerprint(summary) {
  for (const el of document.querySelectorAll('.fingerprint')) el.textContent = summary.fingerprint;
  for (const el of document.querySelectorAll('.bundle-hash')) {
    el.textContent = summary.web_bundle_hash || '(none: the board serves no web bundle)';
  }
  document.body.dataset.electionFingerprint = summary.fingerprint;
}

async function start() {
  let statusText;
  let manifestText;
  try {
    [statusText, manifestText] = await Promise.all([getText('/api/election'), getText('/api/manifest')]);
  } catch (e) {
    $('loading').textContent = e instanceof NetworkError
      ? 'The board could not be reached. Check your connection and reload the page.'
      : `The board answered with an error: ${e.message}`;
    $('loading').className = 'message error';
    return;
  }
  const status = JSON.parse(statusText);
  state.manifest = JSON.parse(manifestText);
  $('title').textContent = state.manifest.title || 'Vote';
  document.title = `${state.manifest.title} — vote`;
  showDates(state.manifest);
  $('loading').hidden = true;
  if (status.phase !== 'open') {
    showClosed(status.phase);
    return;
  }
  let evidenceText;
  try {
    evidenceText = await fetchElectionEvidence();
  } catch (e) {
    $('loading').hidden = false;
    $('loading').className = 'message error';
    $('loading').textContent = `This page cannot check the election's key against the board's signed record, so it will not encrypt a ballot: ${e.message}. Reload the page to try again.`;
    return;
  }
  try {
    const t0 = performance.now();
    await init();
    const t1 = performance.now();
    // Checks H_E and K against the board's signed log before anything is encrypted.
    state.election = prepare(manifestText, statusText, evidenceText);
    const t2 = performance.now();
    document.body.dataset.wasmInitMs = (t1 - t0).toFixed(2);
    document.body.dataset.prepareMs = (t2 - t1).toFixed(2);
    console.log(`psephos: wasm init ${(t1 - t0).toFixed(2)} ms, prepare ${(t2 - t1).toFixed(2)} ms`);
  } catch (e) {
    const err = moduleError(e);
    $('loading').hidden = false;
    $('loading').className = 'message error';
    $('loading').textContent = err.error === 'election_not_open'
      ? 'Voting has not opened yet.'
      : err.error.startsWith('election_')
        ? `This page refuses to encrypt a ballot: ${err.message}. Do not vote from this page; report this to the election officials.`
        : `This page cannot encrypt ballots for this election: ${err.message}`;
    return;
  }
  showElectionFingerprint(JSON.parse(state.election.summary()));
  renderQuestions(state.manifest);
  $('revote-note').textContent = revoteText(state.manifest);
  show('ballot-form');
  $('code').focus();
}

function encrypt(event) {
  event.preventDefault();
  say($('code-error'), '');
  say($('form-message'), '');
  $('code').removeAttribute('aria-invalid');
  const code = $('code').value;
  try {
    normalize_code(code);
  } catch (e) {
    $('code').setAttribute('aria-invalid', 'true');
    say($('code-error'), `This voting code is not valid: ${moduleError(e).message}.`, 'error');
    $('code').focus();
    return;
  }
  const { choices, names } = readChoices();
  let out;
  const t0 = performance.now();
  try {
    // Nothing is signed here: the credential signs only when the voter presses Cast.
    out = JSON.parse(state.election.encrypt_ballot(code, JSON.stringify(choices)));
  } catch (e) {
    const err = moduleError(e);
    say($('form-message'), err.error === 'bad_selection' ? err.message : `The ballot could not be encrypted: ${err.message}`, 'error');
    return;
  }
  const ms = performance.now() - t0;
  document.body.dataset.encryptMs = ms.toFixed(2);
  console.log(`psephos: ballot encrypted and proved in ${ms.toFixed(2)} ms`);
  state.ballot = { text: null, trackingCode: out.tracking_code, ballotId: out.ballot_id };
  state.selectedNames = names;
  $('tracking-code').textContent = out.tracking_code;
  showChosen(names);
  say($('cast-message'), '');
  $('cast').disabled = false;
  $('challenge').disabled = false;
  $('cast').hidden = false;
  $('challenge').hidden = false;
  $('retry').hidden = true;
  $('start-over').hidden = true;
  show('encrypted');
}

async function cast() {
  const ballot = state.ballot;
  if (ballot.text === null) {
    // Pressing Cast is what signs: the module erases the ballot's seed (from the first
    // attempt on, the ballot may reach the board, so it must never be challenged) and only
    // then signs it with the credential of the voting code. A retry re-sends the same text.
    try {
      ballot.text = state.election.cast_body();
    } catch (e) {
      say($('cast-message'), `The ballot could not be signed: ${moduleError(e).message}`, 'error');
      return;
    }
  }
  $('cast').disabled = true;
  $('challenge').disabled = true;
  $('challenge').hidden = true;
  $('retry').hidden = true;
  say($('cast-message'), 'Sending your encrypted ballot…');
  let receiptText;
  try {
    receiptText = await postText('/api/ballots', ballot.text);
  } catch (e) {
    if (e instanceof NetworkError || (e instanceof BoardError && !FINAL_CODES.has(e.code))) {
      const why = e instanceof NetworkError
        ? 'The board could not be reached (network failure).'
        : `The board did not accept the ballot right now (${e.code}${e.message ? ': ' + e.message : ''}).`;
      say($('cast-message'), `${why} Your ballot may or may not have arrived. Trying again is safe: the same encrypted ballot is sent again and, if it already arrived, the board returns the same receipt.`, 'error');
      $('retry').hidden = false;
      $('retry').focus();
      return;
    }
    const text = BOARD_MESSAGES[e.code] || `The board refused the ballot: ${e.message}`;
    say($('cast-message'), text, 'error');
    if (e.code === 'election_closed' || e.code === 'election_not_open') {
      showClosedAfterCast(e.code);
      return;
    }
    // This ballot is spent; only a new one (new code or choices) can go further.
    $('cast').hidden = true;
    $('start-over').hidden = false;
    $('start-over').focus();
    return;
  }
  try {
    state.election.verify_receipt(receiptText, ballot.text);
  } catch (e) {
    say($('cast-message'), `The board answered, but its receipt does NOT verify: ${moduleError(e).message}. Keep this page open, save the receipt below and report this to the election officials.`, 'error');
    download($('receipt-download'), receiptText, `psephos-receipt-${ballot.trackingCode}.json`);
    $('receipt-download').hidden = false;
    return;
  }
  const receipt = JSON.parse(receiptText);
  state.ballot = null;
  forgetCode();
  say($('receipt-check'), `The board's signed receipt was checked on this device: your ballot is entry ${receipt.seq} of the public record.`, 'ok');
  $('cast-code').textContent = receipt.tracking_code;
  $('board-link').href = `/board?code=${encodeURIComponent(receipt.tracking_code)}`;
  download($('receipt-download'), receiptText, `psephos-receipt-${receipt.tracking_code}.json`);
  $('revote-done').textContent = state.manifest.revote_policy === 'reject' ? '' : revoteText(state.manifest);
  document.body.dataset.castTrackingCode = receipt.tracking_code;
  show('cast-done');
}

function showClosedAfterCast(code) {
  const phase = code === 'election_closed' ? 'closed' : 'ceremony';
  const [heading, text] = closedText(phase);
  $('closed-heading').textContent = heading;
  $('closed-text').textContent = `${BOARD_MESSAGES[code]} ${text}`;
  show('closed');
}

async function challenge() {
  $('cast').disabled = true;
  $('challenge').disabled = true;
  let body;
  let opened;
  try {
    body = state.election.challenge_body();
    // The page re-creates the ballot from the revealed seed itself, before trusting anything.
    opened = JSON.parse(state.election.check_opening(body));
  } catch (e) {
    say($('cast-message'), `The ballot could not be opened: ${moduleError(e).message}`, 'error');
    return;
  }
  const ballot = state.ballot;
  state.ballot = null;
  const revealed = JSON.parse(body);
  const choicesText = opened.choices.map((names, qi) => {
    const list = names.length ? names.join(', ') : '(nothing)';
    return state.manifest.questions.length > 1 ? `${state.manifest.questions[qi].title}: ${list}` : list;
  }).join('; ');
  $('challenged-code').textContent = opened.tracking_code;
  $('challenged-choices').textContent = choicesText;
  $('challenged-seed').textContent = revealed.seed;
  download($('challenged-download'), body, `psephos-challenged-${ballot.trackingCode}.json`);
  const same = JSON.stringify(opened.choices) === JSON.stringify(state.selectedNames);
  const check = $('challenged-check');
  if (same) {
    say(check, 'This device re-created the ballot from its randomness and it matches what you selected. Posting the opened ballot to the public board…', 'ok');
  } else {
    say(check, 'WARNING: the encrypted ballot does NOT match what you selected. Do not vote from this device; report this to the election officials.', 'error');
  }
  document.body.dataset.challengedChoices = JSON.stringify(opened.choices);
  $('challenged-board-link').href = `/board?code=${encodeURIComponent(opened.tracking_code)}`;
  show('challenged');
  const lookUp = `Afterwards, look up the spoiled tracking code ${opened.tracking_code} on the public board: it must say "challenged" (never counted). If it says anything else, report it to the election officials.`;
  try {
    const answerText = await postText('/api/challenges', body);
    const answer = JSON.parse(answerText);
    // The board's signed receipt says the entry is a challenge (kind "challenged") of this
    // very ballot: evidence, kept by the voter, that it was never cast.
    state.election.verify_receipt(JSON.stringify(answer.receipt), body);
    download($('challenged-receipt-download'), JSON.stringify(answer.receipt), `psephos-challenge-receipt-${ballot.trackingCode}.json`);
    $('challenged-receipt-download').hidden = false;
    if (same) {
      say(check, `This device re-created the ballot from its randomness and it matches what you selected. The board's signed receipt (checked on this device) says the opened ballot is entry ${answer.receipt.seq} of the public board, as a challenge. ${lookUp}`, 'ok');
    }
  } catch (e) {
    const why = e instanceof NetworkError ? 'the board could not be reached'
      : e instanceof BoardError ? (BOARD_MESSAGES[e.code] || e.message)
        : `its receipt does NOT verify (${moduleError(e).message})`;
    if (same) {
      say(check, `This device re-created the ballot from its randomness and it matches what you selected. (The opened ballot could not be posted to the public board, or its receipt was wrong: ${why}. It was never cast: no credential signed it.)`, 'ok');
    }
  }
}

// --- The dates, the choice read back before Cast, and forgetting the code (issue 14) ---

function showDates(manifest) {
  const text = datesText(manifest);
  $('dates').textContent = text;
  $('dates').hidden = !text;
}

// "You chose: …" above Cast, so the voter sees what will be cast and can change it first.
function showChosen(names) {
  const parts = names.map((list, qi) => {
    const chosen = list.length ? list.join(', ') : 'nothing';
    return state.manifest.questions.length > 1 ? `${state.manifest.questions[qi].title}: ${chosen}` : chosen;
  });
  $('chosen').textContent = `You chose: ${parts.join('; ')}. Cast it, or change your choices first.`;
  $('change').hidden = false;
}

// Back to the form with the same code and choices; the encrypted ballot, never sent, is dropped.
function changeChoices() {
  state.ballot = null;
  show('ballot-form');
  $('encrypt').focus();
}

// After a successful cast the voting code has done its job: it leaves the page.
function forgetCode() {
  $('code').value = '';
  $('chosen').textContent = '';
}

$('change').addEventListener('click', changeChoices);
$('cast').addEventListener('click', () => { $('change').hidden = true; });
$('challenge').addEventListener('click', () => { $('change').hidden = true; });
$('ballot-form').addEventListener('submit', encrypt);
$('cast').addEventListener('click', cast);
$('retry').addEventListener('click', cast);
$('challenge').addEventListener('click', challenge);
$('again').addEventListener('click', () => { show('ballot-form'); $('encrypt').focus(); });
$('start-over').addEventListener('click', () => { show('ballot-form'); $('code').focus(); });
start();
