#!/bin/sh
# Copy the pinned Leaflet build (and the leaflet-geoman-free drawing tool, Swagger UI and the
# protomaps-leaflet vector-tile renderer) from node_modules into static/vendor/.
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

# Swagger UI for the API's /docs page (Apache-2.0); its start-up script is our own docs-init.js,
# so the page runs no inline script under the CSP.
ssrc=node_modules/swagger-ui-dist
sdst=static/vendor/swagger-ui
if [ ! -f "$ssrc/swagger-ui-bundle.js" ]; then
  echo "vendor.sh: $ssrc missing; run 'npm ci' in webmap/ first" >&2
  exit 1
fi
rm -rf "$sdst"
mkdir -p "$sdst"
# No source maps beside the copies: drop the comments that would ask for them.
sed '/^\/\/# sourceMappingURL=/d' "$ssrc/swagger-ui-bundle.js" > "$sdst/swagger-ui-bundle.js"
sed 's#/\*\# sourceMappingURL=[^*]*\*/##' "$ssrc/swagger-ui.css" > "$sdst/swagger-ui.css"
cp "$ssrc/favicon-32x32.png" "$ssrc/LICENSE" "$ssrc/NOTICE" "$sdst/"
sversion=$(node -p "require('./$ssrc/package.json').version" 2>/dev/null || echo unknown)
echo "$sversion" > "$sdst/VERSION"
echo "vendored swagger-ui-dist $sversion into $sdst"

# The vector-tile renderer for dense batches (protomaps-leaflet, BSD-3-Clause): a Leaflet layer
# drawing the server's /api/tiles MVT on canvas, with feature picking for clicks.
psrc=node_modules/protomaps-leaflet
pdst=static/vendor/protomaps-leaflet
if [ ! -f "$psrc/dist/protomaps-leaflet.js" ]; then
  echo "vendor.sh: $psrc missing; run 'npm ci' in webmap/ first" >&2
  exit 1
fi
rm -rf "$pdst"
mkdir -p "$pdst"
sed '/^\/\/# sourceMappingURL=/d' "$psrc/dist/protomaps-leaflet.js" > "$pdst/protomaps-leaflet.js"
cp "$psrc/LICENSE" "$pdst/"
pversion=$(node -p "require('./$psrc/package.json').version" 2>/dev/null || echo unknown)
echo "$pversion" > "$pdst/VERSION"
echo "vendored protomaps-leaflet $pversion into $pdst"
