#!/usr/bin/env bash
# Regenerates the generated part of docs/config.md from the schema (a test checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "$(build/bin/rl config doc)" <<'PY'
import sys
ref = sys.argv[1] + "\n"
path = "docs/config.md"
s = open(path).read()
b = "<!-- BEGIN GENERATED: rl config doc -->\n"
e = "<!-- END GENERATED -->"
i = s.index(b) + len(b)
j = s.index(e)
open(path, "w").write(s[:i] + ref + s[j:])
PY
