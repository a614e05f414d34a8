// Light/dark: follows the system until the user picks one with the toggle (remembered).
const key = 'omnisonic.theme';
const media = matchMedia('(prefers-color-scheme: dark)');

/** The theme in effect: 'light' or 'dark'. */
export function currentTheme() {
  return document.documentElement.dataset.theme || (media.matches ? 'dark' : 'light');
}

function label(button) {
  const next = currentTheme() === 'dark' ? 'light' : 'dark';
  button.setAttribute('aria-label', `Switch to ${next} theme`);
  button.title = `Switch to ${next} theme`;
}

export function initTheme() {
  const button = document.querySelector('[data-action="toggle-theme"]');
  label(button);
  media.addEventListener('change', () => label(button));
  button.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem(key, next);
    label(button);
  });
}
