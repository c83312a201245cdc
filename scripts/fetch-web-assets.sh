#!/usr/bin/env bash
# Local copies of the scripts the exported slides and the course site need, so that they render
# offline: reveal.js 4, require.js, jQuery and MathJax 2 (the versions nbconvert's templates are
# written for), MathJax 3 (what Sphinx, the course book's engine, is configured for) and axe-core
# (the accessibility checker the browser tests run on every page). Fetched once from the npm
# registry; later runs find DEST complete (this list's stamp) and do nothing.
# Usage: scripts/fetch-web-assets.sh DEST
set -euo pipefail
dest=${1:?usage: $0 DEST}
stamp=.complete-2  # a new stamp for each new list, so that an older copy is completed
[ -f "$dest/$stamp" ] && exit 0

if ! command -v npm >/dev/null; then
    "$(dirname "$0")/apt-install.sh" npm || {
        echo "error: npm is needed once to fetch reveal.js and MathJax; install Node.js and rerun" >&2
        exit 1
    }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent reveal.js@4.6.1 jquery@3.7.1 requirejs@2.3.7 mathjax@2.7.9 mathjax@3.2.2 \
    axe-core@4.14.1 >/dev/null)
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
unpack mathjax-3.2.2  # the combined TeX + CommonHTML component, its fonts and TeX extensions
mj3="$tmp/mathjax-3.2.2/package/es5"
mkdir -p "$out/mathjax3/output/chtml/fonts" "$out/mathjax3/input/tex"
cp "$mj3/tex-chtml.js" "$out/mathjax3/"
cp -r "$mj3/output/chtml/fonts/woff-v2" "$out/mathjax3/output/chtml/fonts/"
cp -r "$mj3/input/tex/extensions" "$out/mathjax3/input/tex/"
unpack axe-core-4.14.1 && cp "$tmp/axe-core-4.14.1/package/axe.min.js" "$out/"
touch "$out/.complete" "$out/$stamp"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$out" "$dest"
echo "web assets in $dest ($(du -sh "$dest" | cut -f1))"
