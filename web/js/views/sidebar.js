// The sidebar's playlists and saved searches: kept fresh by live events; playlists accept
// tracks dropped on them.
import { api } from '../api.js';
import { h } from '../dom.js';
import { on } from '../bus.js';
import { setKnownPlaylists, addToPlaylist, newPlaylistWith } from '../actions.js';
import { UIDS_DRAG_TYPE } from '../table.js';
import { showError, toast } from '../ui.js';

async function loadPlaylists() {
  const list = document.querySelector('[data-playlists]');
  try {
    const { playlists } = await api.playlists();
    setKnownPlaylists(playlists);
    list.replaceChildren(...playlists.map((playlist) => {
      const link = h('a', { href: `#/playlist/${encodeURIComponent(playlist.id)}`, 'data-playlist-link': playlist.id,
        title: `${playlist.name} (${playlist.trackCount} tracks)` }, playlist.name);
      if (location.hash === link.getAttribute('href')) link.setAttribute('aria-current', 'page');
      link.addEventListener('dragover', (event) => {
        if (!event.dataTransfer.types.includes(UIDS_DRAG_TYPE)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        link.classList.add('drop-target');
      });
      link.addEventListener('dragleave', () => link.classList.remove('drop-target'));
      link.addEventListener('drop', (event) => {
        link.classList.remove('drop-target');
        const data = event.dataTransfer.getData(UIDS_DRAG_TYPE);
        if (!data) return;
        event.preventDefault();
        addToPlaylist(playlist.id, JSON.parse(data), playlist.name);
      });
      return h('li', {}, link);
    }));
    if (!playlists.length) list.append(h('li', { class: 'count', text: 'No playlists yet.' }));
  } catch (error) { showError(error, 'Could not load the playlists'); }
}

async function loadSearches() {
  const list = document.querySelector('[data-searches]');
  try {
    const { searches } = await api.searches();
    list.replaceChildren(...searches.map((search) => h('li', {},
      h('a', { href: `#/search/${encodeURIComponent(search.id)}`, 'data-search-link': search.id, title: search.query }, search.name))));
    if (!searches.length) list.append(h('li', { class: 'count', text: 'Search, then “Save search”.' }));
  } catch (error) { showError(error, 'Could not load the saved searches'); }
}

export function initSidebar() {
  loadPlaylists();
  loadSearches();
  on('playlists-changed', loadPlaylists);
  on('playlist-deleted', loadPlaylists);
  on('searches-changed', loadSearches);
  document.querySelector('[data-action="new-playlist"]').addEventListener('click', async () => {
    const playlist = await newPlaylistWith([]);
    if (playlist) location.hash = `#/playlist/${encodeURIComponent(playlist.id)}`;
  });
  const file = document.querySelector('[data-playlist-file]');
  document.querySelector('[data-action="import-playlist"]').addEventListener('click', () => file.click());
  file.addEventListener('change', async () => {
    const chosen = file.files[0];
    file.value = '';
    if (!chosen) return;
    try {
      const text = await chosen.text();
      const name = chosen.name.replace(/\.m3u8?$/i, '') || 'Imported playlist';
      const result = await api.importPlaylist(name, text);
      const missing = result.unresolved.length;
      toast(`Imported “${result.playlist.name}”: ${result.playlist.items.length} tracks` + (missing ? `, ${missing} not found in the library` : ''), { ms: 7000 });
      loadPlaylists();
      location.hash = `#/playlist/${encodeURIComponent(result.playlist.id)}`;
    } catch (error) { showError(error, 'Could not import the playlist'); }
  });
}
