#!/bin/sh
# A stand-in GenRM for the driver's e2e tests, speaking the process-plugin JSON-lines protocol
# (docs/rewards.md): it "prefers" long answers — reward = response_tokens / 20 — and reports it
# as a GenRM verdict (details.genrm), so the length-bias monitor sees a biased judge.
while IFS= read -r line; do
  n=$(printf '%s' "$line" | sed -n 's/.*"response_tokens":\([0-9]*\).*/\1/p')
  awk -v n="${n:-0}" 'BEGIN { printf "{\"reward\":%.6f,\"details\":{\"genrm\":{\"mode\":\"fake\",\"score\":%d}}}\n", n / 20.0, n }'
done
