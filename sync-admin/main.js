// The sync server's administration page (decision 0022): one screen, refreshed every 10 s.
import { api, token, ApiError } from "./api.js";
import { renderAudit, renderDevices, renderHealth, renderUsers } from "./views.js";

const $ = (selector) => document.querySelector(selector);
let previous = null;
let timer = null;
let pendingRename = null;
let pendingDelete = null;

function say(text, isError = false) {
  const message = $("[data-message]");
  message.textContent = text;
  message.classList.toggle("error", isError);
  message.hidden = !text;
}

function signedIn(yes) {
  $("[data-sign-in]").hidden = yes;
  $("[data-console]").hidden = !yes;
  $("[data-action=sign-out]").hidden = !yes;
  if (!yes) {
    clearInterval(timer);
    timer = null;
    $("#token").focus();
  }
}

function failed(error) {
  if (error instanceof ApiError && error.status === 401) {
    token.clear();
    signedIn(false);
    say("The administrator token was refused. Paste a token from `omnisonicd sync-server admin-token`.", true);
    return;
  }
  say(error.message, true);
}

async function refresh() {
  if (!token.get()) return signedIn(false);
  try {
    const overview = await api.overview();
    signedIn(true);
    renderUsers($("[data-table=users] tbody"), overview.users);
    renderDevices($("[data-table=devices] tbody"), overview.devices);
    renderAudit($("[data-table=audit] tbody"), overview.audit);
    renderHealth($("[data-health]"), overview.health, overview.traffic, previous);
    previous = { now: overview.health.now, requests: overview.traffic.requests, errors: overview.traffic.errors };
    if (!timer) timer = setInterval(refresh, 10_000);
  } catch (error) {
    failed(error);
  }
}

async function act(work, done) {
  try {
    await work();
    if (done) say(done);
    await refresh();
  } catch (error) {
    failed(error);
  }
}

$("[data-form=sign-in]").addEventListener("submit", (event) => {
  event.preventDefault(); // the token never goes into an address
  const input = $("#token");
  token.set(input.value.trim());
  input.value = "";
  say("");
  refresh();
});

$("[data-action=sign-out]").addEventListener("click", () => {
  token.clear();
  previous = null;
  say("Signed out.");
  signedIn(false);
});

$("[data-form=add-device]").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const user = form.elements.user.value.trim();
  const name = form.elements.name.value.trim();
  // The address devices use: this page's own origin and path prefix, without /admin/.
  const url = new URL("..", location.href).href.replace(/\/$/, "");
  act(async () => {
    const added = await api.addDevice(user, name, url);
    $("[data-added-settings]").value = added.settings;
    $("[data-added-token]").value = added.token;
    const image = document.createElement("img");
    image.alt = `QR code of the settings of device ${added.name}`;
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(added.qr)}`;
    $("[data-added-qr]").replaceChildren(image);
    $("[data-added]").hidden = false;
    form.reset();
  }, `Device “${name}” of ${user} added: copy its settings now, they are not shown again.`);
});

$("[data-action=close-added]").addEventListener("click", () => {
  $("[data-added-settings]").value = "";
  $("[data-added-token]").value = "";
  $("[data-added-qr]").replaceChildren();
  $("[data-added]").hidden = true;
});

// Row buttons (rendered by views.js) act through their data-action.
document.addEventListener("click", (event) => {
  const target = event.target.closest("button[data-action]");
  if (!target || !target.dataset.id) return;
  const id = target.dataset.id;
  switch (target.dataset.action) {
    case "revoke":
      act(() => api.revokeDevice(id), `Device ${id} revoked: its token no longer works.`);
      break;
    case "compact":
      act(async () => {
        const result = await api.compactUser(id);
        say(`Compacted: kept ${result.kept}, removed ${result.removed}.`);
      });
      break;
    case "rename": {
      pendingRename = id;
      const dialog = $("[data-dialog=rename]");
      dialog.querySelector("input").value = target.dataset.name ?? "";
      dialog.showModal();
      break;
    }
    case "delete-user": {
      pendingDelete = { id, name: target.dataset.name };
      const dialog = $("[data-dialog=delete-user]");
      dialog.querySelector("[data-delete-name]").textContent = target.dataset.name;
      dialog.querySelector("input").value = "";
      dialog.querySelector("button[type=submit]").disabled = true;
      dialog.showModal();
      break;
    }
    default:
      break;
  }
});

for (const button of document.querySelectorAll("[data-action=cancel-dialog]")) {
  button.addEventListener("click", () => button.closest("dialog").close());
}

$("[data-form=rename]").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = event.currentTarget.elements.name.value.trim();
  const id = pendingRename;
  $("[data-dialog=rename]").close();
  act(() => api.renameDevice(id, name), `Device ${id} renamed “${name}”.`);
});

// Typed confirmation: the button works only once the exact name is typed (and the server checks it again).
$("[data-form=delete-user] input").addEventListener("input", (event) => {
  $("[data-form=delete-user] button[type=submit]").disabled = event.target.value !== pendingDelete?.name;
});

$("[data-form=delete-user]").addEventListener("submit", (event) => {
  event.preventDefault();
  const confirm = event.currentTarget.elements.confirm.value;
  const { id, name } = pendingDelete ?? {};
  $("[data-dialog=delete-user]").close();
  act(() => api.deleteUser(id, confirm), `User ${name} and all their data deleted.`);
});

refresh();
