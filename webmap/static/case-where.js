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
        h('strong', {}, `距您 ${distanceWords(r.distance)}`),
        r.distance >= 1 ? `，在您的${compassWord(r.bearing)}方（${Math.round(r.bearing)}°）` : '',
        rough ? h('span', { class: 'muted' }, `（定位精度 ±${Math.round(position.accuracy)} 米，您可能已在图斑内）`) : null);
    } else if (locator.state === 'searching') {
      fill(line, h('span', { class: 'muted' }, '正在定位…'));
    } else {
      const button = h('button', { type: 'button', 'data-testid': 'case-locate' }, '显示我的位置和距离');
      button.addEventListener('click', () => locator.start({ pan: false }));
      fill(line, locator.state === 'error' ? h('span', { class: 'muted' }, '无法定位。') : null, button);
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
      h('h3', { id: 'sec-where' }, '位置与导航'),
      line,
      h('div', { class: 'nav-links', role: 'group', 'aria-label': '导航到图斑' },
        h('span', { class: 'nav-title' }, '导航：'),
        targets.map((t) => h('a', {
          href: t.href, class: 'nav-link', 'data-testid': 'nav-link', 'data-app': t.app, 'data-crs': t.crs,
          'data-lon': String(t.lon), 'data-lat': String(t.lat), rel: 'noopener noreferrer',
        }, t.label))),
      h('p', { class: 'muted nav-note' },
        '打开手机上已安装的地图应用导航到图斑中心；坐标已按各应用的坐标系换算（高德、腾讯为 GCJ-02，百度为 BD-09）。'));
  };
}
