// The election's title, phase and dates, as the board states them (GET /api/election and
// GET /api/manifest), shown the same way on the voter's, the board's and the results page.

const PHASE_TEXT = {
  empty: 'not set up yet',
  ceremony: 'not open yet: the trustees are preparing the election key',
  open: 'voting is open',
  closed: 'voting has ended; the ballots are being added up',
  tallied: 'voting has ended; waiting for the trustees to decrypt the result',
  finished: 'finished: the result is published',
};

/** The phase in words. */
export function phaseText(phase) {
  return PHASE_TEXT[phase] || phase;
}

/** An RFC 3339 time in the reader's local time, with the exact time after it. */
export function timeText(rfc3339) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const local = d.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
  return `${local} (${rfc3339})`;
}

/** "Voting opens … and closes …" from the manifest, or '' when it gives no times. */
export function datesText(manifest) {
  const opens = manifest.opens_at ? `opens ${timeText(manifest.opens_at)}` : '';
  const closes = manifest.closes_at ? `closes ${timeText(manifest.closes_at)}` : '';
  if (!opens && !closes) return '';
  return `Voting ${[opens, closes].filter(Boolean).join(' and ')}.`;
}

/** Fills `el` with the title, the phase and the dates. */
export function renderElectionInfo(el, manifest, status) {
  const dl = document.createElement('dl');
  dl.className = 'kv';
  const rows = [['Election', manifest.title], ['Phase', phaseText(status.phase)]];
  if (manifest.opens_at) rows.push(['Voting opens', timeText(manifest.opens_at)]);
  if (manifest.closes_at) rows.push(['Voting closes', timeText(manifest.closes_at)]);
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  el.replaceChildren(dl);
  el.dataset.phase = status.phase;
}

/** GET /api/election and /api/manifest; null when either fails. */
export async function loadElection() {
  try {
    const [s, m] = await Promise.all([
      fetch('/api/election', { cache: 'no-store' }),
      fetch('/api/manifest', { cache: 'no-store' }),
    ]);
    if (!s.ok || !m.ok) return null;
    return { status: await s.json(), manifest: await m.json() };
  } catch (_) {
    return null;
  }
}
