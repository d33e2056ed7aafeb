#!/usr/bin/env bash
# Render .docx files to PNG (one image per page) to eyeball generated bulletins and letters.
#
#   scripts/docx_to_png.sh [-o OUTDIR] [-r DPI] FILE.docx...
#
# LibreOffice (headless) converts each document to PDF, then pdftoppm rasterises the pages
# (OUTDIR/<stem>-<page>.png); the page count of each file is printed. Needs soffice, pdftoppm
# and a CJK font (without one every Chinese character shows as a box):
#   apt-get install -y libreoffice-writer-nogui poppler-utils fonts-noto-cjk
# The GB/T 9704 fonts (仿宋_GB2312, 方正小标宋简体 …) are usually absent on Linux; LibreOffice
# substitutes Noto CJK, so line breaks differ slightly from Word's. PNGs are not for committing.
set -euo pipefail

out="${TMPDIR:-/tmp}/docx_png"
dpi=70
while getopts "o:r:h" opt; do
  case "$opt" in
    o) out="$OPTARG" ;;
    r) dpi="$OPTARG" ;;
    h) sed -n '2,11p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "$#" -ge 1 ] || { echo "usage: $0 [-o OUTDIR] [-r DPI] FILE.docx..." >&2; exit 2; }
for tool in soffice pdftoppm; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see the header of $0)" >&2; exit 3; }
done

mkdir -p "$out"
# a private profile: a desktop LibreOffice that is already running cannot block us
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

for docx in "$@"; do
  [ -f "$docx" ] || { echo "not a file: $docx" >&2; exit 3; }
  stem="$(basename "${docx%.*}")"
  soffice -env:UserInstallation="file://$profile" --headless --writer \
    --convert-to pdf --outdir "$out" "$docx" >/dev/null 2>&1
  pdf="$out/$stem.pdf"
  [ -f "$pdf" ] || { echo "LibreOffice did not convert $docx" >&2; exit 3; }
  pages="$(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')"
  echo "$docx: ${pages:-?} pages"
  pdftoppm -r "$dpi" -png "$pdf" "$out/$stem"
  rm -f "$pdf"
done
echo "PNGs in $out:"
ls -1 "$out"/*.png
