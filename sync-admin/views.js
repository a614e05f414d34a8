// Rendering: every value from the server goes in through textContent (user and device names
// are whatever an administrator or a command typed).

const numbers = new Intl.NumberFormat();

export function time(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  return new Date(seconds * 1000).toLocaleString();
}

export function bytes(count) {
  if (count < 1024) return `${numbers.format(count)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = count / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function button(label, action, id, className) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.action = action;
  b.dataset.id = String(id);
  if (className) b.className = className;
  return b;
}

export function renderUsers(tbody, users) {
  tbody.replaceChildren(...users.map((user) => {
    const row = document.createElement("tr");
    row.dataset.user = user.name;
    row.dataset.userId = String(user.id);
    cell(row, user.name);
    cell(row, numbers.format(user.operations), "number");
    cell(row, bytes(user.bytes), "number");
    cell(row, time(user.compactedAt));
    cell(row, numbers.format(user.activeDevices), "number");
    const actions = cell(row, "");
    actions.append(button("Compact now", "compact", user.id, "secondary"),
                   button("Delete…", "delete-user", user.id, "danger"));
    actions.lastChild.dataset.name = user.name;
    return row;
  }));
}

export function renderDevices(tbody, devices) {
  tbody.replaceChildren(...devices.map((device) => {
    const row = document.createElement("tr");
    row.dataset.device = String(device.id);
    if (device.revoked) row.className = "revoked";
    cell(row, device.user);
    cell(row, device.name).dataset.field = "name";
    cell(row, time(device.createdAt));
    cell(row, time(device.lastSeenAt ?? device.seenAt));
    cell(row, numbers.format(device.seen), "number");
    cell(row, numbers.format(device.pending), "number");
    cell(row, device.revoked ? "revoked" : "active").dataset.field = "state";
    const actions = cell(row, "");
    const rename = button("Rename", "rename", device.id, "secondary");
    rename.dataset.name = device.name;
    actions.append(rename);
    if (!device.revoked) actions.append(button("Revoke", "revoke", device.id, "danger"));
    return row;
  }));
}

export function renderAudit(tbody, entries) {
  tbody.replaceChildren(...entries.map((entry) => {
    const row = document.createElement("tr");
    cell(row, time(entry.at));
    cell(row, entry.actor);
    cell(row, entry.action);
    cell(row, entry.detail, "detail");
    return row;
  }));
}

/** Health: the database, the compaction timer, and request/error rates between two overviews. */
export function renderHealth(dl, health, traffic, previous) {
  const items = [];
  const add = (term, text, state) => {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = text;
    if (state) dd.className = `state-${state}`;
    items.push(dt, dd);
    return dd;
  };
  add("Database", health.database === "ok" ? `ok (${health.databaseMilliseconds.toFixed(1)} ms)` : `failing: ${health.databaseError}`,
      health.database === "ok" ? "ok" : "bad").dataset.health = "database";
  let compaction;
  if (health.compactionEveryMinutes === null || health.compactionEveryMinutes === undefined) {
    compaction = ["off (compact by hand)", "warn"];
  } else if (health.lastCompactionError) {
    compaction = [`failing: ${health.lastCompactionError}`, "bad"];
  } else {
    const overdue = health.lastCompactionAt === null || health.lastCompactionAt === undefined
      ? health.now - health.startedAt > health.compactionEveryMinutes * 60 * 2
      : health.now - health.lastCompactionAt > health.compactionEveryMinutes * 60 * 2;
    const last = health.lastCompactionAt ? `last ${time(health.lastCompactionAt)}, removed ${health.lastCompactionRemoved}` : "no round yet";
    compaction = [`every ${health.compactionEveryMinutes} min, keeping the last ${health.keepTail}; ${last}`, overdue ? "bad" : "ok"];
  }
  add("Compaction timer", compaction[0], compaction[1]).dataset.health = "compaction";
  add("Running since", time(traffic.startedAt));
  const uptime = Math.max(1, health.now - traffic.startedAt);
  let rates = `${(traffic.requests * 60 / uptime).toFixed(1)} requests/min, ${(traffic.errors * 60 / uptime).toFixed(1)} errors/min since the start`;
  if (previous && health.now > previous.now) {
    const seconds = health.now - previous.now;
    rates = `${((traffic.requests - previous.requests) * 60 / seconds).toFixed(1)} requests/min, `
      + `${((traffic.errors - previous.errors) * 60 / seconds).toFixed(1)} errors/min (last ${seconds} s); ${rates}`;
  }
  add("Traffic", rates);
  add("Totals", `${numbers.format(traffic.requests)} requests, ${numbers.format(traffic.errors)} refused, `
      + `${numbers.format(traffic.opsAccepted)} operations stored, ${numbers.format(traffic.opsServed)} served`);
  const reasons = Object.entries(traffic.rejected ?? {}).map(([reason, count]) => `${reason}: ${count}`).join(", ");
  add("Refusals by reason", reasons || "none");
  dl.replaceChildren(...items);
}
