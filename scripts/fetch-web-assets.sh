#!/usr/bin/env bash
# Local copies of the scripts the exported slides and the course site need, so that they render
# offline: reveal.js 4, require.js, jQuery and MathJax 2 (the versions nbconvert's templates are
# written for). Fetched once from the npm registry; later runs find DEST complete and do nothing.
# Usage: scripts/fetch-web-assets.sh DEST
set -euo pipefail
dest=${1:?usage: $0 DEST}
[ -f "$dest/.complete" ] && exit 0

if ! command -v npm >/dev/null; then
    "$(dirname "$0")/apt-install.sh" npm || {
        echo "error: npm is needed once to fetch reveal.js and MathJax; install Node.js and rerun" >&2
        exit 1
    }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent reveal.js@4.6.1 jquery@3.7.1 requirejs@2.3.7 mathjax@2.7.9 >/dev/null)
out="$tmp/out"
mkdir -p "$out/reveal.js" "$out/mathjax/fonts/HTML-CSS/TeX" "$out/mathjax/jax/output" "$out/mathjax/config"
unpack() { mkdir -p "$tmp/$1" && tar -xzf "$tmp/$1.tgz" -C "$tmp/$1"; }
unpack reveal.js-4.6.1 && cp -r "$tmp/reveal.js-4.6.1/package/dist" "$tmp/reveal.js-4.6.1/package/plugin" "$out/reveal.js/"
unpack jquery-3.7.1 && cp "$tmp/jquery-3.7.1/package/dist/jquery.min.js" "$out/"
unpack requirejs-2.3.7 && cp "$tmp/requirejs-2.3.7/package/require.js" "$out/"
unpack mathjax-2.7.9
mj="$tmp/mathjax-2.7.9/package"
cp "$mj/MathJax.js" "$out/mathjax/"
cp "$mj/config/TeX-AMS_CHTML-full.js" "$mj/config/Safe.js" "$out/mathjax/config/"
cp -r "$mj/extensions" "$mj/localization" "$out/mathjax/"
cp -r "$mj/jax/input" "$mj/jax/element" "$out/mathjax/jax/"
cp -r "$mj/jax/output/CommonHTML" "$out/mathjax/jax/output/"
cp -r "$mj/fonts/HTML-CSS/TeX/woff" "$out/mathjax/fonts/HTML-CSS/TeX/"
touch "$out/.complete"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$out" "$dest"
echo "web assets in $dest ($(du -sh "$dest" | cut -f1))"
