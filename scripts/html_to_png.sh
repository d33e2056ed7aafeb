#!/usr/bin/env bash
# Render an HTML file to PNG with headless Chromium, for a visual check of the bulletin/letters.
#
#   scripts/html_to_png.sh page.html [out.png] [WIDTHxHEIGHT]
#
# Default size is an A4 page at 150 dpi (1240x1754); use 390x844 for a phone.
# Every network feature is switched off: the page must be self-contained, and
# a throwaway profile keeps runs independent of each other.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 page.html [out.png] [WIDTHxHEIGHT]" >&2
  exit 2
fi
in=$1
out=${2:-${in%.*}.png}
size=${3:-1240x1754}
if [[ ! $size =~ ^[0-9]+x[0-9]+$ ]]; then
  echo "size must look like 1240x1754" >&2
  exit 2
fi

browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [[ -z $browser ]]; then
  echo "no chromium found: apt-get install -y chromium fonts-noto-cjk" >&2
  exit 1
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs_in=$(cd "$(dirname "$in")" && pwd)/$(basename "$in")
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$abs_out" --window-size="${size/x/,}" "file://$abs_in" 2>/dev/null
echo "$abs_out"
