// 导航: links that hand a 图斑's centre to the phone's map apps (DOM-free; the panel draws them).
// They are plain hrefs: tapping one opens the app, the page itself requests nothing.
//
// Which app gets which coordinates (geo-math.js converts):
//   系统地图  geo: URI (RFC 5870)        WGS84, as the data are (CGCS2000 ≈ WGS84)
//   高德地图  amapuri://route/plan       GCJ-02, dev=0 (“already GCJ-02, do not offset again”)
//   百度地图  baidumap://map/direction   BD-09, coord_type=bd09ll
//   腾讯地图  qqmap://map/routeplan      GCJ-02 (tocoord is always GCJ-02)
// amapuri:// works on Android and iOS alike (the older androidamap:// and iosamap:// need the
// platform chosen); no web fallback (uri.amap.com) is offered: it needs the internet.

import { wgs84ToBd09, wgs84ToGcj02 } from './geo-math.js';
import { t } from './messages.js';

const SOURCE = 'tuban';
const round6 = (v) => Math.round(v * 1e6) / 1e6;

/**
 * The nav targets for a 图斑 centre [lon, lat] (CGCS2000) named ``name``:
 * [{app, label, crs, lon, lat, href}] in the order shown, or [] without a usable centre.
 */
export function navTargets(centre, name = '') {
  if (!Array.isArray(centre) || centre.length !== 2 || !centre.every(Number.isFinite)) return [];
  const [lon, lat] = centre;
  if (Math.abs(lon) > 180 || Math.abs(lat) > 90) return [];
  const label = String(name || t('navigate.polygon')).slice(0, 60);
  const q = encodeURIComponent(label);
  const [gLon, gLat] = wgs84ToGcj02(centre).map(round6);
  const [bLon, bLat] = wgs84ToBd09(centre).map(round6);
  const [wLon, wLat] = [round6(lon), round6(lat)];
  return [
    {
      app: 'amap', label: t('navigate.amap'), crs: 'GCJ-02', lon: gLon, lat: gLat,
      href: `amapuri://route/plan/?sourceApplication=${SOURCE}&dlat=${gLat}&dlon=${gLon}&dname=${q}&dev=0&t=0`,
    },
    {
      app: 'baidu', label: t('navigate.baidu'), crs: 'BD-09', lon: bLon, lat: bLat,
      href: `baidumap://map/direction?destination=${encodeURIComponent(`latlng:${bLat},${bLon}|name:${label}`)}`
        + `&coord_type=bd09ll&mode=driving&src=${SOURCE}`,
    },
    {
      app: 'qq', label: t('navigate.qq'), crs: 'GCJ-02', lon: gLon, lat: gLat,
      href: `qqmap://map/routeplan?type=drive&to=${q}&tocoord=${gLat},${gLon}&referer=${SOURCE}`,
    },
    {
      app: 'geo', label: t('navigate.other'), crs: 'WGS84', lon: wLon, lat: wLat,
      href: `geo:${wLat},${wLon}?q=${wLat},${wLon}(${q})`,
    },
  ];
}
