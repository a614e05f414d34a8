// Entry point: starts the shared parts (theme, search, player, live events, sidebar, import)
// and routes `#/…` addresses to one view module at a time.
import { initTheme } from './theme.js';
import { initSearch } from './search.js';
import { initPlayer, togglePlay } from './player.js';
import { initLive } from './live.js';
import { initSidebar } from './views/sidebar.js';
import { initImport, importView } from './views/import.js';
import { libraryView, favoritesView } from './views/library.js';
import { trackView } from './views/track.js';
import { albumsView, albumView } from './views/albums.js';
import { artistsView, artistView } from './views/artists.js';
import { playlistView } from './views/playlist.js';
import { schedulesView } from './views/schedules.js';
import { statsView } from './views/stats.js';
import { subsonicView } from './views/subsonic.js';
import { mixView } from './views/mix.js';
import { closeMenu } from './ui.js';
import { flushPendingDeletes } from './actions.js';
import { h, replace } from './dom.js';

const routes = [
  [/^#?\/?$/, () => libraryView],
  [/^#\/library$/, () => libraryView],
  [/^#\/favorites$/, () => favoritesView],
  [/^#\/search\/([^/]+)$/, (m) => (root) => libraryView(root, { savedSearch: decodeURIComponent(m[1]) })],
  [/^#\/track\/([a-z0-9]+)$/, (m) => (root) => trackView(root, m[1])],
  [/^#\/albums$/, () => albumsView],
  [/^#\/album\/(\d+)$/, (m) => (root) => albumView(root, Number(m[1]))],
  [/^#\/artists$/, () => artistsView],
  [/^#\/artist\/(\d+)$/, (m) => (root) => artistView(root, Number(m[1]))],
  [/^#\/playlist\/([^/]+)$/, (m) => (root) => playlistView(root, decodeURIComponent(m[1]))],
  [/^#\/import$/, () => importView],
  [/^#\/schedules$/, () => schedulesView],
  // "Schedule…" on a playlist or a saved search opens the new-schedule form with it chosen.
  [/^#\/schedules\/new\/(playlist|savedSearch|album)\/([^/]+)$/, (m) => (root) => schedulesView(root, { kind: m[1], id: decodeURIComponent(m[2]) })],
  [/^#\/stats$/, () => statsView],
  [/^#\/apps$/, () => subsonicView],
  // The mix helper; `?from=uid&to=uid` chooses its two tracks ("Mix with…" on a track).
  [/^#\/mix(?:\?[^#]*)?$/, () => mixView],
];

let current = null;
const root = document.querySelector('[data-view]');

function route() {
  const hash = location.hash || '#/library';
  let make = null;
  for (const [pattern, factory] of routes) {
    const match = hash.match(pattern);
    if (match) { make = factory(match); break; }
  }
  closeMenu();
  if (current && current.destroy) current.destroy();
  current = null;
  document.querySelector('[data-sidebar]').classList.remove('open');
  const section = (hash.match(/^#\/(\w+)/) || [null, 'library'])[1];
  const navName = { album: 'albums', artist: 'artists', track: 'library' }[section] || section;
  for (const link of document.querySelectorAll('[data-nav], [data-playlist-link], [data-search-link]')) {
    const active = link.dataset.nav === navName || link.getAttribute('href') === hash;
    if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  if (!make) {
    replace(root, h('div', { class: 'empty' }, h('h2', { text: 'This page does not exist' }), h('p', {}, h('a', { href: '#/library' }, 'Go to the library'))));
    return;
  }
  try {
    current = make(root) || null;
  } catch (error) {
    console.warn(error);
    replace(root, h('div', { class: 'error-box', role: 'alert', text: `This page failed to open: ${error.message}` }));
  }
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

function keys(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target;
  if (event.key === '/' && !isTyping(target)) {
    event.preventDefault();
    const input = document.querySelector('[data-search-input]');
    input.focus();
    input.select();
  } else if (event.key === ' ' && !isTyping(target) && !(target instanceof HTMLButtonElement) && !target.closest('a, dialog, [role="menu"]')) {
    event.preventDefault();
    togglePlay();
  } else if (event.key === 'Escape') {
    closeMenu();
    const queue = document.querySelector('[data-queue]');
    if (!queue.hidden) { queue.hidden = true; document.querySelector('[data-action="toggle-queue"]').setAttribute('aria-expanded', 'false'); }
    document.querySelector('[data-sidebar]').classList.remove('open');
  }
}

function start() {
  initTheme();
  initSearch();
  initPlayer();
  initSidebar();
  initImport();
  initLive();
  const toggle = document.querySelector('[data-action="toggle-nav"]');
  toggle.addEventListener('click', () => {
    const sidebar = document.querySelector('[data-sidebar]');
    sidebar.classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(sidebar.classList.contains('open')));
  });
  document.addEventListener('keydown', keys);
  addEventListener('hashchange', route);
  addEventListener('pagehide', flushPendingDeletes);
  route();
  document.documentElement.dataset.ready = 'true';
}

start();
