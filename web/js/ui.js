// Shared widgets: toasts, confirmation and prompt dialogs, the pop-up menu.
import { h } from './dom.js';

const toasts = () => document.querySelector('[data-toasts]');

/**
 * Shows a message for `ms`. `action` = {label, run} adds a button (e.g. Undo). Returns
 * {dismiss}. `onExpire` runs when it times out without the action being used.
 */
export function toast(message, { error = false, action = null, ms = 4000, onExpire = null } = {}) {
  const element = h('div', { class: 'toast' + (error ? ' error' : ''), 'data-toast': error ? 'error' : 'info' }, h('span', { text: message }));
  let done = false;
  const finish = (expired) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    element.remove();
    if (expired && onExpire) onExpire();
  };
  if (action) {
    element.append(h('button', { type: 'button', 'data-action': 'toast-action', onclick: () => { finish(false); action.run(); } }, action.label));
  }
  element.append(h('button', { type: 'button', 'aria-label': 'Dismiss', onclick: () => finish(true) }, '×'));
  toasts().append(element);
  const timer = setTimeout(() => finish(true), ms);
  return { dismiss: () => finish(true), element };
}

/** An error from the API (or anything else) in plain words. */
export function showError(error, prefix = '') {
  if (error && error.name === 'AbortError') return;
  console.warn(error);
  toast((prefix ? prefix + ': ' : '') + (error && error.message ? error.message : String(error)), { error: true, ms: 7000 });
}

/**
 * A view's error box (`role="alert"`): `goneText` when the API answered 404 (what the view
 * shows is gone), the error's message otherwise.
 */
export function errorBox(error, goneText) {
  return h('div', { class: 'error-box', role: 'alert', text: error.status === 404 ? goneText : error.message });
}

/** A modal dialog built from `content`; resolves with the value passed to `close`. */
export function modal(title, build) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-labelledby': 'dialog-title' });
    const close = (value) => { dialog.close(); dialog.remove(); resolve(value); };
    dialog.append(h('h2', { id: 'dialog-title', text: title }), build(close));
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); close(undefined); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Yes/no question; resolves true when confirmed. `details`: elements shown under the message. */
export function confirmDialog(title, message, confirmLabel = 'OK', danger = false, details = null) {
  return modal(title, (close) => h('div', {},
    h('p', { text: message }),
    details,
    h('div', { class: 'dialog-buttons' },
      h('button', { type: 'button', class: 'button', 'data-action': 'cancel', onclick: () => close(false) }, 'Cancel'),
      h('button', { type: 'button', class: 'button primary' + (danger ? ' danger' : ''), 'data-action': 'confirm', autofocus: true, onclick: () => close(true) }, confirmLabel))))
    .then(Boolean);
}

/** Asks for one line of text; resolves with it (trimmed) or null. */
export function promptDialog(title, label, value = '', okLabel = 'Save') {
  return modal(title, (close) => {
    const input = h('input', { type: 'text', value, 'aria-label': label, 'data-prompt-input': '', autofocus: true, required: true, maxlength: '200' });
    const form = h('form', { method: 'dialog', onsubmit: (event) => { event.preventDefault(); const text = input.value.trim(); if (text) close(text); } },
      h('label', {}, h('span', { class: 'visually-hidden', text: label }), input),
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'button', onclick: () => close(null) }, 'Cancel'),
        h('button', { type: 'submit', class: 'button primary', 'data-action': 'prompt-ok' }, okLabel)));
    return form;
  }).then((value) => value ?? null);
}

let menuCleanup = null;

/**
 * Opens the pop-up menu at the element `anchor` (or {x, y}) with `items`: {label, run} or 'separator'.
 * Arrow keys move, Escape closes and gives focus back.
 */
export function openMenu(anchor, items, label = 'Actions') {
  closeMenu();
  // Where focus goes back to on Escape: what had it (the grid for Shift+F10, a ⋯ button), else
  // the anchor or its nearest focusable ancestor (a row is not focusable, its grid is).
  const opener = document.activeElement && document.activeElement !== document.body ? document.activeElement : null;
  const giveFocusBack = () => {
    const anchorElement = anchor instanceof Element ? anchor : null;
    const candidates = [opener, anchorElement, anchorElement && anchorElement.closest('[tabindex], button, a[href], input, select')];
    for (const candidate of candidates) {
      if (!candidate || !candidate.isConnected) continue;
      candidate.focus({ preventScroll: true });
      if (document.activeElement === candidate) return;
    }
  };
  const menu = document.querySelector('[data-menu]');
  menu.replaceChildren();
  menu.setAttribute('aria-label', label);
  for (const item of items) {
    if (item === 'separator') { menu.append(h('hr')); continue; }
    menu.append(h('button', { type: 'button', role: 'menuitem', 'data-menu-item': item.id || item.label,
      onclick: () => { closeMenu(); item.run(); } }, item.label));
  }
  menu.hidden = false;
  const rect = anchor instanceof Element ? anchor.getBoundingClientRect() : { left: anchor.x, bottom: anchor.y, top: anchor.y };
  const width = menu.offsetWidth, height = menu.offsetHeight;
  menu.style.left = Math.max(4, Math.min(rect.left, innerWidth - width - 4)) + 'px';
  menu.style.top = (rect.bottom + height > innerHeight ? Math.max(4, rect.top - height) : rect.bottom) + 'px';
  const buttons = [...menu.querySelectorAll('button')];
  buttons[0]?.focus();
  const onKey = (event) => {
    const index = buttons.indexOf(document.activeElement);
    if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); closeMenu(); giveFocusBack(); }
    else if (event.key === 'ArrowDown') { event.preventDefault(); buttons[(index + 1) % buttons.length].focus(); }
    else if (event.key === 'ArrowUp') { event.preventDefault(); buttons[(index - 1 + buttons.length) % buttons.length].focus(); }
  };
  const onOutside = (event) => { if (!menu.contains(event.target)) closeMenu(); };
  menu.addEventListener('keydown', onKey);
  setTimeout(() => document.addEventListener('pointerdown', onOutside), 0);
  menuCleanup = () => { menu.removeEventListener('keydown', onKey); document.removeEventListener('pointerdown', onOutside); menu.hidden = true; };
}

export function closeMenu() {
  if (menuCleanup) { const cleanup = menuCleanup; menuCleanup = null; cleanup(); }
}
