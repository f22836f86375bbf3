// The 待提交 queue, DOM-free: actions and photos kept on this device per user (a store of
// offline-db.js: IndexedDB in the browser, memory in the tests) and sent strictly in the order
// they were taken. A lost connection (or a 401, or a server error) stops the run and keeps the
// rest for later; a refusal (409, 403, …) drops that item, hands it back for its draft and goes
// on with the next.
//
// Versions: an action carries the case version its form was filled against. Each earlier item
// of the same queue and case that the server accepts (a photo is an event too) moves the case
// one version on, so the later items' expected_version move with it; a change by anyone else
// still makes the action's version stale: a 409, never an overwrite.

/** Keep an item (stamped with user, queued_at, status waiting); returns how many wait for user. */
export async function enqueue(store, user, item, now = new Date()) {
  await store.add({ ...item, user: user.username, queued_at: now.toISOString(), status: 'waiting' });
  return (await store.list(user.username)).length;
}

export function loadQueue(store, user) {
  return store.list(user.username);
}

/** Errors after which the item stays queued and sending stops until later. */
export function isTransient(err) {
  return err.code === 'NETWORK_ERROR' || err.status === 401 || err.status >= 500;
}

/** The later items of the same case follow the version our accepted item moved it to. */
async function followVersion(store, user, sent) {
  for (const other of await store.list(user.username)) {
    if (other.id !== sent.id && String(other.case_id) === String(sent.case_id) && typeof other.expected_version === 'number') {
      await store.put({ ...other, expected_version: other.expected_version + 1 });
    }
  }
}

/**
 * Send the queue in order with send(item) → result (an action: the updated case). onSent(item,
 * result), onRefused(item, err) and onStep() are told each outcome; the store is updated first.
 */
export async function drainQueue(store, user, send, { onSent = () => {}, onRefused = () => {}, onStep = () => {} } = {}) {
  for (;;) {
    const [item] = await store.list(user.username);
    if (!item) return;
    await store.put({ ...item, status: 'sending', error: null });
    onStep();
    try {
      const result = await send(item);
      await store.remove(item.id);
      await followVersion(store, user, item);
      onSent(item, result);
    } catch (err) {
      if (isTransient(err)) {
        await store.put({ ...item, status: 'waiting', error: err.message || String(err) });
        onStep();
        return; // try later
      }
      await store.remove(item.id);
      onRefused(item, err);
    }
    onStep();
  }
}
