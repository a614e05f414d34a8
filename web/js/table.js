// The virtual track table: a viewport as tall as the window, a spacer as tall as every row, and a
// pool of about 60 row elements moved with transforms as it scrolls. Rows are fetched from a
// `source` in pages of PAGE as they come into view; 100,000 tracks cost the same DOM as 50.
import { h, duration, highlighted, artistLine } from './dom.js';
import { trackKey, bpmText, keyNotation } from './keys.js';

/** The drag-data type of dragged tracks: a JSON array of their uids. */
export const UIDS_DRAG_TYPE = 'application/x-omnisonic-uids';

const PAGE = 100;
const OVERSCAN = 8;

const columns = [
  { key: null, label: '#', className: 'num' },
  { key: 'title', label: 'Title', className: 'title' },
  { key: 'artist', label: 'Artist', className: 'artist' },
  { key: 'album', label: 'Album', className: 'album' },
  { key: 'year', label: 'Year', className: 'year' },
  { key: null, label: 'Genre', className: 'genre' },
  // The tag's BPM and key, else the analysed ones (the API's `bpm`, `key`, `camelot`); the key
  // in the user's notation (keys.js). Sorting by key walks the Camelot wheel.
  { key: 'bpm', label: 'BPM', className: 'bpm' },
  { key: 'key', label: 'Key', className: 'key' },
  { key: 'duration', label: 'Time', className: 'dur' },
  { key: null, label: 'Rating', className: 'stars' },
  { key: null, label: 'Actions', className: 'menu', hiddenLabel: true },
];

export class TrackTable {
  /**
   * @param {object} options
   *   source: async (offset, limit, signal) => {tracks, total, suggestion}
   *   onActivate(index, table), onMenu(indices, anchor, table), onSort(key), onLoad({total, suggestion}, table)
   *   sort: {key, descending} shown in the header; label: accessible name of the grid
   */
  constructor(options) {
    this.options = options;
    // The rows' height is the stylesheet's (--row-height); px, read once.
    this.rowHeight = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row-height')) || 36;
    this.pages = new Map();      // page number → tracks
    this.stalePages = new Map(); // shown until their fresh copy arrives (refresh without flicker)
    this.loading = new Map();    // page number → generation in flight
    this.generation = 0;
    this.total = null;
    this.terms = options.terms || [];
    this.selection = new Set();
    this.active = -1;
    this.anchor = -1;
    this.hidden = [];            // sorted source indices hidden locally (delete waiting for its undo)
    this.playingUid = null;
    this.pool = [];
    this.frame = 0;
    this.loadTimer = 0;
    this.element = this.build();
  }

  build() {
    const header = h('div', { class: 'thead', role: 'row' });
    for (const column of columns) {
      if (column.key) {
        header.append(h('button', { type: 'button', role: 'columnheader', 'data-sort': column.key,
          onclick: () => this.options.onSort && this.options.onSort(column.key) }, column.label));
      } else {
        header.append(h('span', { role: 'columnheader', class: column.hiddenLabel ? 'visually-hidden-text' : '' }, column.hiddenLabel ? '' : column.label));
      }
    }
    this.header = header;
    this.spacer = h('div', { class: 'spacer', role: 'presentation' });
    this.viewport = h('div', { class: 'viewport', tabindex: '0', role: 'grid', 'aria-label': this.options.label || 'Tracks',
      'aria-multiselectable': 'true', 'data-track-table': '' }, this.spacer);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.viewport.addEventListener('click', (event) => this.onClick(event));
    this.viewport.addEventListener('dblclick', (event) => {
      const row = event.target.closest('.row');
      if (row && !event.target.closest('button')) this.activate(Number(row.dataset.index));
    });
    this.viewport.addEventListener('contextmenu', (event) => {
      const row = event.target.closest('.row');
      if (!row) return;
      event.preventDefault();
      const index = Number(row.dataset.index);
      if (!this.selection.has(index)) this.select(index, {});
      this.options.onMenu && this.options.onMenu([...this.selection].sort((a, b) => a - b), { x: event.clientX, y: event.clientY }, this);
    });
    this.viewport.addEventListener('keydown', (event) => this.onKey(event));
    this.viewport.addEventListener('dragstart', (event) => this.onDragStart(event));
    this.resizeObserver = new ResizeObserver(() => this.schedule());
    this.resizeObserver.observe(this.viewport);
    this.setSort(this.options.sort);
    return h('div', { class: 'table' }, header, this.viewport);
  }

  setSort(sort) {
    for (const button of this.header.querySelectorAll('[data-sort]')) {
      const on = sort && sort.key === button.dataset.sort;
      if (on) button.setAttribute('aria-sort', sort.descending ? 'descending' : 'ascending'); else button.removeAttribute('aria-sort');
    }
  }

  /** Number of rows shown (the source's total minus rows hidden locally). */
  get count() { return this.total === null ? 0 : Math.max(0, this.total - this.hidden.length); }

  /** The source index of view row `index` (skipping hidden rows). */
  sourceIndex(index) {
    let source = index;
    for (const hiddenIndex of this.hidden) { if (hiddenIndex <= source) source += 1; else break; }
    return source;
  }

  /** The track of view row `index`, or null when not loaded yet. */
  track(index) {
    const source = this.sourceIndex(index);
    const page = Math.floor(source / PAGE);
    const tracks = this.pages.get(page) || this.stalePages.get(page);
    return tracks ? tracks[source - page * PAGE] || null : null;
  }

  /** Starts over with a new source (a new query): scroll to top, empty cache, fetch. */
  reset(source, { terms = [], sort } = {}) {
    if (source) this.options.source = source;
    this.terms = terms;
    if (sort !== undefined) this.setSort(sort);
    this.generation += 1;
    this.pages.clear();
    this.stalePages.clear();
    this.loading.clear();
    this.hidden = [];
    this.selection.clear();
    this.active = -1;
    this.total = null;
    this.viewport.scrollTop = 0;
    return this.load(0);
  }

  /** Fetches everything shown again, keeping the old rows on screen until the new ones arrive. */
  refresh() {
    this.generation += 1;
    for (const [page, tracks] of this.pages) this.stalePages.set(page, tracks);
    this.pages.clear();
    this.loading.clear();
    return this.loadVisible();
  }

  visibleRange() {
    const height = this.viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / this.rowHeight) - OVERSCAN);
    const last = Math.min(this.count - 1, Math.ceil((this.viewport.scrollTop + height) / this.rowHeight) + OVERSCAN);
    return [first, Math.max(first - 1, last)];
  }

  loadVisible() {
    const [first, last] = this.total === null ? [0, PAGE - 1] : this.visibleRange();
    const pages = new Set();
    for (const index of [first, last]) pages.add(Math.floor(this.sourceIndex(Math.max(0, index)) / PAGE));
    for (let page = Math.min(...pages); page <= Math.max(...pages); page += 1) pages.add(page);
    return Promise.all([...pages].map((page) => this.load(page)));
  }

  async load(page) {
    if (this.pages.has(page) || this.loading.get(page) === this.generation) return;
    const generation = this.generation;
    this.loading.set(page, generation);
    try {
      const result = await this.options.source(page * PAGE, PAGE);
      if (generation !== this.generation) return;
      this.pages.set(page, result.tracks);
      this.stalePages.delete(page);
      // Tracks deleted elsewhere (the detail page) whose undo is still running stay hidden.
      if (this.options.isHidden) {
        result.tracks.forEach((track, i) => {
          const source = page * PAGE + i;
          if (this.options.isHidden(track.uid) && !this.hidden.includes(source)) { this.hidden.push(source); this.hidden.sort((a, b) => a - b); }
        });
      }
      const first = this.total === null;
      if (this.total !== result.total) {
        this.total = result.total;
        this.stalePages.forEach((_, p) => { if (p * PAGE >= result.total) this.stalePages.delete(p); });
      }
      this.render();
      if (this.options.onLoad) this.options.onLoad({ total: result.total, suggestion: result.suggestion, first }, this);
    } catch (error) {
      if (generation === this.generation && this.options.onError) this.options.onError(error, this);
    } finally {
      if (this.loading.get(page) === generation) this.loading.delete(page);
    }
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
      // Pages are fetched at most every 150 ms while scrolling, and once it pauses: a fling
      // over 100,000 rows does not ask for every page it passes, a slow scroll fills as it goes.
      const now = performance.now();
      if (now - (this.lastLoad || 0) > 150) { this.lastLoad = now; this.loadVisible(); }
      clearTimeout(this.loadTimer);
      this.loadTimer = setTimeout(() => { this.lastLoad = performance.now(); this.loadVisible(); }, 40);
    });
  }

  render() {
    const count = this.count;
    this.spacer.style.height = count * this.rowHeight + 'px';
    this.viewport.setAttribute('aria-rowcount', String(count));
    const [first, last] = this.visibleRange();
    const needed = Math.max(0, last - first + 1);
    while (this.pool.length < needed) {
      const cells = columns.map((column) => h(column.className === 'menu' ? 'button' : 'span',
        column.className === 'menu' ? { type: 'button', class: 'icon-button small row-menu', 'data-action': 'row-menu', tabindex: '-1' } : { class: column.className, role: 'gridcell' }));
      const row = h('div', { class: 'row', role: 'row', draggable: 'true' }, cells);
      row.cells = cells;
      this.pool.push(row);
      this.spacer.append(row);
    }
    // Row `index` always uses pool[index % pool.length]: while it stays in view it keeps its
    // element, so a scroll of three rows refills three rows, not all of them.
    const used = new Set();
    for (let index = first; index <= last; index += 1) {
      const row = this.pool[index % this.pool.length];
      used.add(row);
      if (row.hidden) row.hidden = false;
      this.fill(row, index);
    }
    for (const row of this.pool) if (!used.has(row) && !row.hidden) row.hidden = true;
    if (this.active >= 0) this.viewport.setAttribute('aria-activedescendant', `track-row-${this.active}`);
  }

  fill(row, index) {
    const track = this.track(index);
    const key = track ? track.uid + (track.title || '') + (track.favorite ? 1 : 0) + (track.rating || 0) + (track.bpm ?? '') + (track.key ?? '')
      + keyNotation() + this.terms.join(' ') : '';
    if (row.dataset.index !== String(index)) {
      row.style.transform = `translateY(${index * this.rowHeight}px)`;
      row.id = `track-row-${index}`;
      row.dataset.index = String(index);
      row.setAttribute('aria-rowindex', String(index + 1));
    }
    const selected = this.selection.has(index) ? 'true' : 'false';
    if (row.getAttribute('aria-selected') !== selected) row.setAttribute('aria-selected', selected);
    row.classList.toggle('active', index === this.active);
    row.classList.toggle('playing', !!track && track.uid === this.playingUid);
    if (row.dataset.key === key && row.dataset.filled === String(index)) return;
    row.dataset.key = key;
    row.dataset.filled = String(index);
    const [num, title, artist, album, year, genre, bpm, musicalKey, time, rating, menu] = row.cells;
    row.classList.toggle('loading', !track);
    if (!track) {
      num.textContent = String(index + 1);
      title.textContent = '…';
      for (const cell of [artist, album, year, genre, bpm, musicalKey, time]) cell.textContent = '';
      rating.textContent = '';
      menu.textContent = '';
      delete row.dataset.uid;
      return;
    }
    row.dataset.uid = track.uid;
    num.textContent = track.favorite ? '♥' : String(index + 1);
    num.classList.toggle('fav', !!track.favorite);
    num.setAttribute('aria-label', track.favorite ? 'Favorite' : `Row ${index + 1}`);
    highlighted(title, track.title, this.terms);
    highlighted(artist, artistLine(track), this.terms);
    highlighted(album, track.album || '', this.terms);
    year.textContent = track.year ? String(track.year) : '';
    genre.textContent = (track.genres || []).join(', ');
    bpm.textContent = bpmText(track.bpm);
    musicalKey.textContent = trackKey(track);
    // The analysed values are marked, so a reader can tell them from the file's tags.
    bpm.title = track.bpmSource === 'analysis' ? 'Analysed' : '';
    musicalKey.title = track.keySource === 'analysis' ? 'Analysed' : '';
    if (track.bpmSource === 'analysis') bpm.setAttribute('aria-label', `${bpm.textContent} (analysed)`); else bpm.removeAttribute('aria-label');
    if (track.keySource === 'analysis') musicalKey.setAttribute('aria-label', `${musicalKey.textContent} (analysed)`); else musicalKey.removeAttribute('aria-label');
    time.textContent = duration(track.durationMs);
    // Text, not elements: a row is refilled on every frame of a fast scroll.
    rating.textContent = '★'.repeat(track.rating || 0);
    rating.setAttribute('aria-label', track.rating ? `Rated ${track.rating} of 5` : 'Not rated');
    menu.textContent = '⋯';
    menu.setAttribute('aria-label', `Actions for ${track.title}`);
  }

  select(index, { toggle = false, range = false } = {}) {
    if (range && this.anchor >= 0) {
      if (!toggle) this.selection.clear();
      const [a, b] = [Math.min(this.anchor, index), Math.max(this.anchor, index)];
      for (let i = a; i <= b; i += 1) this.selection.add(i);
    } else if (toggle) {
      if (this.selection.has(index)) this.selection.delete(index); else this.selection.add(index);
      this.anchor = index;
    } else {
      this.selection.clear();
      this.selection.add(index);
      this.anchor = index;
    }
    this.active = index;
    this.render();
  }

  selectedIndices() { return [...this.selection].sort((a, b) => a - b); }
  selectedTracks() { return this.selectedIndices().map((i) => this.track(i)).filter(Boolean); }

  activate(index) {
    if (index < 0 || index >= this.count) return;
    this.options.onActivate && this.options.onActivate(index, this);
  }

  onClick(event) {
    const row = event.target.closest('.row');
    if (!row) return;
    const index = Number(row.dataset.index);
    if (event.target.closest('[data-action="row-menu"]')) {
      if (!this.selection.has(index)) this.select(index, {});
      this.options.onMenu && this.options.onMenu(this.selectedIndices(), event.target, this);
      return;
    }
    this.select(index, { toggle: event.ctrlKey || event.metaKey, range: event.shiftKey });
    this.viewport.focus({ preventScroll: true });
  }

  scrollToIndex(index) {
    const top = index * this.rowHeight;
    const bottom = top + this.rowHeight;
    const view = this.viewport;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (bottom > view.scrollTop + view.clientHeight) view.scrollTop = bottom - view.clientHeight;
  }

  onKey(event) {
    const count = this.count;
    if (!count) return;
    const pageRows = Math.max(1, Math.floor(this.viewport.clientHeight / this.rowHeight) - 1);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: pageRows, PageUp: -pageRows, Home: -Infinity, End: Infinity };
    if (event.key in moves) {
      event.preventDefault();
      const from = this.active < 0 ? -1 : this.active;
      const to = Math.max(0, Math.min(count - 1, from + moves[event.key]));
      this.select(to, { range: event.shiftKey });
      this.scrollToIndex(to);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (this.active >= 0) this.activate(this.active);
    } else if (event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey)) {
      event.preventDefault();
      if (this.active >= 0) {
        const row = this.spacer.querySelector(`#track-row-${this.active}`);
        this.options.onMenu && this.options.onMenu(this.selectedIndices(), row || this.viewport, this);
      }
    } else if (event.key === 'a' && (event.ctrlKey || event.metaKey)) {
      // Select what is loaded (a selection of 100,000 unseen rows would be a surprise).
      event.preventDefault();
      for (const [page, tracks] of this.pages) tracks.forEach((_, i) => this.selection.add(page * PAGE + i));
      this.render();
    }
  }

  onDragStart(event) {
    const row = event.target.closest('.row');
    if (!row) return;
    const index = Number(row.dataset.index);
    if (!this.selection.has(index)) this.select(index, {});
    const tracks = this.selectedTracks();
    if (!tracks.length) { event.preventDefault(); return; }
    event.dataTransfer.effectAllowed = 'copy';
    event.dataTransfer.setData(UIDS_DRAG_TYPE, JSON.stringify(tracks.map((t) => t.uid)));
    event.dataTransfer.setData('text/plain', tracks.map((t) => `${t.title} — ${artistLine(t)}`).join('\n'));
  }

  /** Hides view row `index` locally (until `unhide` or a reset). Returns a token for unhide. */
  hide(index) {
    const source = this.sourceIndex(index);
    this.hidden.push(source);
    this.hidden.sort((a, b) => a - b);
    this.selection.clear();
    this.render();
    return source;
  }

  /** Shows again the hidden rows of `uids` (an undo made elsewhere). */
  unhideUids(uids) {
    const gone = new Set(uids);
    this.hidden = this.hidden.filter((source) => {
      const page = Math.floor(source / PAGE);
      const track = (this.pages.get(page) || [])[source - page * PAGE];
      return !(track && gone.has(track.uid));
    });
    this.render();
  }

  unhide(source) {
    this.hidden = this.hidden.filter((s) => s !== source);
    this.render();
  }

  /**
   * Every track from row `index` to the end, at most `limit` (the player's queue limit), asked
   * from the source (the server knows the query) rather than taken from the pages loaded so far.
   * Rows hidden locally (a delete waiting for its undo) are left out.
   */
  async allTracksFrom(index, limit = 10000) {
    const result = await this.options.source(this.sourceIndex(Math.max(0, index)), limit);
    const hidden = this.options.isHidden || (() => false);
    return result.tracks.filter((track) => !hidden(track.uid));
  }

  setPlaying(uid) { this.playingUid = uid; this.render(); }

  destroy() {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
    clearTimeout(this.loadTimer);
    this.generation += 1;
  }
}
