// The printable case sheet's map and print button. The case comes as JSON in a script element
// that never runs; every value reaches the page as text (tooltips are DOM nodes), so a 图斑
// code from a province file cannot become markup.
/* global L */
import { h } from './dom.js';
import { t } from './messages.js';

const STATE_FILL = '#edc948';
const EXTENT_COLOUR = '#d7191c';

function draw(data) {
  // On screen the map takes the outline's place; on paper both print (case-sheet.css).
  document.getElementById('sheet-map').hidden = false;
  document.getElementById('sheet-outline').classList.add('screen-hidden');
  const map = L.map('sheet-map', { zoomControl: true });
  L.control.scale().addTo(map);
  const base = data.basemap;
  if (base && base.url) {
    L.tileLayer(base.url, {
      attribution: base.attribution || '', subdomains: base.subdomains || 'abc', maxZoom: base.max_zoom || 18,
    }).addTo(map);
  }
  const outline = L.geoJSON(data.geometry, {
    style: () => ({ color: '#333333', weight: 2, fillColor: STATE_FILL, fillOpacity: 0.5 }),
  }).bindTooltip(() => h('span', {}, t('case-sheet.polygon', { value: data.code ?? '' })), { sticky: true }).addTo(map);
  if (data.extent && data.extent.type) {
    L.geoJSON(data.extent, {
      style: () => ({ color: EXTENT_COLOUR, weight: 2, dashArray: '6 4', fillOpacity: 0.15 }),
    }).bindTooltip(() => h('span', {}, t('case-sheet.measuredIllegalExtent')), { sticky: true }).addTo(map);
  }
  map.fitBounds(outline.getBounds(), { padding: [20, 20], maxZoom: 18 });
}

document.getElementById('print-sheet')?.addEventListener('click', () => window.print());
draw(JSON.parse(document.getElementById('sheet-data').textContent));
