// Statistics: what the library holds, what failed to read, and what the user listens to (plays
// per day as a chart, top artists/albums/tracks/genres, listening time, added and never
// played) for a week, a month, a year or all time; the play history's CSV and ListenBrainz
// exports and the ListenBrainz import.
import { api } from '../api.js';
import { h, replace, duration } from '../dom.js';
import { on } from '../bus.js';
import { barChart } from '../chart.js';
import { errorBox, showError, toast } from '../ui.js';

let period = 'month';

function zone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { return ''; }
}

function bytes(n) {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = n, unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

/** "3 h 25 min" for listening time (longer than a track's m:ss). */
function hours(ms) {
  const minutes = Math.round((ms || 0) / 60000);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

function figure(label, value, name) {
  return h('div', { class: 'stat', 'data-stat': name }, h('div', { class: 'stat-value', text: value }), h('div', { class: 'stat-label', text: label }));
}

function table(caption, headers, rows, name) {
  return h('table', { class: 'stats-table', 'data-table': name },
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col', text })))),
    h('tbody', {}, rows.length ? rows.map((cells) => h('tr', {}, cells.map((cell, i) => i === 0 ? h('th', { scope: 'row' }, cell) : h('td', {}, cell))))
      : h('tr', {}, h('td', { colspan: String(headers.length), class: 'count', text: 'Nothing yet' }))));
}

function topList(caption, items, name, withArtist) {
  return table(caption, withArtist ? ['Name', 'Artist', 'Plays'] : ['Name', 'Plays'],
    items.map((item) => {
      const label = item.uid ? h('a', { href: `#/track/${item.uid}`, text: item.name }) : item.name;
      return withArtist ? [label, item.artist || '', String(item.plays)] : [label, String(item.plays)];
    }), name);
}

export function statsView(root) {
  let destroyed = false;
  replace(root, h('div', { class: 'view-body' }, h('p', { class: 'count', text: 'Loading…' })));

  async function load() {
    try {
      const stats = await api.stats(period, zone());
      if (!destroyed) render(stats);
    } catch (error) {
      replace(root, h('div', { class: 'view-body' }, errorBox(error, 'Statistics are not available.')));
    }
  }

  function render(s) {
    const lib = s.library, health = s.health, listening = s.listening;
    const select = h('select', { 'aria-label': 'Period', 'data-period': '' },
      [['week', 'Last 7 days'], ['month', 'Last 30 days'], ['year', 'Last 365 days'], ['all', 'All time']].map(([value, text]) => h('option', { value, text })));
    select.value = period;
    select.addEventListener('change', () => { period = select.value; load(); });
    const fileInput = h('input', { type: 'file', accept: '.json,.jsonl,application/json', class: 'visually-hidden', tabindex: '-1', 'aria-label': 'ListenBrainz export file', 'data-import-file': '' });
    fileInput.addEventListener('change', async () => {
      const file = fileInput.files[0];
      if (!file) return;
      try {
        const text = await file.text();
        const result = await api.importHistory(text, /\.jsonl$/i.test(file.name));
        toast(`Imported ${result.imported} listens (${result.skipped} already there or skipped)`);
        load();
      } catch (error) { showError(error, 'Could not import'); }
      fileInput.value = '';
    });
    const days = listening.perDay.map((d) => ({ label: d.date.slice(5), title: d.date, value: d.plays }));
    replace(root,
      h('div', { class: 'view-header' },
        h('h1', { text: 'Statistics' }),
        select,
        h('a', { class: 'button', href: api.historyCSVURL(), download: 'omnisonic-history.csv', 'data-action': 'export-csv' }, 'Export CSV'),
        h('a', { class: 'button', href: api.historyJSONURL(), download: 'omnisonic-listens.json', 'data-action': 'export-json' }, 'Export ListenBrainz JSON'),
        h('button', { type: 'button', class: 'button', 'data-action': 'import-history', onclick: () => fileInput.click() }, 'Import ListenBrainz…'),
        fileInput),
      h('div', { class: 'view-body stats' },
        h('section', { 'aria-labelledby': 'stats-listening' },
          h('h2', { id: 'stats-listening', text: 'Listening' }),
          h('div', { class: 'stat-row' },
            figure('plays', listening.plays.toLocaleString(), 'plays'),
            figure('listening time', hours(listening.listeningMs), 'listening-time'),
            figure('added and never played', listening.neverPlayedCount.toLocaleString(), 'never-played')),
          barChart({ title: `Plays per day (${listening.timeZone})`, data: days, labelHeader: 'Day', valueHeader: 'Plays' }),
          h('div', { class: 'stats-columns' },
            topList('Top artists', listening.topArtists, 'top-artists', false),
            topList('Top albums', listening.topAlbums, 'top-albums', true),
            topList('Top tracks', listening.topTracks, 'top-tracks', true),
            topList('Top genres', listening.topGenres, 'top-genres', false)),
          table('Added and never played (newest first)', ['Title', 'Artist'],
            listening.neverPlayed.map((t) => [h('a', { href: `#/track/${t.uid}`, text: t.title }), t.artist || '']), 'never-played')),
        h('section', { 'aria-labelledby': 'stats-library' },
          h('h2', { id: 'stats-library', text: 'Library' }),
          h('div', { class: 'stat-row' },
            figure('tracks', lib.tracks.toLocaleString(), 'tracks'),
            figure('albums', lib.albums.toLocaleString(), 'albums'),
            figure('artists', lib.artists.toLocaleString(), 'artists'),
            figure('genres', lib.genres.toLocaleString(), 'genres'),
            figure('playing time', hours(lib.durationMs), 'duration'),
            figure('on disk', bytes(lib.sizeBytes), 'size'),
            figure('without artwork', lib.withoutArtwork.toLocaleString(), 'without-artwork'),
            figure('without tags', lib.withoutTags.toLocaleString(), 'without-tags')),
          h('div', { class: 'stats-columns' },
            table('Formats', ['Format', 'Tracks', 'Size'], lib.formats.map((f) => [f.name, f.tracks.toLocaleString(), bytes(f.bytes)]), 'formats'),
            table('Bitrates', ['Bitrate', 'Tracks'], lib.bitrates.map((b) => [b.name, b.tracks.toLocaleString()]), 'bitrates'))),
        h('section', { 'aria-labelledby': 'stats-health' },
          h('h2', { id: 'stats-health', text: 'Health' }),
          table(`Files that could not be read (${health.unreadableCount})`, ['Path', 'Reason'],
            health.unreadable.map((u) => [h('code', { text: u.path }), u.reason]), 'unreadable'),
          table('Music folders', ['Folder', 'How it is followed', 'Problem'],
            health.folders.map((f) => [h('code', { text: f.path }), f.mode, f.problem || '']), 'folders'),
          table('Last scans', ['Started', 'Duration', 'Files', 'Added', 'Updated', 'Removed', 'Failed'],
            health.scans.map((scan) => [new Date(scan.startedAt * 1000).toLocaleString(), duration((scan.finishedAt - scan.startedAt) * 1000) || '0:00',
              String(scan.files), String(scan.added), String(scan.updated), String(scan.removed), scan.error ? `stopped: ${scan.error}` : String(scan.failed)]), 'scans'),
          health.duplicates.available
            ? table('Duplicates', ['Tracks', 'Why'], health.duplicates.groups.map((g) => [String(g.uids.length), g.reason]), 'duplicates')
            : h('p', { class: 'count', 'data-duplicates': 'unavailable', text: 'Duplicates: shown once the music analysis has looked for them.' }))));
  }

  load();
  const offs = [on('library-changed', () => { /* plays arrive as track changes: refresh at most every 5 s */ schedule(); })];
  let timer = 0;
  function schedule() { if (!timer) timer = setTimeout(() => { timer = 0; load(); }, 5000); }
  return { destroy() { destroyed = true; offs.forEach((off) => off()); clearTimeout(timer); } };
}
