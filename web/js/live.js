// Live updates: one EventSource on /api/events, turned into bus events; the scan progress bar.
import { api } from './api.js';
import { emit } from './bus.js';

let source = null;

function showScan(status) {
  const box = document.querySelector('[data-scan]');
  const bar = document.querySelector('[data-scan-progress]');
  const label = document.querySelector('[data-scan-label]');
  if (!status || !status.running || status.phase === 'idle') { box.hidden = true; return; }
  box.hidden = false;
  if (status.total > 0) { bar.max = status.total; bar.value = Math.min(status.done, status.total); } else bar.removeAttribute('value');
  const phase = { walking: 'Looking for music', probing: 'Reading tags', finishing: 'Finishing' }[status.phase] || 'Scanning';
  label.textContent = status.total > 0 ? `${phase}: ${status.done.toLocaleString()} of ${status.total.toLocaleString()}` : `${phase}…`;
}

/** The background analysis' progress line, beside the scan's; hidden when nothing waits. */
function showAnalysis(status) {
  const box = document.querySelector('[data-analysis]');
  if (!box) return;
  if (!status || status.enabled === false || !status.queued) { box.hidden = true; return; }
  const bar = document.querySelector('[data-analysis-progress]');
  const label = document.querySelector('[data-analysis-label]');
  const total = status.done + status.queued + (status.failed || 0);
  bar.max = total;
  bar.value = total - status.queued;
  box.hidden = false;
  label.textContent = `Analysing the music: ${(total - status.queued).toLocaleString()} of ${total.toLocaleString()}`;
}

/** Subscribes to the daemon's events and shows the current scan. */
export async function initLive() {
  try { const status = await api.scan(); showScan(status); emit('scan', status); } catch { /* shown by the views */ }
  try { showAnalysis(await api.analysis()); } catch { /* an older daemon */ }
  connect();
  // A page kept in the back/forward cache must not keep its stream: browsers allow six
  // connections per server, and each cached page would hold one until the others starve.
  addEventListener('pagehide', () => { if (source) { source.close(); source = null; } });
  addEventListener('pageshow', (event) => { if (event.persisted && !source) { connect(); emit('library-changed', {}); } });
}

function connect() {
  source = new EventSource(api.eventsURL());
  let lastRefresh = 0;
  source.addEventListener('scan', (event) => {
    const data = JSON.parse(event.data);
    const status = { running: true, phase: data.phase, done: data.done, total: data.total, rate: data.rate };
    showScan(status);
    emit('scan', status);
    // New files appear while the scan runs, at most every 2 s.
    if (Date.now() - lastRefresh > 2000) { lastRefresh = Date.now(); emit('library-changed', { scan: true }); }
  });
  source.addEventListener('scanFinished', (event) => {
    showScan(null);
    emit('scan-finished', JSON.parse(event.data));
    emit('library-changed', { scan: true });
  });
  source.addEventListener('tracksChanged', (event) => emit('library-changed', { uids: JSON.parse(event.data).uids }));
  source.addEventListener('tracksRemoved', (event) => emit('tracks-removed', { uids: JSON.parse(event.data).uids }));
  source.addEventListener('playlistChanged', (event) => emit('playlists-changed', { id: JSON.parse(event.data).id }));
  source.addEventListener('playlistDeleted', (event) => emit('playlist-deleted', { id: JSON.parse(event.data).id }));
  source.addEventListener('savedSearchesChanged', () => emit('searches-changed'));
  source.addEventListener('schedulesChanged', () => emit('schedules-changed'));
  source.addEventListener('favoritesChanged', (event) => { try { emit('favorites-changed', JSON.parse(event.data)); } catch { /* not JSON */ } });
  source.addEventListener('analysis', (event) => {
    const data = JSON.parse(event.data);
    showAnalysis({ enabled: true, ...data });
    emit('analysis', data);
  });
  // The server player's radio started, stopped or added tracks (its state R).
  source.addEventListener('radio', (event) => {
    try {
      // Flat like the other events ({"type":"radio","active":…}): the same shape as GET /api/player's `radio`.
      const { active, seed, window, added } = JSON.parse(event.data);
      emit('radio-changed', { radio: { active, seed, window, added } });
    } catch { /* not JSON */ }
  });
  source.addEventListener('player', (event) => { try { emit('player-state', JSON.parse(event.data)); } catch { /* not JSON */ } });
  // EventSource reconnects by itself; after a reconnect, refresh what may have been missed.
  let opened = false;
  source.addEventListener('open', () => { if (opened) { emit('library-changed', {}); emit('playlists-changed', {}); } opened = true; });
}
