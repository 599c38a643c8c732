#!/bin/sh
# Prints "name: PASS|FAIL" per test; exits 1 when any fails.
KV="$(pwd)/bin/kv"
failed=0
check() { # name expected actual
  if [ "$2" = "$3" ]; then echo "$1: PASS"; else echo "$1: FAIL"; failed=1; fi
}
T=$(mktemp -d)
cd "$T"

"$KV" set db a 1; check set_get "1" "$("$KV" get db a)"
"$KV" set db2 x 1; "$KV" set db2 y 2; "$KV" del db2 x
check del "y=2" "$(cat db2)"
"$KV" set db3 k v; "$KV" set db3 q w; check count "2" "$("$KV" count db3)"

exit $failed
