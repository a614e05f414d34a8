// One playlist: play all, rename, delete (confirm), export M3U8, remove items, reorder by drag
// and drop (HTML5 DnD with a handle) or with Alt+↑/↓ on the keyboard.
import { api } from '../api.js';
import { h, replace, duration, artistLine } from '../dom.js';
import { on, emit } from '../bus.js';
import { playTracks } from '../player.js';
import { openTrackMenu } from '../actions.js';
import { UIDS_DRAG_TYPE } from '../table.js';
import { confirmDialog, errorBox, promptDialog, showError, toast } from '../ui.js';

const ITEM = 'application/x-omnisonic-item';

export function playlistView(root, id) {
  let playlist = null;
  replace(root, h('div', { class: 'view-body' }, h('p', { class: 'count', text: 'Loading…' })));

  async function load() {
    try {
      playlist = await api.playlist(id);
      render();
    } catch (error) {
      replace(root, h('div', { class: 'view-body' }, errorBox(error, 'This playlist no longer exists.')));
    }
  }

  async function move(itemId, index) {
    try {
      playlist = await api.movePlaylistItem(id, itemId, index);
      render();
      root.querySelector(`[data-item="${CSS.escape(itemId)}"] [data-handle]`)?.focus();
    } catch (error) { showError(error, 'Could not move the track'); load(); }
  }

  /** Which control of which item has focus, to give it back after a re-render (a live refresh
   * replaces every element, the focused handle included). */
  function focusedControl() {
    const active = document.activeElement;
    const li = active && root.contains(active) ? active.closest('li[data-item]') : null;
    if (!li) return null;
    const kind = active.matches('[data-handle]') ? '[data-handle]' : active.dataset.action ? `[data-action="${active.dataset.action}"]` : null;
    return kind ? { itemId: li.dataset.item, kind } : null;
  }

  function render() {
    const focused = focusedControl();
    renderItems();
    if (focused) root.querySelector(`[data-item="${CSS.escape(focused.itemId)}"] ${focused.kind}`)?.focus();
  }

  function renderItems() {
    const tracks = playlist.items.map((item) => item.track).filter(Boolean);
    const total = tracks.reduce((sum, t) => sum + (t.durationMs || 0), 0);
    const list = h('ol', { class: 'list', 'data-playlist-items': '', 'aria-label': `Tracks of ${playlist.name}` });
    playlist.items.forEach((item, index) => {
      const track = item.track;
      const label = track ? [track.title, artistLine(track)].filter(Boolean).join(' — ') : `Missing track (${item.uid})`;
      const handle = h('button', { type: 'button', class: 'icon-button small handle', 'data-handle': '', 'aria-label': `Move ${track ? track.title : 'track'}: Alt+Up or Alt+Down`, title: 'Drag to reorder' }, '⠿');
      handle.addEventListener('keydown', (event) => {
        if (!event.altKey) return;
        if (event.key === 'ArrowUp' && index > 0) { event.preventDefault(); move(item.itemId, index - 1); }
        if (event.key === 'ArrowDown' && index < playlist.items.length - 1) { event.preventDefault(); move(item.itemId, index + 1); }
      });
      const menu = h('button', { type: 'button', class: 'icon-button small', 'aria-label': `Actions for ${track ? track.title : 'track'}` }, '⋯');
      const remove = async () => {
        try { playlist = await api.removeFromPlaylist(id, item.itemId); render(); toast('Removed from the playlist'); } catch (error) { showError(error); }
      };
      menu.addEventListener('click', () => {
        if (track) openTrackMenu(menu, [track], { extra: [{ id: 'remove', label: 'Remove from this playlist', run: remove }] });
        else remove();
      });
      const li = h('li', { draggable: 'true', 'data-item': item.itemId, 'data-uid': item.uid, 'data-index': String(index) },
        handle,
        h('button', { type: 'button', class: 'icon-button small', 'aria-label': `Play ${track ? track.title : ''}`, disabled: !track,
          onclick: () => playTracks(tracks, tracks.indexOf(track)) }, '▶'),
        track ? h('a', { class: 'grow', href: `#/track/${track.uid}`, text: label }) : h('span', { class: 'grow count', text: label }),
        h('span', { class: 'count', text: track ? duration(track.durationMs) : '' }),
        h('button', { type: 'button', class: 'icon-button small', 'data-action': 'remove-item', 'aria-label': `Remove ${track ? track.title : 'track'} from the playlist`, onclick: remove }, '×'),
        menu);
      li.addEventListener('dragstart', (event) => {
        event.dataTransfer.effectAllowed = 'move';
        event.dataTransfer.setData(ITEM, item.itemId);
        li.classList.add('dragging');
      });
      li.addEventListener('dragend', () => li.classList.remove('dragging'));
      list.append(li);
    });

    // One set of drop handlers on the list: before or after the row under the pointer.
    const clearMarks = () => list.querySelectorAll('.drop-before, .drop-after').forEach((e) => e.classList.remove('drop-before', 'drop-after'));
    const target = (event) => {
      const li = event.target.closest('li[data-item]');
      if (!li) return null;
      const rect = li.getBoundingClientRect();
      const after = event.clientY > rect.top + rect.height / 2;
      return { li, index: Number(li.dataset.index) + (after ? 1 : 0), after };
    };
    list.addEventListener('dragover', (event) => {
      const types = event.dataTransfer.types;
      if (!types.includes(ITEM) && !types.includes(UIDS_DRAG_TYPE)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = types.includes(ITEM) ? 'move' : 'copy';
      const spot = target(event);
      clearMarks();
      if (spot) spot.li.classList.add(spot.after ? 'drop-after' : 'drop-before');
    });
    list.addEventListener('dragleave', (event) => { if (!list.contains(event.relatedTarget)) clearMarks(); });
    list.addEventListener('drop', async (event) => {
      clearMarks();
      const spot = target(event);
      const itemId = event.dataTransfer.getData(ITEM);
      const uids = event.dataTransfer.getData(UIDS_DRAG_TYPE);
      if (!itemId && !uids) return;
      event.preventDefault();
      const index = spot ? spot.index : playlist.items.length;
      if (itemId) {
        const from = playlist.items.findIndex((i) => i.itemId === itemId);
        if (from < 0) return;
        const to = index > from ? index - 1 : index;
        if (to !== from) move(itemId, to);
      } else {
        try { playlist = await api.addToPlaylist(id, JSON.parse(uids), index); render(); } catch (error) { showError(error); }
      }
    });

    const exportLink = h('a', { class: 'button', href: api.exportPlaylistURL(id), download: `${playlist.name}.m3u8`, 'data-action': 'export' }, 'Export M3U8');
    replace(root,
      h('div', { class: 'view-header' },
        h('h1', { text: playlist.name, 'data-playlist-name': '' }),
        h('span', { class: 'count', 'data-count': '', text: `${playlist.items.length} tracks · ${duration(total) || '0:00'}` }),
        h('button', { type: 'button', class: 'button primary', 'data-action': 'play-all', disabled: !tracks.length, onclick: () => playTracks(tracks, 0) }, '▶ Play all'),
        h('button', { type: 'button', class: 'button', 'data-action': 'rename', onclick: rename }, 'Rename…'),
        exportLink,
        h('a', { class: 'button', href: `#/schedules/new/playlist/${encodeURIComponent(id)}`, 'data-action': 'schedule' }, 'Schedule…'),
        h('button', { type: 'button', class: 'button danger', 'data-action': 'delete-playlist', onclick: remove }, 'Delete…')),
      h('div', { class: 'view-body' },
        playlist.items.length ? list : h('div', { class: 'empty', 'data-empty': 'playlist' },
          h('h2', { text: 'This playlist is empty' }),
          h('p', { text: 'Add tracks from the library: drag them onto the playlist’s name in the sidebar, or use “Add to …” in a track’s ⋯ menu.' }))));
  }

  async function rename() {
    const name = await promptDialog('Rename playlist', 'Playlist name', playlist.name, 'Rename');
    if (!name || name === playlist.name) return;
    try { playlist = await api.renamePlaylist(id, name); render(); emit('playlists-changed', { id }); } catch (error) { showError(error, 'Could not rename'); }
  }

  async function remove() {
    if (!await confirmDialog(`Delete “${playlist.name}”?`, 'The playlist goes away; its tracks stay in the library.', 'Delete playlist', true)) return;
    try {
      await api.deletePlaylist(id);
      emit('playlist-deleted', { id });
      toast(`Deleted “${playlist.name}”`);
      location.hash = '#/library';
    } catch (error) { showError(error, 'Could not delete the playlist'); }
  }

  load();
  const offs = [
    on('playlists-changed', (detail) => { if (detail.id === id) load(); }),
    on('playlist-deleted', (detail) => { if (detail.id === id && !document.querySelector('dialog')) location.hash = '#/library'; }),
  ];
  return { destroy() { offs.forEach((off) => off()); } };
}
