#!/usr/bin/env bash
# Render an adsim HTML report to a PNG with headless Chromium (Debian's `chromium` package),
# to look at it the way a reader would. Not part of CI.
#   tools/render_report.sh out/w/report.html [out/w/report.png] [width] [height]
set -euo pipefail
html="$(realpath "$1")"
png="${2:-${html%.html}.png}"
width="${3:-1200}"
height="${4:-9000}"
# A tall window: the whole report in one image (Chromium screenshots the viewport only).
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size="${width},${height}" --screenshot="$png" "file://$html" 2>/dev/null
echo "$png"
