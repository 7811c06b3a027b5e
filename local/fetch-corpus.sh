#!/usr/bin/env bash
# Fetches real-world test mail that Debian packages ship, for the corpus test: `apt-get download`
# each package and extract only its messages into .cache/corpus/<package>/ (ignored by git).
# Nothing of these projects is committed. A package already extracted is not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=.cache/corpus

# package -> paths inside the package (tar wildcards)
declare -A sources=(
  [libmime-explode-perl]='./usr/share/doc/libmime-explode-perl/examples/testmsgs/*.msg ./usr/share/doc/libmime-explode-perl/examples/testmsgs/*.mbx'
  [mailman3]='./usr/lib/python3/dist-packages/mailman/*/tests/data/*.eml ./usr/lib/python3/dist-packages/mailman/chains/tests/*.eml'
  [python3-django-hyperkitty]='./usr/lib/python3/dist-packages/hyperkitty/tests/testdata/*.txt'
  [golang-github-gatherstars-com-jwz-dev]='./usr/share/gocode/src/github.com/gatherstars-com/jwz/test/testdata/ham/*.eml'
  [spamassassin]='./usr/share/doc/spamassassin/examples/sample-*.txt'
)

updated=no
for package in "${!sources[@]}"; do
  target="$cache/$package"
  [ -f "$target/.version" ] && continue
  if [ "$updated" = no ] && ! apt-cache show "$package" >/dev/null 2>&1; then
    echo "corpus: apt-get update (package lists are missing)"
    apt-get update -qq
    updated=yes
  fi
  work=$(mktemp -d)
  (cd "$work" && apt-get download -qq "$package" 2>/dev/null)
  deb=$(ls "$work"/*.deb)
  rm -rf "$target" && mkdir -p "$target"
  # shellcheck disable=SC2086 # the globs are for tar
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$target" --wildcards ${sources[$package]}
  dpkg-deb -f "$deb" Version > "$target/.version"
  rm -rf "$work"
  echo "corpus: $package $(cat "$target/.version"): $(find "$target" -type f ! -name .version | wc -l) files"
done
