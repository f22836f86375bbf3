#!/bin/sh
# Copy the pinned Leaflet build (and the leaflet-geoman-free drawing tool) from node_modules into static/vendor/leaflet/.
# The copied files are committed, so node_modules is never needed at runtime
# (government networks are offline; nothing may load from a CDN).
#
# Usage (from webmap/):  npm ci && npm run vendor
set -eu
cd "$(dirname "$0")"
src=node_modules/leaflet
dst=static/vendor/leaflet
if [ ! -f "$src/dist/leaflet.js" ]; then
  echo "vendor.sh: $src missing; run 'npm ci' in webmap/ first" >&2
  exit 1
fi
rm -rf "$dst"
mkdir -p "$dst/images"
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$dst/"
cp "$src/dist/images/"*.png "$dst/images/"
cp "$src/LICENSE" "$dst/LICENSE"
version=$(node -p "require('./$src/package.json').version" 2>/dev/null || echo unknown)
echo "$version" > "$dst/VERSION"
echo "vendored leaflet $version into $dst"

# The drawing/editing tool for the measured illegal extent (MIT).
gsrc=node_modules/@geoman-io/leaflet-geoman-free
gdst=static/vendor/leaflet-geoman
if [ ! -f "$gsrc/dist/leaflet-geoman.min.js" ]; then
  echo "vendor.sh: $gsrc missing; run 'npm ci' in webmap/ first" >&2
  exit 1
fi
rm -rf "$gdst"
mkdir -p "$gdst"
cp "$gsrc/dist/leaflet-geoman.min.js" "$gsrc/dist/leaflet-geoman.css" "$gsrc/LICENSE" "$gdst/"
gversion=$(node -p "require('./$gsrc/package.json').version" 2>/dev/null || echo unknown)
echo "$gversion" > "$gdst/VERSION"
echo "vendored leaflet-geoman-free $gversion into $gdst"
