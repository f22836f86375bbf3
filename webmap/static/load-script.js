// Classic vendored scripts (leaflet-geoman, protomaps-leaflet) loaded when first needed rather
// than with the page: a <script> element from our own origin, which CSP script-src 'self'
// allows. Each URL loads once; a failure may be retried.

import { h } from './dom.js';
import { t } from './messages.js';

const loading = new Map();

/** Load the script at url (and the stylesheet at css, if any) once; resolves when it has run. */
export function loadScript(url, { css = null } = {}) {
  if (!loading.has(url)) {
    loading.set(url, new Promise((resolve, reject) => {
      if (css) document.head.append(h('link', { rel: 'stylesheet', href: css }));
      const script = h('script', { src: url });
      script.addEventListener('load', () => resolve());
      script.addEventListener('error', () => {
        loading.delete(url);
        script.remove();
        reject(new Error(t('load-script.failed')));
      });
      document.head.append(script);
    }));
  }
  return loading.get(url);
}
