#!/usr/bin/env bash
# tests/lint/cppcheck.sh - static analysis of the C sources (`meson test --suite
# lint`): cppcheck with warning, style, performance and portability checks
# over master/ libmaster/ spawn/ services/ tools/; any finding fails.
# Suppressions, each with its reason: tests/lint/cppcheck.supp.
#   cppcheck.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?usage: cppcheck.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: cppcheck.sh SOURCE_DIR BUILD_DIR}

if ! command -v cppcheck >/dev/null; then
	echo "cppcheck not installed (apt-get install cppcheck)" >&2
	exit 1
fi
cd "$src"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# -D_GNU_SOURCE: the one configuration the project builds (meson.build);
# BUILD_DIR holds build_config.h. Paths are absolute so the suppressions'
# */master/... patterns match wherever the tree lives.
cppcheck --quiet --std=c11 --platform=unix64 --library=posix \
	--enable=warning,style,performance,portability \
	-D_GNU_SOURCE -I "$src/master" -I "$src/libmaster" -I "$build" \
	--suppressions-list="$src/tests/lint/cppcheck.supp" \
	--template='{file}:{line}: {severity}: {message} [{id}]' \
	--error-exitcode=1 \
	"$src/master" "$src/libmaster" "$src/spawn" "$src/services" "$src/tools" \
	2>"$out" || true
files=$(find "$src/master" "$src/libmaster" "$src/spawn" "$src/services" "$src/tools" \
	-name '*.c' | wc -l)
if [ -s "$out" ]; then
	cat "$out"
	echo "cppcheck: $(grep -c ': ' "$out") finding(s) in $files C files"
	exit 1
fi
echo "cppcheck: $files C files, no finding"
