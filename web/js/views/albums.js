// Albums: an artwork grid (paged as you scroll), and an album page in disc/track order.
import { api } from '../api.js';
import { h, replace, duration, artistLine, artOrLetter } from '../dom.js';
import { on } from '../bus.js';
import { playTracks } from '../player.js';
import { openTrackMenu } from '../actions.js';
import { errorBox, showError } from '../ui.js';

/**
 * A favorite toggle for an album or an artist page (`kind` 'album' or 'artist'): a star synced
 * like a track's favorite. `item` is the album or artist as the API gives it. The button's
 * `showFavorite(on)` shows a star changed elsewhere (another client, another device) in place,
 * so the page keeps its focus and scroll position.
 */
export function favoriteToggle(kind, item) {
  const button = h('button', { type: 'button', class: 'button', 'data-action': `favorite-${kind}` });
  const show = () => {
    button.setAttribute('aria-pressed', String(!!item.favorite));
    button.textContent = item.favorite ? '♥ Favorite' : '♡ Add to favorites';
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const answer = await (kind === 'album' ? api.favoriteAlbum(item.id, !item.favorite) : api.favoriteArtist(item.id, !item.favorite));
      item.favorite = answer[kind].favorite;
      show();
    } catch (error) {
      showError(error, 'Could not change the favorite');
    } finally { button.disabled = false; }
  });
  button.showFavorite = (on) => { item.favorite = !!on; show(); };
  show();
  return button;
}

/**
 * Keeps a page's favorite toggle current: when an album or artist star changes anywhere
 * (the `favoritesChanged` event names the kind, not the page's id), `fetchFavorite()` reads
 * this page's star again. Returns the unsubscribe function.
 */
export function followFavorite(kind, toggle, fetchFavorite) {
  return on('favorites-changed', async (change) => {
    if (change.kind !== kind || !toggle.isConnected) return;
    try { toggle.showFavorite(await fetchFavorite()); } catch { /* the page shows the error on its next load */ }
  });
}

/** One album card (also used by the artist page). */
export function albumCard(album) {
  const art = artOrLetter(album.artworkId ? api.albumArtworkURL(album.id) : null, album.title,
    { alt: '', loading: 'lazy', decoding: 'async' });
  return h('a', { class: 'card', href: `#/album/${album.id}`, 'data-album': String(album.id) },
    art,
    h('div', { class: 'card-title', text: album.title || 'Unknown album' }),
    h('div', { class: 'card-sub', text: [album.albumArtist || (album.compilation ? 'Various artists' : ''), album.year].filter(Boolean).join(' · ') }));
}

export function albumsView(root) {
  const grid = h('div', { class: 'grid', 'data-album-grid': '' });
  const count = h('span', { class: 'count' });
  const sortSelect = h('select', { 'aria-label': 'Sort albums', 'data-album-sort': '' },
    h('option', { value: 'title' }, 'By title'), h('option', { value: 'artist' }, 'By artist'), h('option', { value: 'year' }, 'By year'));
  const sentinel = h('div', { 'aria-hidden': 'true', class: 'sentinel' });
  const body = h('div', { class: 'view-body' }, grid, sentinel);
  replace(root, h('div', { class: 'view-header' }, h('h1', { text: 'Albums' }), count, sortSelect), body);
  let offset = 0, total = Infinity, loading = false, generation = 0;

  async function more() {
    if (loading || offset >= total) return;
    loading = true;
    const mine = generation;
    try {
      const page = await api.albums({ limit: 120, offset, sort: sortSelect.value });
      if (mine !== generation) return;
      total = page.total ?? page.items.length;
      offset += page.items.length;
      grid.append(...page.items.map(albumCard));
      count.textContent = `${total.toLocaleString()} albums`;
      if (!total) replace(grid, h('div', { class: 'empty' }, h('h2', { text: 'No albums yet' }), h('p', { text: 'Albums appear once your music has been scanned or imported.' })));
      if (page.items.length === 0) total = offset;
    } catch (error) {
      replace(grid, h('div', { class: 'error-box', role: 'alert', text: error.message }));
      total = 0;
    } finally {
      loading = false;
      if (mine === generation && offset < total && sentinel.getBoundingClientRect().top < innerHeight + 600) more();
    }
  }
  function restart() { generation += 1; offset = 0; total = Infinity; loading = false; grid.replaceChildren(); more(); }
  sortSelect.addEventListener('change', restart);
  const observer = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) more(); }, { root: body, rootMargin: '600px' });
  observer.observe(sentinel);
  more();
  const off = on('scan-finished', restart);
  return { destroy() { observer.disconnect(); off(); } };
}

export function albumView(root, id) {
  replace(root, h('div', { class: 'view-body' }, h('p', { class: 'count', text: 'Loading…' })));
  async function load() {
    try {
      const { album, tracks } = await api.album(id);
      // Disc, then track number (the API's order; sorted again so it never depends on it).
      tracks.sort((a, b) => (a.discNumber || 1) - (b.discNumber || 1) || (a.trackNumber || 0) - (b.trackNumber || 0));
      const discs = new Map();
      for (const track of tracks) {
        const disc = track.discNumber || 1;
        if (!discs.has(disc)) discs.set(disc, []);
        discs.get(disc).push(track);
      }
      const sections = [];
      for (const [disc, list] of discs) {
        if (discs.size > 1) sections.push(h('h2', { class: 'disc', text: `Disc ${disc}` }));
        sections.push(h('ol', { class: 'list', 'data-album-tracks': String(disc) }, list.map((track) => {
          const menu = h('button', { type: 'button', class: 'icon-button small', 'aria-label': `Actions for ${track.title}` }, '⋯');
          menu.addEventListener('click', () => openTrackMenu(menu, [track]));
          return h('li', { 'data-uid': track.uid },
            h('span', { class: 'count', text: track.trackNumber ? String(track.trackNumber) : '' }),
            h('button', { type: 'button', class: 'icon-button small', 'aria-label': `Play ${track.title}`, onclick: () => playTracks(tracks, tracks.indexOf(track)) }, '▶'),
            h('a', { class: 'grow', href: `#/track/${track.uid}`, text: track.title }),
            h('span', { class: 'count', text: album.compilation ? artistLine(track) : '' }),
            h('span', { class: 'count', text: duration(track.durationMs) }), menu);
        })));
      }
      const art = artOrLetter(album.artworkId ? api.albumArtworkURL(album.id) : null, album.title, { alt: `Artwork of ${album.title}` });
      const toggle = favoriteToggle('album', album);
      offFavorite();
      offFavorite = followFavorite('album', toggle, async () => (await api.album(id)).album.favorite);
      replace(root, h('div', { class: 'view-body' },
        h('div', { class: 'detail' }, h('div', {}, art),
          h('div', {},
            h('h1', { text: album.title || 'Unknown album', 'data-album-title': '' }),
            h('p', { class: 'count', text: [album.albumArtist, album.year, `${album.trackCount} tracks`, duration(album.durationMs)].filter(Boolean).join(' · ') }),
            h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button primary', 'data-action': 'play-album', onclick: () => playTracks(tracks, 0) }, '▶ Play album'),
              toggle),
            sections))));
    } catch (error) {
      replace(root, h('div', { class: 'view-body' }, errorBox(error, 'This album is no longer in the library.')));
    }
  }
  let offFavorite = () => {};
  load();
  const off = on('library-changed', ({ scan }) => { if (!scan) load(); });
  return { destroy() { off(); offFavorite(); } };
}
