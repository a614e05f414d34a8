// The search box: `/` focuses it; typing updates the library view (debounced) wherever you are.
import { debounce } from './dom.js';
import { emit } from './bus.js';

export const DEBOUNCE_MS = 150;
let input;

export function searchText() { return input ? input.value : ''; }

export function setSearchText(text, { announce = true } = {}) {
  input.value = text;
  if (announce) emit('search', { text });
}

export function initSearch() {
  input = document.querySelector('[data-search-input]');
  const fire = debounce(() => {
    performance.mark('omni:search-fired');
    if (!location.hash.startsWith('#/library') && !location.hash.startsWith('#/favorites') && location.hash !== '' && location.hash !== '#/') location.hash = '#/library';
    emit('search', { text: input.value });
  }, DEBOUNCE_MS);
  input.addEventListener('input', fire);
  input.form.addEventListener('submit', (event) => { event.preventDefault(); fire.cancel(); performance.mark('omni:search-fired'); emit('search', { text: input.value }); });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && input.value) { event.preventDefault(); event.stopPropagation(); input.value = ''; fire(); }
    else if (event.key === 'ArrowDown') { event.preventDefault(); document.querySelector('[data-track-table]')?.focus(); }
  });
}
