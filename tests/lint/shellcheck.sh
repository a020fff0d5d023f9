#!/usr/bin/env bash
# tests/lint/shellcheck.sh - static analysis of the shell scripts (`meson test --suite
# lint`): every file under .ci/, tools/ and tests/ whose first line names
# sh or bash, so a new script is checked without being listed. Any finding
# (all severities) fails.
# Usage: tests/lint/shellcheck.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: shellcheck.sh SOURCE_DIR}

if ! command -v shellcheck >/dev/null; then
	echo "shellcheck not installed (apt-get install shellcheck)" >&2
	exit 1
fi
cd "$src"
scripts=()
while IFS= read -r -d '' f; do
	if head -n 1 "$f" | grep -Eq '^#!.*[/ ](ba)?sh( |$)'; then
		scripts+=("$f")
	fi
done < <(find .ci tools tests -type f ! -path '*/corpus/*' -print0 | sort -z)
if [ ${#scripts[@]} -eq 0 ]; then
	echo "shellcheck: no shell script found" >&2
	exit 1
fi
shellcheck --external-sources "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts, no finding: ${scripts[*]}"
