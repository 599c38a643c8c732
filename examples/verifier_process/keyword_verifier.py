#!/usr/bin/env python3
"""Example external-process verifier speaking JSON lines (see docs/rewards.md).

Each request is one line on stdin:
  {"id": 7, "task": {"id", "kind", "prompt", "answer", "metadata"}, "response": "...",
   "response_tokens": -1, "budget_tokens": -1}
and the reply is one line on stdout:
  {"id": 7, "reward": 0.5, "correct": null, "details": {...}}   or   {"id": 7, "error": "..."}

Verifier "keywords": the task's metadata lists required keywords; the reward is the
fraction present in the response (case-insensitive); correct = all present. Keep the
process alive: the framework sends many requests to one process.

Use in a run's YAML:
  rewards:
    verifiers: {essay: keywords}
    plugins: [{name: keywords, type: process,
               command: [python3, examples/verifier_process/keyword_verifier.py]}]
"""
import json
import sys


def verify(request):
    task = request["task"]
    keywords = task.get("metadata", {}).get("keywords")
    if not isinstance(keywords, list) or not keywords:
        raise ValueError("metadata.keywords must be a non-empty list")
    text = request["response"].lower()
    found = [k for k in keywords if str(k).lower() in text]
    reward = len(found) / len(keywords)
    return {"reward": reward, "correct": len(found) == len(keywords),
            "details": {"found": found, "missing": [k for k in keywords if k not in found]}}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            reply = verify(request)
        except Exception as exc:  # a bad request must not kill the process
            reply = {"error": str(exc)}
        reply["id"] = request_id
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
