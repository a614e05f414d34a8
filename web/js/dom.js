// Small DOM helpers. User data only ever goes through textContent (never innerHTML).

/**
 * Creates an element: h('button', {class: 'x', 'data-action': 'play', onclick: fn}, 'text', child).
 * Strings become text nodes; null/false children are skipped; attributes with value null/false are left out.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Artwork: an `<img class="art">` showing `src`, or, when there is no `src`, a placeholder
 * `<div class="art">` with the first letter of `name`. `imageAttributes` go on the image,
 * `placeholderAttributes` on the placeholder (hidden from screen readers unless given others).
 */
export function artOrLetter(src, name, imageAttributes = {}, placeholderAttributes = { 'aria-hidden': 'true' }) {
  return src ? h('img', { class: 'art', src, ...imageAttributes })
    : h('div', { class: 'art', ...placeholderAttributes }, (name || '?').slice(0, 1).toUpperCase());
}

/** Replaces every child of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** `3:07`, `1:02:03`. */
export function duration(ms) {
  if (ms === null || ms === undefined || !isFinite(ms)) return '';
  const total = Math.round(ms / 1000);
  const hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), seconds = total % 60;
  const mm = hours ? String(minutes).padStart(2, '0') : String(minutes);
  return (hours ? `${hours}:` : '') + `${mm}:${String(seconds).padStart(2, '0')}`;
}

/** The search words of `query` (field prefixes and quotes removed), lower-cased, for highlighting. */
export function highlightTerms(query) {
  const words = [];
  for (const match of (query || '').matchAll(/(?:\w+:)?"([^"]*)"?|(\S+)/gu)) {
    const raw = match[1] ?? match[2] ?? '';
    if (/^\w+:/u.test(match[0]) && !/^(artist|album|title|genre|albumartist|composer):/u.test(match[0])) continue;
    const value = raw.replace(/^\w+:/u, '');
    for (const word of value.split(/[^\p{L}\p{N}]+/u)) if (word) words.push(word.toLowerCase());
  }
  return words;
}

/**
 * Fills `element` with `text`, wrapping the parts that start a word of `terms` in <mark>
 * (text nodes only: safe for any user data).
 */
export function highlighted(element, text, terms) {
  element.replaceChildren();
  text = text || '';
  if (!terms.length) { element.textContent = text; return element; }
  const lower = text.toLowerCase();
  let i = 0;
  while (i < text.length) {
    let best = -1, length = 0;
    for (const term of terms) {
      let at = lower.indexOf(term, i);
      while (at > 0 && /[\p{L}\p{N}]/u.test(lower[at - 1])) at = lower.indexOf(term, at + 1);
      if (at >= 0 && (best < 0 || at < best)) { best = at; length = term.length; }
    }
    if (best < 0) break;
    if (best > i) element.append(document.createTextNode(text.slice(i, best)));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(best, best + length);
    element.append(mark);
    i = best + length;
  }
  if (i < text.length) element.append(document.createTextNode(text.slice(i)));
  return element;
}

/** Debounces `fn` by `ms`. */
export function debounce(fn, ms) {
  let timer = 0;
  const wrapped = (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** The artists of a track as one line. */
export function artistLine(track) {
  return track.artist || (track.artists || []).join(', ');
}
