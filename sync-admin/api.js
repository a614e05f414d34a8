// The administration API (/admin/api/…, decision 0022). The administrator token lives in this
// tab's sessionStorage and goes in the Authorization header of every request: never in an
// address, never in a cookie (so no other site can make the browser use it).

const KEY = "omnisonic-sync-admin-token";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An error answer: `status` and the server's `{"error":{"code","message"}}`. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body) {
  const headers = { Authorization: `Bearer ${token.get() ?? ""}` };
  const init = { method, headers, credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/admin/api/${path}`, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, error.code ?? "http", error.message ?? `HTTP ${response.status}`);
  }
  return data;
}

export const api = {
  overview: () => request("GET", "overview"),
  addDevice: (user, name, url) => request("POST", "devices", { user, name, url }),
  renameDevice: (id, name) => request("POST", `devices/${encodeURIComponent(id)}/rename`, { name }),
  revokeDevice: (id) => request("POST", `devices/${encodeURIComponent(id)}/revoke`, {}),
  compactUser: (id) => request("POST", `users/${encodeURIComponent(id)}/compact`, {}),
  deleteUser: (id, confirm) => request("POST", `users/${encodeURIComponent(id)}/delete`, { confirm }),
};
