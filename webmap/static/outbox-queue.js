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
//
// A finding (巡查发现, kind 'finding') is two steps in one item: the finding is posted with the
// phone's own id (client_ref), then its photos are uploaded to the case it made, one by one.
// Each step is written back to the item as it succeeds (the case id, the photos left), so a
// reload or a lost connection between them resumes where it stopped: a finding is never posted
// twice (and a resend with the same client_ref answers the same case anyway), a photo never
// uploaded twice.

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
 * Send a finding item: POST it (unless an earlier run did: item.case_id is set), then upload its
 * photos in order. save(changes) writes each step's progress to the stored item. api:
 * {postFinding(path, body), uploadPhoto(caseId, photo)}. A photo the server refuses (422…) is
 * set aside in `photo_errors` and the next one goes on; a lost connection stops the run with
 * the rest kept. Returns the finding's answer with `photo_errors`.
 */
export async function sendFinding(item, api, save = async () => {}) {
  let current = { ...item };
  const step = async (changes) => {
    current = { ...current, ...changes };
    await save(changes);
  };
  if (current.case_id === null || current.case_id === undefined) {
    const made = await api.postFinding(current.path, current.body);
    await step({
      case_id: made.case_id, code: made.code, batch_id: made.batch_id, result: made,
    });
  }
  while ((current.photos || []).length) {
    const [photo, ...rest] = current.photos;
    try {
      await api.uploadPhoto(current.case_id, photo);
    } catch (err) {
      if (isTransient(err)) throw err;
      await step({ photo_errors: [...(current.photo_errors || []), { name: photo.name, message: err.message, code: err.code }] });
    }
    await step({ photos: rest });
  }
  return { ...(current.result || {}), case_id: current.case_id, code: current.code, photo_errors: current.photo_errors || [] };
}

/**
 * Send the queue in order with send(item, save) → result (an action: the updated case; save
 * writes an item's progress). onSent(item, result), onRefused(item, err) and onStep() are told
 * each outcome; the store is updated first.
 */
export async function drainQueue(store, user, send, { onSent = () => {}, onRefused = () => {}, onStep = () => {} } = {}) {
  for (;;) {
    let [item] = await store.list(user.username);
    if (!item) return;
    item = { ...item, status: 'sending', error: null };
    await store.put(item);
    onStep();
    const save = async (changes) => {
      item = { ...item, ...changes };
      await store.put(item);
      onStep();
    };
    try {
      const result = await send(item, save);
      await store.remove(item.id);
      // A finding made its case: nothing queued before it could know that case's version.
      if (item.kind !== 'finding') await followVersion(store, user, item);
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
