// Library view: every track (or the search results, favorites, a saved search) in the virtual
// table, with sort, filters, "did you mean", and "save this search".
import { api } from '../api.js';
import { h, replace, highlightTerms } from '../dom.js';
import { on, emit } from '../bus.js';
import { TrackTable } from '../table.js';
import { playTracks, currentTrack } from '../player.js';
import { openTrackMenu, deleteTracks, isPendingDelete } from '../actions.js';
import { searchText, setSearchText } from '../search.js';
import { showError, promptDialog, toast, confirmDialog } from '../ui.js';
import { notationPicker, trackKey } from '../keys.js';

// Filters survive view changes (a user going to an album and back keeps them).
const filters = { genre: '', yearFrom: '', yearTo: '', artist: '', favorites: false, compatible: false };
const sort = { key: null, descending: false };
let genresCache = null;

function quote(value) { return /[\s"]/.test(value) ? `"${value.replace(/"/g, '')}"` : value; }

/**
 * The Camelot code of the track playing (the server's player or this browser's), or null: the
 * "compatible with the track playing" filter exists only while there is one.
 */
function playingKey() {
  const track = currentTrack();
  return track && track.camelot ? track.camelot : null;
}

/** The filters as query-language terms (before the free text, whose last word stays a prefix). */
function filterTerms() {
  const terms = {};
  if (filters.genre) terms.genre = quote(filters.genre);
  if (filters.artist.trim()) terms.artist = quote(filters.artist.trim());
  const from = parseInt(filters.yearFrom, 10), to = parseInt(filters.yearTo, 10);
  if (from && to) terms.year = `${Math.min(from, to)}..${Math.max(from, to)}`;
  else if (from) terms.year = `>=${from}`;
  else if (to) terms.year = `<=${to}`;
  if (filters.favorites) terms.is = 'favorite';
  // Same Camelot code, one step either way, or the relative major/minor (the search language).
  if (filters.compatible && playingKey()) terms.compatible = playingKey();
  return terms;
}

function fullQuery(text) {
  const parts = Object.entries(filterTerms()).map(([k, v]) => `${k}:${v}`);
  if (text.trim()) parts.push(text.trim());
  return parts.join(' ');
}

function hasFilters() { return Object.keys(filterTerms()).length > 0; }

/**
 * @param root the <main> element
 * @param params {savedSearch?: id}
 */
export function libraryView(root, params = {}) {
  const saved = params.savedSearch || null;
  let savedDefinition = null;
  // A saved search sorts on its own (from its definition, then its column headers): clicking a
  // header there must not change the Library's sort.
  const viewSort = saved ? { key: null, descending: false } : sort;
  const title = h('h1', { text: saved ? 'Saved search' : 'Library', 'data-view-title': '' });
  const count = h('span', { class: 'count', 'data-count': '', 'aria-live': 'polite' });
  const saveButton = h('button', { type: 'button', class: 'button', 'data-action': 'save-search' }, 'Save search');
  const playAll = h('button', { type: 'button', class: 'button', 'data-action': 'play-all' }, 'Play all');
  const deleteSaved = saved ? h('button', { type: 'button', class: 'button danger', 'data-action': 'delete-search' }, 'Delete saved search') : null;
  const scheduleLink = saved ? h('a', { class: 'button', href: `#/schedules/new/savedSearch/${encodeURIComponent(saved)}`, 'data-action': 'schedule' }, 'Schedule…') : null;
  const header = h('div', { class: 'view-header' }, title, count, playAll, scheduleLink, saved ? deleteSaved : saveButton);
  const suggestion = h('div', { class: 'suggestion', 'data-suggestion': '', hidden: true });
  const message = h('div', { 'data-message': '' });

  const genre = h('select', { 'aria-label': 'Genre', 'data-filter': 'genre' }, h('option', { value: '' }, 'All genres'));
  const yearFrom = h('input', { type: 'number', min: '0', max: '9999', placeholder: 'From year', 'aria-label': 'From year', 'data-filter': 'yearFrom', value: filters.yearFrom });
  const yearTo = h('input', { type: 'number', min: '0', max: '9999', placeholder: 'To year', 'aria-label': 'To year', 'data-filter': 'yearTo', value: filters.yearTo });
  const artist = h('input', { type: 'text', placeholder: 'Artist', 'aria-label': 'Artist', 'data-filter': 'artist', value: filters.artist });
  const favorites = h('input', { type: 'checkbox', 'data-filter': 'favorites', checked: filters.favorites });
  const clear = h('button', { type: 'button', class: 'button', 'data-action': 'clear-filters' }, 'Clear filters');
  const compatible = h('input', { type: 'checkbox', 'data-filter': 'compatible', checked: filters.compatible });
  const compatibleText = h('span', { 'data-compatible-key': '' });
  const compatibleLabel = h('label', { 'data-compatible-filter': '', hidden: true }, compatible, ' ', compatibleText);
  const filterBar = h('div', { class: 'filters', role: 'group', 'aria-label': 'Filters' },
    genre, yearFrom, '–', yearTo, artist, h('label', {}, favorites, ' Favorites only'), compatibleLabel, clear, notationPicker('library-key-notation'));

  /** Shows the compatibility filter only while the playing track has a key; says which key. */
  function showCompatible() {
    const key = playingKey();
    compatibleLabel.hidden = !key;
    if (key) compatibleText.textContent = `Compatible with the track playing (${trackKey(currentTrack())})`;
  }
  showCompatible();

  const table = new TrackTable({
    label: 'Tracks',
    sort: viewSort,
    source: () => Promise.resolve({ tracks: [], total: 0 }),
    // The whole result from this row on, not only the rows loaded so far (issue 19).
    onActivate: (index, t) => t.allTracksFrom(index).then((tracks) => playTracks(tracks, 0)).catch(showError),
    onMenu: (indices, anchor, t) => {
      const tracks = indices.map((i) => t.track(i)).filter(Boolean);
      if (!tracks.length) return;
      openTrackMenu(anchor, tracks, { onDelete: (chosen) => remove(chosen, indices) });
    },
    isHidden: isPendingDelete,
    onSort: (key) => {
      if (viewSort.key === key) viewSort.descending = !viewSort.descending; else { viewSort.key = key; viewSort.descending = false; }
      reload();
    },
    onLoad: ({ total, suggestion: suggested, first }) => showResult(total, suggested, first),
    onError: (error) => { replace(message, h('div', { class: 'error-box', role: 'alert', text: error.message })); count.textContent = ''; },
  });

  async function remove(tracks, indices) {
    const sorted = [...indices].sort((a, b) => b - a);
    await deleteTracks(tracks, () => {
      const tokens = sorted.map((i) => table.hide(i));
      updateCount();
      return ({ committed } = {}) => {
        tokens.forEach((token) => table.unhide(token));
        if (committed) table.refresh();
        updateCount();
      };
    });
  }

  function updateCount() {
    const total = table.count;
    count.textContent = `${total.toLocaleString()} ${total === 1 ? 'track' : 'tracks'}`;
    playAll.disabled = total === 0;
  }

  function source() {
    const text = searchText();
    if (saved) {
      const order = viewSort.key ? { sort: viewSort.key, order: viewSort.descending ? 'desc' : 'asc' } : {};
      return (offset, limit) => api.savedSearchTracks(saved, { ...order, offset, limit });
    }
    const q = fullQuery(text);
    const params = { q };
    if (sort.key) { params.sort = sort.key; params.order = sort.descending ? 'desc' : 'asc'; }
    return (offset, limit) => api.search({ ...params, offset, limit });
  }

  let searchStarted = 0;
  function reload() {
    searchStarted = performance.now();
    replace(message);
    const text = saved ? (savedDefinition ? savedDefinition.query : '') : searchText();
    performance.mark('omni:reload', { detail: saved ? `saved:${saved}` : fullQuery(text) });
    return table.reset(source(), { terms: highlightTerms(text), sort: viewSort });
  }

  function showResult(total, suggested, first) {
    updateCount();
    if (first) {
      performance.mark('omni:results-rendered');
      if (!window.__omniFirstRows) { window.__omniFirstRows = performance.now(); performance.mark('omni:first-rows'); }
      if (searchStarted) performance.measure('omni:search', { start: searchStarted, end: performance.now() });
    }
    const text = searchText().trim();
    suggestion.hidden = true;
    if (total === 0) {
      if (!saved && text && suggested) {
        replace(suggestion, 'Did you mean ', h('a', { href: '#', 'data-action': 'suggestion', onclick: (event) => { event.preventDefault(); setSearchText(suggested); } }, suggested), '?');
        suggestion.hidden = false;
      }
      replace(message, emptyState(text));
    } else if (first) {
      replace(message);
    }
  }

  function emptyState(text) {
    if (saved) return h('div', { class: 'empty' }, h('h2', { text: 'Nothing matches this saved search yet' }));
    if (text || hasFilters()) {
      return h('div', { class: 'empty' },
        h('h2', { text: text ? `Nothing found for “${text}”` : 'No track matches these filters' }),
        h('p', { text: 'Check the spelling, use fewer words, or clear the filters.' }),
        hasFilters() ? h('button', { type: 'button', class: 'button', onclick: clearFilters }, 'Clear filters') : null);
    }
    const scanning = !document.querySelector('[data-scan]').hidden;
    if (scanning) return h('div', { class: 'empty' }, h('h2', { text: 'Building your library…' }), h('p', { text: 'Tracks appear here as they are found.' }));
    return h('div', { class: 'empty', 'data-empty': 'library' },
      h('h2', { text: 'Your library is empty' }),
      h('p', {}, 'Start the daemon with your music folder, for example ', h('code', { text: 'omnisonicd run --music ~/Music' }), ', or ', h('a', { href: '#/import' }, 'import files'), ' by dragging them onto this window.'),
      h('button', { type: 'button', class: 'button', onclick: () => api.startScan().then(() => toast('Scanning your music folders…')).catch(showError) }, 'Scan the music folders again'));
  }

  function clearFilters() {
    Object.assign(filters, { genre: '', yearFrom: '', yearTo: '', artist: '', favorites: false, compatible: false });
    genre.value = ''; yearFrom.value = ''; yearTo.value = ''; artist.value = ''; favorites.checked = false; compatible.checked = false;
    reload();
  }

  let filterTimer = 0;
  const onFilter = (event) => {
    const name = event.target.dataset.filter;
    if (!name) return;
    const value = event.target.type === 'checkbox' ? event.target.checked : event.target.value;
    if (filters[name] === value) return;
    filters[name] = event.target.type === 'checkbox' ? event.target.checked : event.target.value;
    compatibleKeyShown = filters.compatible ? playingKey() : null;
    clearTimeout(filterTimer);
    filterTimer = setTimeout(reload, event.target.type === 'checkbox' || event.target.tagName === 'SELECT' ? 0 : 250);
  };
  filterBar.addEventListener('input', onFilter);
  filterBar.addEventListener('change', onFilter);
  clear.addEventListener('click', clearFilters);
  playAll.addEventListener('click', async () => {
    try {
      const tracks = await table.allTracksFrom(0);
      if (tracks.length) playTracks(tracks, 0);
    } catch (error) { showError(error); }
  });
  saveButton.addEventListener('click', async () => {
    const text = searchText().trim();
    if (!text && !hasFilters()) { toast('Type a search or choose filters first, then save it.'); return; }
    const name = await promptDialog('Save search', 'Name of the saved search', text || 'My search', 'Save');
    if (!name) return;
    try {
      const definition = { name, query: text, filters: filterTerms() };
      if (sort.key) { definition.sort = sort.key; definition.descending = sort.descending; }
      const created = await api.saveSearch(definition);
      emit('searches-changed');
      toast(`Saved “${created.name}”`);
    } catch (error) { showError(error, 'Could not save the search'); }
  });
  if (deleteSaved) {
    deleteSaved.addEventListener('click', async () => {
      const name = savedDefinition ? savedDefinition.name : 'this saved search';
      if (!await confirmDialog(`Delete “${name}”?`, 'The saved search goes away; its tracks stay in the library.', 'Delete saved search', true)) return;
      try {
        const definition = savedDefinition || await api.savedSearch(saved);
        await api.deleteSearch(saved);
        emit('searches-changed');
        location.hash = '#/library';
        // Undo saves the same definition again (under a new id).
        toast(`Deleted “${definition.name}”`, { ms: 6000, action: { label: 'Undo', run: async () => {
          try {
            const again = Object.fromEntries(Object.entries(definition).filter(([key, value]) => key !== 'id' && value !== null));
            const restored = await api.saveSearch(again);
            emit('searches-changed');
            location.hash = `#/search/${encodeURIComponent(restored.id)}`;
          } catch (error) { showError(error, 'Could not restore the saved search'); }
        } } });
      } catch (error) { showError(error); }
    });
  }

  if (saved) {
    replace(root, header, message, table.element);
    api.savedSearch(saved).then((definition) => {
      savedDefinition = definition;
      title.textContent = definition.name;
      if (definition.sort && definition.sort !== 'relevance') { viewSort.key = definition.sort; viewSort.descending = !!definition.descending; }
      reload();
    }).catch((error) => replace(message, h('div', { class: 'error-box', role: 'alert', text: error.message })));
  } else {
    // On a phone the filters fold away behind "Filters" (open by default on wider screens).
    const folded = h('details', { class: 'filters-box', open: !matchMedia('(max-width: 720px)').matches || hasFilters() },
      h('summary', { text: 'Filters' }), filterBar);
    replace(root, header, folded, suggestion, message, table.element);
    reload();
  }

  if (!genresCache) genresCache = api.genres({ limit: 1000 }).then((page) => page.items).catch(() => []);
  genresCache.then((items) => {
    for (const item of items) genre.append(h('option', { value: item.name }, item.name));
    genre.value = filters.genre;
  });

  const current = currentTrack();
  if (current) table.playingUid = current.uid;
  let compatibleKeyShown = filters.compatible ? playingKey() : null;
  const subscriptions = [
    on('search', () => { if (!saved) reload(); }),
    on('library-changed', () => table.refresh()),
    // Gone for good: their hidden rows are let go before the fresh pages (without them) arrive.
    on('tracks-removed', ({ uids }) => { table.unhideUids(uids || []); table.refresh(); }),
    on('track-updated', () => table.refresh()),
    on('delete-undone', ({ uids }) => { table.unhideUids(uids); updateCount(); }),
    on('now-playing', ({ track }) => {
      table.setPlaying(track ? track.uid : null);
      // Another track (another key): the compatibility filter follows it.
      const before = compatibleKeyShown;
      showCompatible();
      compatibleKeyShown = filters.compatible ? playingKey() : null;
      if (filters.compatible && before !== compatibleKeyShown) reload();
    }),
    on('key-notation', () => { showCompatible(); table.render(); }),
  ];

  return {
    destroy() { subscriptions.forEach((off) => off()); table.destroy(); clearTimeout(filterTimer); },
  };
}

/** Favorites as their own page (#/favorites) uses the same view with the filter on. */
export function favoritesView(root) {
  filters.favorites = true;
  return libraryView(root);
}
