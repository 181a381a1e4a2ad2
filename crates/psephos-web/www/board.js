// The public board page: tracking codes, the latest signed checkpoint (its signature checked
// by the WebAssembly module), and a search by tracking code.
import init, { verify_checkpoint } from './pkg/psephos_web.js';
import { loadElection, renderElectionInfo } from './info.js';

const $ = (id) => document.getElementById(id);
const PAGE = 500;
const STATUS_TEXT = {
  counted: 'counted',
  superseded: 'replaced by a later ballot',
  challenged: 'challenged (spoiled, not counted)',
};
let next = 0;

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch (_) { body = null; }
  return { ok: res.ok, status: res.status, body, text };
}

function row(cells) {
  const tr = document.createElement('tr');
  cells.forEach(([text, cls], i) => {
    const td = document.createElement(i === 0 ? 'th' : 'td');
    if (i === 0) td.scope = 'row';
    td.textContent = text;
    if (cls) td.className = cls;
    tr.append(td);
  });
  return tr;
}

async function loadCodes() {
  const { ok, body } = await getJson(`/api/tracking-codes?from=${next}&limit=${PAGE}`);
  if (!ok || !body) {
    $('codes-summary').textContent = 'The tracking codes could not be loaded.';
    return;
  }
  for (const c of body.codes) {
    $('codes').append(row([[String(c.seq), 'num'], [c.tracking_code, 'mono tracking'], [STATUS_TEXT[c.status] || c.status]]));
  }
  next += body.codes.length;
  $('codes-table').hidden = next === 0;
  $('codes-summary').textContent = body.total === 0
    ? 'No ballots yet.'
    : `${body.total} ballot${body.total === 1 ? '' : 's'} on the board${next < body.total ? `, showing the first ${next}` : ''}.`;
  $('more').hidden = next >= body.total || body.codes.length === 0;
}

function kv(pairs) {
  const dl = document.createElement('dl');
  dl.className = 'kv';
  for (const [k, v, mono] of pairs) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    if (mono) dd.className = 'mono';
    dl.append(dt, dd);
  }
  return dl;
}

async function loadCheckpoint() {
  const box = $('checkpoint');
  const [cp, election] = await Promise.all([getJson('/api/checkpoints/latest'), getJson('/api/election')]);
  if (!cp.ok || !cp.body) {
    box.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'No checkpoint yet.' }));
    return;
  }
  let verdict = 'not checked';
  if (election.ok && election.body) {
    try {
      await init();
      verify_checkpoint(cp.text, election.body.board_key, election.body.base_hash);
      verdict = 'valid: signed by the board key of the manifest (checked on this device)';
    } catch (e) {
      let msg = e.message;
      try { msg = JSON.parse(e.message).message; } catch (_) { /* plain */ }
      verdict = `INVALID: ${msg}`;
    }
  }
  box.replaceChildren(kv([
    ['Entries', String(cp.body.tree_size)],
    ['Merkle root', cp.body.root, true],
    ['Last entry hash', cp.body.last_hash, true],
    ['Signature', verdict],
  ]));
  box.dataset.verified = verdict.startsWith('valid') ? 'true' : 'false';
}

async function search(event) {
  if (event) event.preventDefault();
  const out = $('search-result');
  const code = $('search').value.trim().toUpperCase();
  out.classList.remove('error', 'ok');
  if (!code) {
    out.textContent = 'Type a tracking code.';
    return;
  }
  const { ok, status, body } = await getJson(`/api/ballots/${encodeURIComponent(code)}`);
  if (ok && body) {
    out.textContent = `Found: ballot ${body.tracking_code} is entry ${body.seq} of the board, ${STATUS_TEXT[body.status] || body.status}.`;
    out.classList.add('ok');
  } else if (status === 404) {
    out.textContent = `No ballot with the tracking code ${code} is on the board.`;
    out.classList.add('error');
  } else {
    out.textContent = 'The board could not be searched right now. Try again.';
    out.classList.add('error');
  }
}

async function showElection() {
  const election = await loadElection();
  if (!election) {
    $('election-info').textContent = 'The election could not be loaded.';
    return;
  }
  renderElectionInfo($('election-info'), election.manifest, election.status);
  $('title').textContent = `Public board — ${election.manifest.title}`;
  document.title = `Public board — ${election.manifest.title}`;
}

$('search-form').addEventListener('submit', search);
$('more').addEventListener('click', loadCodes);
const initial = new URLSearchParams(location.search).get('code');
if (initial) {
  $('search').value = initial;
  search();
}
showElection().catch(() => { $('election-info').textContent = 'The election could not be loaded.'; });
loadCheckpoint().catch(() => { $('checkpoint').textContent = 'The checkpoint could not be loaded.'; });
loadCodes().catch(() => { $('codes-summary').textContent = 'The tracking codes could not be loaded.'; });
