// What the field app keeps on the phone, in IndexedDB (database `tuban`, version 1), so it
// survives a reload, a closed browser and a dead battery:
//
//   outbox  keyPath id (auto):   {id, user, kind: 'action'|'photo', case_id, batch_id, code,
//                                 action, payload, expected_version            (kind action)
//                                 blob, name, type, size                       (kind photo)
//                                 queued_at, status: 'waiting'|'sending', error}
//           index user → the items of one account, sent only after that account signs in
//   packs   keyPath user:        the offline task pack of GET /api/offline/pack as it came,
//                                 plus {bytes, saved_at}
//
// Without IndexedDB (a private window of some browsers) the same calls work on memory, for as
// long as the page lives.

const DB = 'tuban';
const VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDb() {
  const open = indexedDB.open(DB, VERSION);
  open.onupgradeneeded = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('outbox')) {
      db.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true }).createIndex('user', 'user');
    }
    if (!db.objectStoreNames.contains('packs')) db.createObjectStore('packs', { keyPath: 'user' });
  };
  return promised(open);
}

/** The IndexedDB store: outbox and packs. */
function indexedStore() {
  let db = null;
  const tx = async (name, mode, fn) => {
    db = db || await openDb();
    const t = db.transaction(name, mode);
    const done = new Promise((resolve, reject) => {
      t.oncomplete = resolve;
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
    const result = await promised(fn(t.objectStore(name)));
    await done; // written to disk before the caller goes on
    return result;
  };
  return {
    kind: 'indexeddb',
    list: async (user) => (await tx('outbox', 'readonly', (s) => s.index('user').getAll(user)))
      .sort((a, b) => a.id - b.id),
    all: () => tx('outbox', 'readonly', (s) => s.getAll()),
    add: (item) => tx('outbox', 'readwrite', (s) => s.add(item)),
    put: (item) => tx('outbox', 'readwrite', (s) => s.put(item)),
    remove: (id) => tx('outbox', 'readwrite', (s) => s.delete(id)),
    getPack: (user) => tx('packs', 'readonly', (s) => s.get(user)),
    putPack: (pack) => tx('packs', 'readwrite', (s) => s.put(pack)),
    removePack: (user) => tx('packs', 'readwrite', (s) => s.delete(user)),
  };
}

/** The same calls on memory (also the unit tests' store). */
export function memoryStore() {
  const items = new Map();
  const packs = new Map();
  let next = 1;
  const copy = (x) => (x ? { ...x } : x);
  return {
    kind: 'memory',
    list: async (user) => [...items.values()].filter((x) => x.user === user).sort((a, b) => a.id - b.id).map(copy),
    all: async () => [...items.values()].map(copy),
    add: async (item) => {
      const id = next;
      next += 1;
      items.set(id, { ...item, id });
      return id;
    },
    put: async (item) => { items.set(item.id, { ...item }); return item.id; },
    remove: async (id) => { items.delete(id); },
    getPack: async (user) => packs.get(user),
    putPack: async (pack) => { packs.set(pack.user, pack); },
    removePack: async (user) => { packs.delete(user); },
  };
}

let store = null;

/** The device's store: IndexedDB when the browser has it, else memory. */
export function deviceStore() {
  if (!store) store = typeof indexedDB !== 'undefined' ? indexedStore() : memoryStore();
  return store;
}
