// Artists: a list (paged), and an artist page with their albums.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { albumCard, favoriteToggle, followFavorite } from './albums.js';
import { errorBox } from '../ui.js';

export function artistsView(root) {
  const list = h('ul', { class: 'list', 'data-artist-list': '' });
  const count = h('span', { class: 'count' });
  const sentinel = h('div', { 'aria-hidden': 'true', class: 'sentinel' });
  const body = h('div', { class: 'view-body' }, list, sentinel);
  replace(root, h('div', { class: 'view-header' }, h('h1', { text: 'Artists' }), count), body);
  let offset = 0, total = Infinity, loading = false;
  async function more() {
    if (loading || offset >= total) return;
    loading = true;
    try {
      const page = await api.artists({ limit: 200, offset });
      total = page.total ?? page.items.length;
      offset += page.items.length;
      if (page.items.length === 0) total = offset;
      list.append(...page.items.map((artist) => h('li', {},
        h('a', { class: 'grow', href: `#/artist/${artist.id}`, text: artist.name }),
        h('span', { class: 'count', text: `${artist.albumCount} albums · ${artist.trackCount} tracks` }))));
      count.textContent = `${total.toLocaleString()} artists`;
      if (!total) replace(list, h('li', { class: 'empty' }, 'No artists yet: scan or import some music.'));
    } catch (error) {
      replace(list, h('li', { class: 'error-box', role: 'alert', text: error.message }));
      total = 0;
    } finally { loading = false; }
  }
  const observer = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) more(); }, { root: body, rootMargin: '600px' });
  observer.observe(sentinel);
  more();
  return { destroy() { observer.disconnect(); } };
}

export function artistView(root, id) {
  replace(root, h('div', { class: 'view-body' }, h('p', { class: 'count', text: 'Loading…' })));
  let offFavorite = () => {}, gone = false;
  api.artist(id).then(({ artist, albums }) => {
    if (gone) return;
    const toggle = favoriteToggle('artist', artist);
    offFavorite = followFavorite('artist', toggle, async () => (await api.artist(id)).artist.favorite);
    replace(root,
      h('div', { class: 'view-header' }, h('h1', { text: artist.name, 'data-artist-name': '' }),
        h('span', { class: 'count', text: `${artist.albumCount} albums · ${artist.trackCount} tracks` }),
        toggle),
      h('div', { class: 'view-body' }, albums.length ? h('div', { class: 'grid' }, albums.map(albumCard))
        : h('p', { class: 'empty', text: 'No albums: this artist only has loose tracks. Search for them in the library.' })));
  }).catch((error) => replace(root, h('div', { class: 'view-body' }, errorBox(error, 'This artist is no longer in the library.'))));
  return { destroy() { gone = true; offFavorite(); } };
}
