// What can be done to tracks from anywhere (row menus, the detail page, drops): play, queue,
// add to a playlist, favorite, rate, delete with undo.
import { api } from './api.js';
import { emit } from './bus.js';
import { h } from './dom.js';
import { enqueue, playTracks } from './player.js';
import { toast, showError, confirmDialog, openMenu, promptDialog } from './ui.js';

let playlistsCache = [];
/** The playlists the sidebar last loaded (for "Add to playlist" menus). */
export function setKnownPlaylists(playlists) { playlistsCache = playlists; }

export async function addToPlaylist(id, uids, name) {
  try {
    await api.addToPlaylist(id, uids);
    const target = name || (playlistsCache.find((p) => p.id === id) || {}).name || 'the playlist';
    toast(`Added ${uids.length === 1 ? '1 track' : uids.length + ' tracks'} to ${target}`);
  } catch (error) { showError(error, 'Could not add to the playlist'); }
}

export async function newPlaylistWith(uids) {
  const name = await promptDialog('New playlist', 'Playlist name', '', 'Create');
  if (!name) return null;
  try {
    const playlist = await api.createPlaylist(name);
    if (uids && uids.length) await api.addToPlaylist(playlist.id, uids);
    emit('playlists-changed', { id: playlist.id });
    toast(`Created ${name}`);
    return playlist;
  } catch (error) { showError(error, 'Could not create the playlist'); return null; }
}

/** The menu items for `tracks`; `extra` items (e.g. remove from playlist) go first. */
export function trackMenuItems(tracks, { onDelete, extra = [] } = {}) {
  const uids = tracks.map((t) => t.uid);
  const one = tracks.length === 1 ? tracks[0] : null;
  const items = [
    { id: 'play', label: tracks.length > 1 ? `Play ${tracks.length} tracks` : 'Play', run: () => playTracks(tracks, 0) },
    { id: 'play-next', label: 'Play next', run: () => enqueue(tracks, true) },
    { id: 'queue', label: 'Add to queue', run: () => enqueue(tracks, false) },
    'separator',
    ...playlistsCache.map((p) => ({ id: 'add-to-' + p.id, label: `Add to “${p.name}”`, run: () => addToPlaylist(p.id, uids, p.name) })),
    { id: 'new-playlist', label: 'Add to a new playlist…', run: () => newPlaylistWith(uids) },
    'separator',
    ...extra,
  ];
  if (one) {
    items.push({ id: 'details', label: 'Details', run: () => { location.hash = `#/track/${one.uid}`; } });
    items.push({ id: 'mix-with', label: 'Mix with…', run: () => { location.hash = `#/mix?from=${encodeURIComponent(one.uid)}`; } });
  } else if (tracks.length === 2) {
    items.push({ id: 'mix-with', label: 'Mix these two…', run: () => { location.hash = `#/mix?from=${encodeURIComponent(uids[0])}&to=${encodeURIComponent(uids[1])}`; } });
  }
  if (one) {
    items.push({ id: 'favorite', label: one.favorite ? 'Remove from favorites' : 'Add to favorites', run: () => setFavorite(one, !one.favorite) });
  }
  if (onDelete) items.push({ id: 'delete', label: tracks.length > 1 ? `Delete ${tracks.length} tracks…` : 'Delete…', run: () => onDelete(tracks) });
  return items.filter((item, i, all) => item !== 'separator' || (i > 0 && all[i - 1] !== 'separator'));
}

export function openTrackMenu(anchor, tracks, options) {
  openMenu(anchor, trackMenuItems(tracks, options), tracks.length === 1 ? `Actions for ${tracks[0].title}` : 'Actions for the selection');
}

/** Applies the track the API answered with to `track` and announces it; null (after a toast) on failure. */
async function updateTrack(track, change, failure) {
  try {
    const updated = await change();
    Object.assign(track, updated);
    emit('track-updated', { track: updated });
    return updated;
  } catch (error) { showError(error, failure); return null; }
}

export function setFavorite(track, on) {
  return updateTrack(track, () => api.favorite(track.uid, on), 'Could not change the favorite');
}

export function setRating(track, rating) {
  return updateTrack(track, () => api.rate(track.uid, rating), 'Could not save the rating');
}

const UNDO_MS = 6000;
const pending = new Map(); // uid → {commit}

/**
 * Deletes `tracks` after a confirmation, with an undo: the API has no restore (trash is
 * final as far as HTTP goes), so the DELETE is sent only when the undo toast expires.
 * `hide()` hides them now and returns `unhide()`. Resolves true when confirmed.
 */
export async function deleteTracks(tracks, hide) {
  const names = tracks.length === 1 ? `“${tracks[0].title}”` : `${tracks.length} tracks`;
  // Every file that goes: a track may have several copies (the same recording in two folders).
  let files = [];
  try {
    files = (await Promise.all(tracks.slice(0, 50).map((t) => api.trackFiles(t.uid).then((r) => r.files).catch(() => [])))).flat();
  } catch { files = []; }
  const list = files.length ? h('ul', { class: 'file-list', 'data-delete-files': '' }, files.slice(0, 200).map((path) => h('li', { text: path })),
    files.length > 200 ? h('li', { text: `and ${files.length - 200} more` }) : null) : null;
  const count = files.length === 1 ? 'This file is' : files.length ? `These ${files.length} files are` : 'The files are';
  const ok = await confirmDialog(`Delete ${names}?`,
    `${count} moved to your desktop's trash (the Trash of your file manager, where you can restore them) and leave the library. You can undo here for a few seconds.`,
    'Delete', true, list);
  if (!ok) return false;
  const unhide = hide ? hide() : () => {};
  const commit = async () => {
    for (const track of tracks) pending.delete(track.uid);
    const failures = [];
    for (const track of tracks) {
      try { await api.deleteTrack(track.uid); } catch (error) { if (error.status !== 404) failures.push(error); }
    }
    if (failures.length) { unhide(); showError(failures[0], 'Could not delete'); } else unhide({ committed: true });
    emit('tracks-removed', { uids: tracks.map((t) => t.uid), local: true });
  };
  for (const track of tracks) pending.set(track.uid, { commit });
  toast(`Deleted ${names}`, {
    ms: UNDO_MS,
    action: { label: 'Undo', run: () => {
      for (const track of tracks) pending.delete(track.uid);
      unhide();
      emit('delete-undone', { uids: tracks.map((t) => t.uid) });
      toast('Delete undone');
    } },
    onExpire: commit,
  });
  return true;
}

/** Sends the deletes still waiting for their undo to expire (before the page goes away). */
export function flushPendingDeletes() {
  const commits = new Set([...pending.values()].map((p) => p.commit));
  for (const commit of commits) commit();
}

export function isPendingDelete(uid) { return pending.has(uid); }
