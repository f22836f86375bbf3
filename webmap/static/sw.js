// The service worker: after one visit the app opens with no network.
//
// - Installing caches the app shell of one build: the page and every file asset-manifest.json
//   lists (content-hashed names a/<version>/…, api/assets.py), in `tuban-shell-<version>`.
//   The page registers `sw.js?v=<version>`, so a new build installs a new worker; activating
//   it deletes the older shells.
// - The page (a navigation) comes from the network when there is one (a new build shows at
//   once), else from the shell. a/<version>/… come from the cache, else from the network and
//   are kept (the drawing plugin, loaded on first draw or with the offline task pack).
// - /api/* is never cached here. The one exception is what the app puts in `tuban-chips`
//   deliberately (before/after image chips of the offline task pack), answered only when the
//   network fails.

const SHELL = 'tuban-shell-';
const CHIPS = 'tuban-chips';
const scope = new URL(self.registration.scope);
const ROOT = scope.pathname; // "/" or the sub-path a proxy mounts the app under
let installed = null; // the build this worker cached (unknown after a restart: nothing deleted)

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const res = await fetch(new URL('asset-manifest.json', scope), { cache: 'no-cache' });
    const { version, precache } = await res.json();
    const cache = await caches.open(SHELL + version);
    installed = version;
    await cache.addAll([ROOT, ...precache.map((p) => new URL(p, scope).pathname)]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    if (installed) {
      const current = SHELL + installed;
      for (const name of await caches.keys()) {
        if (name.startsWith(SHELL) && name !== current) await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

async function fromShell(request) {
  for (const name of (await caches.keys()).filter((n) => n.startsWith(SHELL)).reverse()) {
    const hit = await (await caches.open(name)).match(request, { ignoreSearch: true });
    if (hit) return hit;
  }
  return null;
}

async function page(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const hit = await fromShell(ROOT);
    if (hit) return hit;
    throw err;
  }
}

async function hashed(request, version) {
  const hit = await fromShell(request);
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok) {
    const copy = res.clone();
    caches.open(SHELL + version).then((c) => c.put(request, copy));
  }
  return res;
}

async function chip(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const hit = await (await caches.open(CHIPS)).match(request, { ignoreSearch: true });
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== scope.origin || !url.pathname.startsWith(ROOT)) return;
  const path = url.pathname.slice(ROOT.length);
  if (request.mode === 'navigate' && (path === '' || path === 'index.html')) {
    event.respondWith(page(request));
    return;
  }
  const m = /^a\/([0-9a-f]+)\//.exec(path);
  if (m) {
    event.respondWith(hashed(request, m[1]));
    return;
  }
  if (path.startsWith('api/chips/')) event.respondWith(chip(request));
  // Everything else (the API above all) goes to the network untouched.
});
