#!/usr/bin/env bash
# Render .xlsx files to PNG (one image per printed page) to eyeball generated templates.
#
#   scripts/xlsx_to_png.sh [-o OUTDIR] [-r DPI] FILE.xlsx...
#
# LibreOffice (headless) prints every visible sheet to PDF using the sheet's own page
# setup, then pdftoppm rasterises the pages. Needs soffice, pdftoppm, a CJK font and
# Carlito (Calibri's metrics: column widths are counted in the default font's digits,
# so without it every column comes out about a third wider than in Excel):
#   apt-get install -y libreoffice-calc-nogui poppler-utils fonts-noto-cjk fonts-crosextra-carlito
# The PNGs are for looking at, not for committing.
set -euo pipefail

out="${TMPDIR:-/tmp}/xlsx_png"
dpi=80
while getopts "o:r:h" opt; do
  case "$opt" in
    o) out="$OPTARG" ;;
    r) dpi="$OPTARG" ;;
    h) sed -n '2,13p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "$#" -ge 1 ] || { echo "usage: $0 [-o OUTDIR] [-r DPI] FILE.xlsx..." >&2; exit 2; }
for tool in soffice pdftoppm; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see the header of $0)" >&2; exit 3; }
done

mkdir -p "$out"
# a private profile: a desktop LibreOffice that is already running cannot block us
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

for xlsx in "$@"; do
  [ -f "$xlsx" ] || { echo "not a file: $xlsx" >&2; exit 3; }
  stem="$(basename "${xlsx%.*}")"
  soffice -env:UserInstallation="file://$profile" --headless --calc \
    --convert-to pdf --outdir "$out" "$xlsx" >/dev/null 2>&1
  pdf="$out/$stem.pdf"
  [ -f "$pdf" ] || { echo "LibreOffice did not convert $xlsx" >&2; exit 3; }
  pdftoppm -r "$dpi" -png "$pdf" "$out/$stem"
  rm -f "$pdf"
done
echo "PNGs in $out:"
ls -1 "$out"/*.png
