#!/usr/bin/env bash
# Render an adsim HTML report to a PNG with headless Chromium (Debian's `chromium` package),
# to look at it the way a reader would. Not part of CI.
#   tools/render_report.sh out/w/report.html [out/w/report.png] [width]
set -euo pipefail
html="$(realpath "$1")"
png="${2:-${html%.html}.png}"
width="${3:-1200}"
# A tall window: the whole report in one image (Chromium screenshots the viewport only).
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size="${width},6400" --screenshot="$png" "file://$html" 2>/dev/null
echo "$png"
