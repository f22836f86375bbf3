// 位置与导航 in the case panel: how far and which way the 图斑 is from the verifier (live, from
// locate.js) and the 导航 links to the phone's map apps (navigate.js; coordinates converted per
// app). Works offline: the centre comes with the case, the position from the phone.
// Test hooks: data-testid="case-where", "case-distance" (data-metres, data-bearing),
// "case-locate" (the button when the position is off), "nav-link" (data-app, data-crs, data-lon,
// data-lat).

import { fill, h } from './dom.js';
import { compassWord, distanceWords } from './geo-math.js';
import { navTargets } from './navigate.js';
import { relation } from './nearby.js';
import { t } from './messages.js';

/** createWhere(locator) → section(c): the panel's section for case ``c``, kept up to date. */
export function createWhere(locator) {
  let current = null; // {c, line}

  function update() {
    // A panel that was re-rendered or closed has dropped its line: nothing to update.
    if (current && current.line.isConnected) render(current);
  }

  function render({ c, line }) {
    const position = locator.position;
    const r = relation(position, c.centre);
    delete line.dataset.metres;
    delete line.dataset.bearing;
    if (r) {
      line.dataset.metres = String(Math.round(r.distance));
      line.dataset.bearing = String(Math.round(r.bearing));
      const rough = position.accuracy > r.distance;
      fill(line,
        h('strong', {}, t('case-where.fromYou', { distance: distanceWords(r.distance) })),
        r.distance >= 1 ? t('case-where.direction', { direction: compassWord(r.bearing), degrees: Math.round(r.bearing) }) : '',
        rough ? h('span', { class: 'muted' }, t('case-where.rough', { accuracy: Math.round(position.accuracy) })) : null);
    } else if (locator.state === 'searching') {
      fill(line, h('span', { class: 'muted' }, t('case-where.locating')));
    } else {
      const button = h('button', { type: 'button', 'data-testid': 'case-locate' }, t('case-where.showMe'));
      button.addEventListener('click', () => locator.start({ pan: false }));
      fill(line, locator.state === 'error' ? h('span', { class: 'muted' }, t('case-where.cannotLocate')) : null, button);
    }
  }

  locator.subscribe(update);

  return function section(c) {
    const targets = navTargets(c.centre, c.code);
    if (!targets.length) return null;
    const line = h('p', { class: 'where-line', 'data-testid': 'case-distance', 'aria-live': 'polite' });
    current = { c, line };
    render(current);
    return h('section', { class: 'panel-section where', 'aria-labelledby': 'sec-where', 'data-testid': 'case-where' },
      h('h3', { id: 'sec-where' }, t('case-where.title')),
      line,
      h('div', { class: 'nav-links', role: 'group', 'aria-label': t('case-where.navigateTo') },
        h('span', { class: 'nav-title' }, t('case-where.navigate')),
        targets.map((x) => h('a', {
          href: x.href, class: 'nav-link', 'data-testid': 'nav-link', 'data-app': x.app, 'data-crs': x.crs,
          'data-lon': String(x.lon), 'data-lat': String(x.lat), rel: 'noopener noreferrer',
        }, x.label))),
      h('p', { class: 'muted nav-note' },
        t('case-where.navNote')));
  };
}
