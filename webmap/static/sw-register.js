// Registers the service worker (sw.js) for the build this page came with (the tuban-build meta
// the server writes into index.html), once the page has settled, so installing it (which caches
// the app shell) never competes with the first view. A new build registers a new script URL,
// which makes the browser install the new worker.

export function registerServiceWorker(after) {
  const meta = document.querySelector('meta[name="tuban-build"]');
  if (!meta || !('serviceWorker' in navigator)) return;
  Promise.resolve(after).catch(() => null).then(() => navigator.serviceWorker.register(
    `sw.js?v=${encodeURIComponent(meta.content)}`, { scope: './' },
  )).catch(() => {
    /* no service worker (e.g. a browser without it): the app still works online */
  });
}
