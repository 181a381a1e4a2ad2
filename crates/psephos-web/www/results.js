// The results page: the election's title, phase and dates; where the election is until the
// board has a result, then the counts, the turnout and how to verify them independently. It
// also shows the election fingerprint, checked against the board's signed record by the same
// WebAssembly code as the voter's page.
import init, { check_election } from './pkg/psephos_web.js';
import { loadElection, renderElectionInfo } from './info.js';

const $ = (id) => document.getElementById(id);

// What the page says while there is no result, by phase (never "in progress" before voting
// has opened).
function noResultText(phase) {
  switch (phase) {
    case 'empty':
    case 'ceremony':
      return 'Voting has not opened yet. The result is published here once voting has closed and the trustees have decrypted the tally.';
    case 'open':
      return 'Voting in progress. The result is published here once voting has closed and the trustees have decrypted the tally.';
    case 'closed':
    case 'tallied':
      return 'Voting has closed. The result is published here once the trustees have decrypted the tally.';
    default:
      return 'There is no result yet. Reload the page later.';
  }
}

async function showElection() {
  const election = await loadElection();
  if (!election) return null;
  renderElectionInfo($('election-info'), election.manifest, election.status);
  $('title').textContent = `Results — ${election.manifest.title}`;
  document.title = `Results — ${election.manifest.title}`;
  return election;
}

async function showFingerprint() {
  try {
    const get = async (path) => {
      const res = await fetch(path, { cache: 'no-store' });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      return res.text();
    };
    const [manifest, status] = await Promise.all([get('/api/manifest'), get('/api/election')]);
    if (!JSON.parse(status).election_hash) return; // not open yet: no fingerprint
    const evidence = await get('/api/election/evidence');
    await init();
    const summary = JSON.parse(check_election(manifest, status, evidence));
    $('fingerprint').textContent = summary.fingerprint;
    document.body.dataset.electionFingerprint = summary.fingerprint;
  } catch (e) {
    let why = String(e && e.message ? e.message : e);
    try { why = JSON.parse(why).message || why; } catch (_) { /* not a module error */ }
    $('fingerprint').textContent = `could not be checked (${why})`;
  }
  $('fingerprint-line').hidden = false;
}

function table(q) {
  const total = q.options.reduce((s, o) => s + o.votes, 0);
  const section = document.createElement('section');
  const h = document.createElement('h2');
  h.textContent = q.title;
  const t = document.createElement('table');
  const cap = document.createElement('caption');
  cap.className = 'skip';
  cap.textContent = `Votes for each option of: ${q.title}`;
  const head = document.createElement('thead');
  head.innerHTML = '<tr><th scope="col">Option</th><th scope="col" class="num">Votes</th><th scope="col" class="num">Share</th></tr>';
  const body = document.createElement('tbody');
  for (const o of q.options) {
    const tr = document.createElement('tr');
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = o.name;
    const votes = document.createElement('td');
    votes.className = 'num';
    votes.textContent = String(o.votes);
    const share = document.createElement('td');
    share.className = 'num';
    share.textContent = total ? `${((100 * o.votes) / total).toFixed(1)} %` : '—';
    tr.append(name, votes, share);
    body.append(tr);
  }
  t.append(cap, head, body);
  section.append(h, t);
  return section;
}

async function load() {
  let res;
  try {
    res = await fetch('/api/result', { cache: 'no-store' });
  } catch (_) {
    $('status').textContent = 'The board could not be reached. Reload the page to try again.';
    return false;
  }
  const election = await showElection();
  if (res.status === 404) {
    $('status').textContent = noResultText(election ? election.status.phase : null);
    return false;
  }
  if (!res.ok) {
    $('status').textContent = 'The result could not be loaded. Reload the page to try again.';
    return false;
  }
  let result = await res.json();
  if (result && result.result) result = result.result;
  $('status').textContent = 'Final result.';
  $('questions').replaceChildren(...result.questions.map(table));
  const t = result.turnout;
  $('turnout').textContent = `${t.voted} of ${t.eligible} eligible voters cast a counted ballot (${t.percentage} %).`;
  $('board-url').textContent = location.origin;
  $('result').hidden = false;
  return true;
}

// Poll slowly while voting is in progress, so an open page shows the result when it lands.
async function loop() {
  if (!(await load())) setTimeout(loop, 30000);
}
showFingerprint();
loop();
