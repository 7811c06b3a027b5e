#!/usr/bin/env bash
# Fetches real-world test mail that Debian packages ship, for the corpus test: `apt-get download`
# each package and extract only its messages into .cache/corpus/<package>/ (ignored by git).
# Nothing of these projects is committed. A package already extracted is not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."
# CORPUS_CACHE: another folder (tests of this script use an empty one).
cache=${CORPUS_CACHE:-.cache/corpus}

# package -> paths inside the package (tar wildcards)
declare -A sources=(
  [libmime-explode-perl]='./usr/share/doc/libmime-explode-perl/examples/testmsgs/*.msg ./usr/share/doc/libmime-explode-perl/examples/testmsgs/*.mbx'
  [mailman3]='./usr/lib/python3/dist-packages/mailman/*/tests/data/*.eml ./usr/lib/python3/dist-packages/mailman/chains/tests/*.eml'
  [python3-django-hyperkitty]='./usr/lib/python3/dist-packages/hyperkitty/tests/testdata/*.txt'
  [golang-github-gatherstars-com-jwz-dev]='./usr/share/gocode/src/github.com/gatherstars-com/jwz/test/testdata/ham/*.eml'
  [spamassassin]='./usr/share/doc/spamassassin/examples/sample-*.txt'
)

missing=()
for package in "${!sources[@]}"; do
  [ -f "$cache/$package/.version" ] || missing+=("$package")
done
[ ${#missing[@]} = 0 ] && exit 0

# Outside CI the corpus is optional: a developer on macOS, or without root for apt-get update, or
# offline, gets one line saying how to run it and the rest of npm test; the corpus test then skips.
# CI (CI=true, Debian) must always run it, so there every obstacle fails the step.
how="run npm run corpus:fetch && npm run test:corpus on Debian or Ubuntu (apt-get update needs root)"
cannot() {
  if [ "${CI:-}" = true ]; then
    echo "corpus: $1; CI runs the corpus test, so this fails" >&2
    exit 1
  fi
  echo "corpus: skipped ($1); $how"
  exit 0
}
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
  cannot "apt-get and dpkg-deb are needed to fetch Debian packages"
as_root=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null && [ "${CI:-}" = true ] && as_root="sudo"
fi

updated=no
for package in "${missing[@]}"; do
  target="$cache/$package"
  if [ "$updated" = no ] && ! apt-cache show "$package" >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || [ -n "$as_root" ] ||
      cannot "package lists are missing and apt-get update needs root"
    echo "corpus: apt-get update (package lists are missing)"
    $as_root apt-get update -qq || cannot "apt-get update failed"
    updated=yes
  fi
  work=$(mktemp -d)
  (cd "$work" && apt-get download -qq "$package" 2>/dev/null) ||
    { rm -rf "$work"; cannot "apt-get download $package failed (no network or no such package)"; }
  deb=$(ls "$work"/*.deb)
  rm -rf "$target" && mkdir -p "$target"
  # shellcheck disable=SC2086 # the globs are for tar
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$target" --wildcards ${sources[$package]}
  dpkg-deb -f "$deb" Version > "$target/.version"
  rm -rf "$work"
  echo "corpus: $package $(cat "$target/.version"): $(find "$target" -type f ! -name .version | wc -l) files"
done
