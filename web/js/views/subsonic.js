// Phone and desktop apps (OpenSubsonic, decision 0026): the Subsonic user, a new password, API
// keys made (the key shown once) and revoked, and the address to type into the app with a QR
// code of it. Credentials change only here, through /api/subsonic (the web API's rules), never
// through /rest/.
import { api, url } from '../api.js';
import { h, replace } from '../dom.js';
import { errorBox, showError, toast, confirmDialog } from '../ui.js';

export function subsonicView(root) {
  replace(root, h('div', { class: 'view-body' }, h('p', { class: 'count', text: 'Loading…' })));
  let shownKey = null; // the key just made: on this page until it is left or another is made

  async function load() {
    try {
      render(await api.subsonic());
    } catch (error) {
      replace(root, h('div', { class: 'view-body' }, errorBox(error, 'The Subsonic settings could not be read.')));
    }
  }

  function render(settings) {
    const password = h('input', { type: 'password', id: 'subsonic-password', autocomplete: 'new-password', 'data-subsonic-password': '' });
    const passwordForm = h('form', { class: 'actions', 'data-form': 'subsonic-password' },
      h('label', { for: 'subsonic-password', text: settings.passwordSet ? 'New password' : 'Password' }), password,
      h('button', { type: 'submit', class: 'button primary' }, settings.passwordSet ? 'Change password' : 'Set password'));
    passwordForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!password.value) return;
      try {
        render(await api.setSubsonicPassword(password.value));
        toast('Password saved: apps log in with it from now on.');
      } catch (error) { showError(error, 'Could not set the password'); }
    });

    const keyName = h('input', { type: 'text', id: 'subsonic-key-name', placeholder: 'phone', maxlength: '100', 'data-subsonic-key-name': '' });
    const keyForm = h('form', { class: 'actions', 'data-form': 'subsonic-key' },
      h('label', { for: 'subsonic-key-name', text: 'Name' }), keyName,
      h('button', { type: 'submit', class: 'button' }, 'New API key'));
    keyForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        shownKey = await api.newSubsonicKey(keyName.value.trim() || null);
        render(await api.subsonic());
      } catch (error) { showError(error, 'Could not make an API key'); }
    });
    const fresh = shownKey ? h('div', { class: 'notice', 'data-new-key': shownKey.id },
      h('p', { text: 'Your new API key — copy it now: it is not shown again.' }),
      h('input', { type: 'text', readonly: '', value: shownKey.key, 'data-new-key-value': '', 'aria-label': 'The new API key' })) : null;

    const keys = h('ul', { class: 'list', 'data-subsonic-keys': '' }, settings.apiKeys.map((key) => {
      const revoke = h('button', { type: 'button', class: 'button small', 'data-action': 'revoke-key' }, 'Revoke');
      revoke.addEventListener('click', async () => {
        if (!await confirmDialog('Revoke this API key?', `Apps using “${key.name || key.id}” will have to log in again.`, 'Revoke', true)) return;
        try {
          await api.revokeSubsonicKey(key.id);
          if (shownKey && shownKey.id === key.id) shownKey = null;
          render(await api.subsonic());
        } catch (error) { showError(error, 'Could not revoke the key'); }
      });
      return h('li', { 'data-key': key.id },
        h('span', { class: 'grow', text: key.name || 'Unnamed key' }),
        h('span', { class: 'count', text: `id ${key.id} · made ${new Date(key.created * 1000).toLocaleString()}` }), revoke);
    }));
    if (!settings.apiKeys.length) keys.append(h('li', { class: 'count', text: 'No API keys.' }));

    replace(root,
      h('div', { class: 'view-header' }, h('h1', { text: 'Phone and desktop apps' })),
      h('div', { class: 'view-body' },
        h('p', { text: 'Apps that speak Subsonic (Symfonium, DSub, Tempo, Feishin, Supersonic, Sublime Music) play from this library with these settings.' }),
        h('h2', { text: 'Server address' }),
        h('div', { class: 'detail' },
          h('img', { src: url('/api/subsonic/address.svg'), alt: `QR code of ${settings.address}`, width: '180', height: '180', 'data-subsonic-qr': '' }),
          h('div', {},
            h('p', {}, h('code', { text: settings.address, 'data-subsonic-address': '' })),
            settings.reachableFromOtherDevices ? null
              : h('p', { class: 'count', 'data-subsonic-loopback': '', text: 'This address works on this computer only. For a phone, run the daemon on the computer’s network address (--listen 192.168.1.5:6690 with --token) and open this page there.' }))),
        h('h2', { text: 'User' }),
        h('p', {}, 'User name: ', h('strong', { text: settings.user, 'data-subsonic-user': '' }),
          settings.passwordSet ? ' · a password is set' : ' · no password yet'),
        passwordForm,
        h('h2', { text: 'API keys' }),
        h('p', { class: 'count', text: 'For apps that support API keys (OpenSubsonic): a key instead of the password, revocable one by one.' }),
        keyForm, fresh, keys));
  }

  load();
  return { destroy() { shownKey = null; } };
}
