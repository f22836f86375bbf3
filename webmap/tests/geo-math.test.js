// geo-math.js: distances and bearings against pyproj's Geod (fixtures/geodesic.json, held to
// pyproj by tests/test_geodesic_fixture.py), and the map apps' coordinate systems against the
// published reference values of the GCJ-02/BD-09 transforms.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  bd09ToGcj02, compassWord, distanceWords, gcj02ToBd09, gcj02ToWgs84, inverse, outOfChina,
  wgs84ToBd09, wgs84ToGcj02,
} from '../static/geo-math.js';

const PAIRS = JSON.parse(readFileSync(new URL('./fixtures/geodesic.json', import.meta.url), 'utf8'));
const close = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (±${tol})`);

test('distance and bearing agree with pyproj Geod to a millimetre and a micro-degree', () => {
  assert.ok(PAIRS.length >= 8);
  for (const p of PAIRS) {
    const got = inverse(p.from, p.to);
    close(got.distance, p.metres, 1e-3, `${p.from}→${p.to} metres`);
    const d = Math.abs(got.bearing - p.bearing) % 360;
    close(Math.min(d, 360 - d), 0, 1e-6, `${p.from}→${p.to} bearing`);
    assert.ok(got.bearing >= 0 && got.bearing < 360);
  }
});

test('the same point is no distance away', () => {
  assert.deepEqual(inverse([118.1, 39.83], [118.1, 39.83]), { distance: 0, bearing: 0 });
});

test('compass words cover the circle', () => {
  assert.deepEqual([0, 22, 23, 45, 90, 135, 180, 225, 270, 315, 337, 338, 359.9, -90].map(compassWord),
    ['北', '北', '东北', '东北', '东', '东南', '南', '西南', '西', '西北', '西北', '北', '北', '西']);
});

test('distances read as metres below a kilometre and kilometres above', () => {
  assert.equal(distanceWords(0), '0 米');
  assert.equal(distanceWords(849.6), '850 米');
  assert.equal(distanceWords(1234), '1.2 公里');
  assert.equal(distanceWords(25300), '25 公里');
  assert.equal(distanceWords(Number.NaN), '—');
});

// Reference values published with the common implementations (coordtransform, eviltransform).
test('WGS84 → GCJ-02 → BD-09 give the published values at 天安门', () => {
  const [gLon, gLat] = wgs84ToGcj02([116.404, 39.915]);
  close(gLon, 116.41024449916938, 1e-9, 'gcj lon');
  close(gLat, 39.91640428150164, 1e-9, 'gcj lat');
  const [bLon, bLat] = gcj02ToBd09([116.404, 39.915]);
  close(bLon, 116.41036949371029, 1e-9, 'bd lon');
  close(bLat, 39.92133699351021, 1e-9, 'bd lat');
  const [wbLon, wbLat] = wgs84ToBd09([116.404, 39.915]);
  close(wbLon, 116.41662724378733, 1e-9, 'wgs→bd lon');
  close(wbLat, 39.922699552216216, 1e-9, 'wgs→bd lat');
});

test('the offsets are hundreds of metres in 丰润区 and undone by the inverses', () => {
  const here = [118.1, 39.83];
  const gcj = wgs84ToGcj02(here);
  const shift = inverse(here, gcj).distance;
  assert.ok(shift > 100 && shift < 800, `GCJ-02 shift ${shift} m`);
  const back = gcj02ToWgs84(gcj);
  assert.ok(inverse(here, back).distance < 0.01, 'GCJ-02 inverse within a centimetre');
  const bd = gcj02ToBd09(gcj);
  const again = bd09ToGcj02(bd);
  assert.ok(inverse(gcj, again).distance < 1, 'BD-09 inverse within a metre');
});

test('outside China no offset is applied', () => {
  assert.equal(outOfChina(-74.006, 40.7128), true);
  assert.deepEqual(wgs84ToGcj02([-74.006, 40.7128]), [-74.006, 40.7128]);
  assert.equal(outOfChina(118.1, 39.83), false);
});
