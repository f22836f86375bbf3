// Where the verifier stands relative to a 图斑 (DOM-free, unit-tested in webmap/tests/):
// geodesic distance and initial bearing on the ellipsoid, and the coordinate systems the
// phone's map apps expect. Tuban's data are CGCS2000, which differs from WGS84 by centimetres,
// so a 图斑 centre is used as WGS84 as it is. 高德 and 腾讯 take GCJ-02 (the state-mandated
// offset, 100–700 m in 丰润区); 百度 takes BD-09, a further offset on top of GCJ-02. Sending
// WGS84 to them would put the pin on the wrong field.

import { t } from './messages.js';

// GRS80/CGCS2000 (WGS84's flattening differs in the 11th digit: irrelevant here).
const A = 6378137;
const F = 1 / 298.257222101;
const B = A * (1 - F);

const rad = (d) => (d * Math.PI) / 180;
const deg = (r) => (r * 180) / Math.PI;

/**
 * Vincenty's inverse on the ellipsoid: metres and the initial bearing (degrees clockwise from
 * north, 0 ≤ b < 360) from [lon1, lat1] to [lon2, lat2]. Agrees with pyproj's Geod to
 * millimetres at field distances; nearly antipodal points (no convergence) fall back to the
 * sphere, which no 图斑 in a county will ever need.
 */
export function inverse(from, to) {
  const [lon1, lat1] = from;
  const [lon2, lat2] = to;
  const L = rad(lon2 - lon1);
  const U1 = Math.atan((1 - F) * Math.tan(rad(lat1)));
  const U2 = Math.atan((1 - F) * Math.tan(rad(lat2)));
  const sinU1 = Math.sin(U1);
  const cosU1 = Math.cos(U1);
  const sinU2 = Math.sin(U2);
  const cosU2 = Math.cos(U2);
  let lambda = L;
  let sinSigma = 0;
  let cosSigma = 1;
  let sigma = 0;
  let cosSqAlpha = 1;
  let cos2SigmaM = 0;
  let sinLambda = 0;
  let cosLambda = 1;
  let converged = false;
  for (let i = 0; i < 200; i += 1) {
    sinLambda = Math.sin(lambda);
    cosLambda = Math.cos(lambda);
    sinSigma = Math.hypot(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
    if (sinSigma === 0) return { distance: 0, bearing: 0 }; // the same point
    cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinLambda) / sinSigma;
    cosSqAlpha = 1 - sinAlpha * sinAlpha;
    cos2SigmaM = cosSqAlpha ? cosSigma - (2 * sinU1 * sinU2) / cosSqAlpha : 0; // on the equator
    const C = (F / 16) * cosSqAlpha * (4 + F * (4 - 3 * cosSqAlpha));
    const prev = lambda;
    lambda = L + (1 - C) * F * sinAlpha
      * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
    if (Math.abs(lambda - prev) < 1e-12) {
      converged = true;
      break;
    }
  }
  if (!converged) return sphere(from, to);
  const uSq = (cosSqAlpha * (A * A - B * B)) / (B * B);
  const bigA = 1 + (uSq / 16384) * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
  const bigB = (uSq / 1024) * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
  const deltaSigma = bigB * sinSigma * (cos2SigmaM + (bigB / 4) * (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)
    - (bigB / 6) * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
  const distance = B * bigA * (sigma - deltaSigma);
  const alpha = Math.atan2(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
  return { distance, bearing: (deg(alpha) + 360) % 360 };
}

function sphere([lon1, lat1], [lon2, lat2]) {
  const p1 = rad(lat1);
  const p2 = rad(lat2);
  const dl = rad(lon2 - lon1);
  const h = Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  const distance = 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  return { distance, bearing: (deg(Math.atan2(y, x)) + 360) % 360 };
}


/** The eight-point compass word for a bearing in degrees (北 covers 337.5°–22.5°). */
export function compassWord(bearing) {
  const b = ((Number(bearing) % 360) + 360) % 360;
  return t(`geo-math.compass${Math.round(b / 45) % 8}`);
}

/** Metres in words: 850 米 below a kilometre, else 1.2 公里 (12 公里 from 10 km on). */
export function distanceWords(metres) {
  if (!Number.isFinite(metres) || metres < 0) return '—';
  if (metres < 1000) return t('geo-math.metres', { n: Math.round(metres) });
  const km = metres / 1000;
  return t('geo-math.km', { n: km < 10 ? km.toFixed(1) : Math.round(km) });
}

// GCJ-02: the published form of the offset (Krasovsky ellipsoid constants), as every Chinese
// map SDK implements it.
const KA = 6378245.0;
const KEE = 0.006693421622965943;

/** Outside mainland China the apps take WGS84 as it is (no offset is applied there). */
export function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function offsetLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function offsetLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** WGS84 (≈ CGCS2000) [lon, lat] → GCJ-02 [lon, lat] (高德, 腾讯). */
export function wgs84ToGcj02([lon, lat]) {
  if (outOfChina(lon, lat)) return [lon, lat];
  let dLat = offsetLat(lon - 105, lat - 35);
  let dLon = offsetLon(lon - 105, lat - 35);
  const radLat = rad(lat);
  let magic = Math.sin(radLat);
  magic = 1 - KEE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180) / (((KA * (1 - KEE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180) / ((KA / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/** GCJ-02 → WGS84 by iteration (the offset has no closed inverse); within 1e-9° of exact. */
export function gcj02ToWgs84([lon, lat]) {
  if (outOfChina(lon, lat)) return [lon, lat];
  let guess = [lon, lat];
  for (let i = 0; i < 30; i += 1) {
    const [gx, gy] = wgs84ToGcj02(guess);
    const dx = gx - lon;
    const dy = gy - lat;
    guess = [guess[0] - dx, guess[1] - dy];
    if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) break;
  }
  return guess;
}

const X_PI = (Math.PI * 3000.0) / 180.0;

/** GCJ-02 → BD-09 [lon, lat] (百度). */
export function gcj02ToBd09([lon, lat]) {
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
}

/** BD-09 → GCJ-02 [lon, lat]. */
export function bd09ToGcj02([lon, lat]) {
  const x = lon - 0.0065;
  const y = lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
  return [z * Math.cos(theta), z * Math.sin(theta)];
}

/** WGS84 (≈ CGCS2000) → BD-09 [lon, lat] (百度). */
export function wgs84ToBd09(point) {
  if (outOfChina(point[0], point[1])) return point;
  return gcj02ToBd09(wgs84ToGcj02(point));
}
