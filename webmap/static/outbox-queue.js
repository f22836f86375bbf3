// The 待提交 queue, DOM-free: actions kept on this device per user (`tuban.outbox.<username>`)
// and sent strictly in the order they were taken. A lost connection (or a 401, or a server
// error) stops the run and keeps the rest for later; a refusal (409, 403, …) drops that item,
// hands it back for its draft and goes on with the next.

export function queueKey(user) {
  return `tuban.outbox.${user ? user.username : ''}`;
}

export function loadQueue(storage, user) {
  try {
    return JSON.parse(storage.getItem(queueKey(user)) || '[]');
  } catch {
    return [];
  }
}

export function saveQueue(storage, user, items) {
  try {
    storage.setItem(queueKey(user), JSON.stringify(items));
  } catch {
    /* storage full: the queue lasts as long as the page */
  }
}

/** Append an item (stamped with queued_at); returns how many are waiting. */
export function enqueue(storage, user, item, now = new Date()) {
  const items = loadQueue(storage, user);
  items.push({ ...item, queued_at: now.toISOString() });
  saveQueue(storage, user, items);
  return items.length;
}

const same = (a, b) => a.queued_at === b.queued_at && a.case_id === b.case_id;

/** Errors after which the item stays queued and sending stops until later. */
export function isTransient(err) {
  return err.code === 'NETWORK_ERROR' || err.status === 401 || err.status >= 500;
}

/**
 * Send the queue in order with send(item) → updated case. onSent(item, updated) and
 * onRefused(item, err) are told each outcome; the queue in storage is updated after each.
 */
export async function drainQueue(storage, user, send, { onSent = () => {}, onRefused = () => {}, onStep = () => {} } = {}) {
  let items = loadQueue(storage, user);
  while (items.length) {
    const item = items[0];
    try {
      const updated = await send(item);
      items = loadQueue(storage, user).filter((x) => !same(x, item));
      saveQueue(storage, user, items);
      onSent(item, updated);
    } catch (err) {
      if (isTransient(err)) break; // try later
      items = loadQueue(storage, user).filter((x) => !same(x, item));
      saveQueue(storage, user, items);
      onRefused(item, err);
    }
    onStep();
  }
}
