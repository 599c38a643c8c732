#!/usr/bin/env python3
"""Writes the SWE dataset: repos/<name>/ (the buggy base trees), instances.jsonl, gold.jsonl.

Each repo ships with several independent bugs; each instance targets one bug. Its test patch
adds the tests that expose the bug (FAIL_TO_PASS); PASS_TO_PASS are the repo's existing tests.
Diffs are produced with `git diff --no-index`, so they apply with `git apply` and `patch -p1`.
Run from anywhere: python3 data/swe/make_dataset.py
"""
import json, os, shutil, subprocess, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# ----------------------------------------------------------------------------- textkit (Python)
TEXTKIT = {
"textkit/__init__.py": "from .core import *  # noqa: F401,F403\n",
"textkit/core.py": '''"""Small text and list helpers."""
import re

__all__ = ["slugify", "chunk", "parse_duration", "median", "title_case", "clamp", "flatten"]


def slugify(text):
    """Lower-case words joined by single dashes: 'Hello,  World!' -> 'hello-world'."""
    text = re.sub(r"[^a-z0-9]", "-", text.lower())
    return text.strip("-")


def chunk(items, size):
    """Splits items into lists of `size` (the last one may be shorter)."""
    if size <= 0:
        raise ValueError("size must be positive")
    return [items[i:i + size] for i in range(0, len(items) - size + 1, size)]


def parse_duration(text):
    """'1h30m15s' -> 5415 seconds. Units: h, m, s."""
    total = 0
    for number, unit in re.findall(r"(\\d+)([hms])", text):
        if unit == "h":
            total += int(number) * 3600
        elif unit == "m":
            total += int(number) * 60
    return total


def median(values):
    """The median of a non-empty list of numbers."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def title_case(text):
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split())


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def flatten(nested):
    out = []
    for item in nested:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out
''',
"run_tests.py": '''"""Runs tests/test_*.py with unittest and prints one 'name: PASS|FAIL|SKIP|ERROR' per test."""
import sys
import unittest

sys.path.insert(0, ".")


class Result(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.bad = 0

    def addSuccess(self, test):
        print(f"{test.id()}: PASS", flush=True)

    def addFailure(self, test, err):
        self.bad += 1
        print(f"{test.id()}: FAIL", flush=True)

    def addError(self, test, err):
        self.bad += 1
        print(f"{test.id()}: ERROR", flush=True)

    def addSkip(self, test, reason):
        print(f"{test.id()}: SKIP", flush=True)


suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
result = Result()
suite.run(result)
if result.errors and not result.testsRun:
    sys.exit(2)
sys.exit(1 if result.bad or result.errors else 0)
''',
"tests/__init__.py": "",
"tests/test_core.py": '''import unittest

from textkit import core


class CoreTests(unittest.TestCase):
    def test_title_case(self):
        self.assertEqual(core.title_case("hello wORLD"), "Hello World")

    def test_clamp(self):
        self.assertEqual(core.clamp(5, 0, 3), 3)
        self.assertEqual(core.clamp(-1, 0, 3), 0)

    def test_flatten(self):
        self.assertEqual(core.flatten([1, [2, [3]], 4]), [1, 2, 3, 4])

    def test_slugify_simple(self):
        self.assertEqual(core.slugify("Hello"), "hello")

    def test_chunk_exact(self):
        self.assertEqual(core.chunk([1, 2, 3, 4], 2), [[1, 2], [3, 4]])

    def test_median_odd(self):
        self.assertEqual(core.median([3, 1, 2]), 2)


if __name__ == "__main__":
    unittest.main()
''',
}
TK_P2P = ["tests.test_core.CoreTests." + t for t in
          ["test_title_case", "test_clamp", "test_flatten", "test_slugify_simple",
           "test_chunk_exact", "test_median_odd"]]
TK_ANCHOR = "\n\nif __name__"


def tk_test(body):
    return ("tests/test_core.py", TK_ANCHOR, "\n" + body.rstrip("\n") + "\n" + TK_ANCHOR)


TEXTKIT_INSTANCES = [
 dict(id="textkit-1", statement="slugify leaves runs of dashes: `slugify('Hello,  World!')` returns "
      "'hello---world' instead of 'hello-world'. Consecutive separators should collapse to one dash.",
      fix=("textkit/core.py", 'r"[^a-z0-9]", "-"', 'r"[^a-z0-9]+", "-"'),
      test=tk_test('''    def test_slugify_collapses(self):
        self.assertEqual(core.slugify("Hello,  World!"), "hello-world")
        self.assertEqual(core.slugify("a -- b"), "a-b")
'''), f2p=["test_slugify_collapses"]),
 dict(id="textkit-2", statement="chunk drops the last partial chunk: `chunk([1,2,3,4,5], 2)` returns "
      "[[1,2],[3,4]] but the docstring promises [[1,2],[3,4],[5]].",
      fix=("textkit/core.py", "range(0, len(items) - size + 1, size)", "range(0, len(items), size)"),
      test=tk_test('''    def test_chunk_partial(self):
        self.assertEqual(core.chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]])
        self.assertEqual(core.chunk([1], 3), [[1]])
'''), f2p=["test_chunk_partial"]),
 dict(id="textkit-3", statement="parse_duration ignores seconds: `parse_duration('1m30s')` returns 60, "
      "expected 90.",
      fix=("textkit/core.py", "            total += int(number) * 60\n",
           "            total += int(number) * 60\n        else:\n            total += int(number)\n"),
      test=tk_test('''    def test_duration_seconds(self):
        self.assertEqual(core.parse_duration("1m30s"), 90)
        self.assertEqual(core.parse_duration("1h30m15s"), 5415)
'''), f2p=["test_duration_seconds"]),
 dict(id="textkit-4", statement="median of an even number of values is wrong: `median([1, 2, 3, 4])` "
      "returns 3; it should be the mean of the two middle values, 2.5.",
      fix=("textkit/core.py", "    return ordered[len(ordered) // 2]\n",
           "    mid = len(ordered) // 2\n    if len(ordered) % 2 == 0:\n"
           "        return (ordered[mid - 1] + ordered[mid]) / 2\n    return ordered[mid]\n"),
      test=tk_test('''    def test_median_even(self):
        self.assertEqual(core.median([4, 1, 3, 2]), 2.5)
'''), f2p=["test_median_even"]),
]
for inst in TEXTKIT_INSTANCES:
    inst["f2p"] = ["tests.test_core.CoreTests." + t for t in inst["f2p"]]

# ----------------------------------------------------------------------------- cstr (C, Makefile)
CSTR = {
"Makefile": '''CC ?= gcc
CFLAGS ?= -O1 -Wall -std=c99
build/test_cstr: src/cstr.c src/cstr.h tests/test_cstr.c
\tmkdir -p build
\t$(CC) $(CFLAGS) -Isrc -o $@ src/cstr.c tests/test_cstr.c
test: build/test_cstr
\t./build/test_cstr
.PHONY: test
''',
"src/cstr.h": '''#ifndef CSTR_H
#define CSTR_H
#include <stddef.h>
/* Removes leading and trailing spaces, tabs and newlines in place; returns s. */
char *str_trim(char *s);
/* Decimal integer with an optional sign; stops at the first non-digit. */
long str_to_long(const char *s);
/* Number of occurrences of c in s. */
size_t str_count(const char *s, char c);
/* Reverses s in place; returns s. */
char *str_reverse(char *s);
/* Upper-cases ASCII letters in place; returns s. */
char *str_upper(char *s);
/* 1 when s starts with prefix. */
int str_starts_with(const char *s, const char *prefix);
#endif
''',
"src/cstr.c": '''#include "cstr.h"

#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\\t' || c == '\\n'; }

char *str_trim(char *s) {
  size_t start = 0;
  while (s[start] && is_space(s[start])) start++;
  memmove(s, s + start, strlen(s + start) + 1);
  return s;
}

long str_to_long(const char *s) {
  long v = 0;
  if (*s == '+' || *s == '-') s++;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return v;
}

size_t str_count(const char *s, char c) {
  size_t n = 0;
  for (size_t i = 1; s[0] && s[i]; i++) n += s[i] == c;
  return n;
}

char *str_reverse(char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; n > 0 && i <= n / 2; i++) {
    char t = s[i];
    s[i] = s[n - 1 - i];
    s[n - 1 - i] = t;
  }
  return s;
}

char *str_upper(char *s) {
  for (char *p = s; *p; p++)
    if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
  return s;
}

int str_starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}
''',
"tests/test_cstr.c": '''/* Runs each test in a child process and prints "name: PASS|FAIL". */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cstr.h"

#define CHECK(cond) do { if (!(cond)) return 1; } while (0)

static int test_upper(void) {
  char b[] = "abC1";
  CHECK(strcmp(str_upper(b), "ABC1") == 0);
  return 0;
}

static int test_starts_with(void) {
  CHECK(str_starts_with("hello", "he"));
  CHECK(!str_starts_with("hello", "lo"));
  return 0;
}

static int test_trim_leading(void) {
  char b[] = "  x";
  CHECK(strcmp(str_trim(b), "x") == 0);
  return 0;
}

static int test_to_long_positive(void) {
  CHECK(str_to_long("123") == 123);
  return 0;
}

static int test_reverse_odd(void) {
  char b[] = "abc";
  CHECK(strcmp(str_reverse(b), "cba") == 0);
  return 0;
}

struct test { const char *name; int (*fn)(void); };
static const struct test kTests[] = {
  {"upper", test_upper},
  {"starts_with", test_starts_with},
  {"trim_leading", test_trim_leading},
  {"to_long_positive", test_to_long_positive},
  {"reverse_odd", test_reverse_odd},
};

int main(void) {
  int failed = 0;
  for (size_t i = 0; i < sizeof kTests / sizeof kTests[0]; i++) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(kTests[i].fn());
    int st = 0;
    waitpid(pid, &st, 0);
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf("%s: %s\\n", kTests[i].name, ok ? "PASS" : "FAIL");
    failed += !ok;
  }
  return failed ? 1 : 0;
}
''',
}
CS_P2P = ["upper", "starts_with", "trim_leading", "to_long_positive", "reverse_odd"]


def cs_test(name, body):
    return [("tests/test_cstr.c", "struct test { const char", body + "\nstruct test { const char"),
            ("tests/test_cstr.c", "  {\"reverse_odd\", test_reverse_odd},\n",
             "  {\"reverse_odd\", test_reverse_odd},\n  {\"%s\", test_%s},\n" % (name, name))]


CSTR_INSTANCES = [
 dict(id="cstr-1", statement="str_trim only removes leading whitespace: str_trim(\"  x  \\n\") "
      "returns \"x  \\n\" but the header says trailing spaces, tabs and newlines go too.",
      fix=("src/cstr.c", "  memmove(s, s + start, strlen(s + start) + 1);\n",
           "  memmove(s, s + start, strlen(s + start) + 1);\n"
           "  size_t n = strlen(s);\n  while (n > 0 && is_space(s[n - 1])) s[--n] = '\\0';\n"),
      test=cs_test("trim_trailing", '''static int test_trim_trailing(void) {
  char b[] = "  x y \\t\\n";
  CHECK(strcmp(str_trim(b), "x y") == 0);
  return 0;
}
'''), f2p=["trim_trailing"]),
 dict(id="cstr-2", statement="str_to_long(\"-42\") returns 42: the minus sign is skipped but "
      "never applied.",
      fix=("src/cstr.c", "  long v = 0;\n  if (*s == '+' || *s == '-') s++;\n",
           "  long v = 0;\n  int neg = *s == '-';\n  if (*s == '+' || *s == '-') s++;\n"),
      fix2=("src/cstr.c", "v * 10 + (*s++ - '0');\n  return v;", "v * 10 + (*s++ - '0');\n  return neg ? -v : v;"),
      test=cs_test("to_long_negative", '''static int test_to_long_negative(void) {
  CHECK(str_to_long("-42") == -42);
  CHECK(str_to_long("+7") == 7);
  return 0;
}
'''), f2p=["to_long_negative"]),
 dict(id="cstr-3", statement="str_count misses the first character: str_count(\"aab\", 'a') is 1, "
      "expected 2.",
      fix=("src/cstr.c", "for (size_t i = 1; s[0] && s[i]; i++)", "for (size_t i = 0; s[i]; i++)"),
      test=cs_test("count_first", '''static int test_count_first(void) {
  CHECK(str_count("aab", 'a') == 2);
  CHECK(str_count("", 'a') == 0);
  return 0;
}
'''), f2p=["count_first"]),
 dict(id="cstr-4", statement="str_reverse does nothing on strings of even length: "
      "str_reverse(\"ab\") returns \"ab\".",
      fix=("src/cstr.c", "i <= n / 2; i++", "i < n / 2; i++"),
      test=cs_test("reverse_even", '''static int test_reverse_even(void) {
  char b[] = "abcd";
  CHECK(strcmp(str_reverse(b), "dcba") == 0);
  return 0;
}
'''), f2p=["reverse_even"]),
]

# ----------------------------------------------------------------------------- kv (POSIX shell)
KV = {
"bin/kv": '''#!/bin/sh
# kv: a key=value store in a text file.
#   kv set FILE KEY VALUE | kv get FILE KEY | kv del FILE KEY | kv list FILE | kv count FILE
set -eu
cmd=$1; file=$2
case $cmd in
  set)
    printf '%s=%s\\n' "$3" "$4" >> "$file" ;;
  get)
    grep "^$3" "$file" | head -n 1 | cut -d= -f2- ;;
  del)
    tmp=$(mktemp); grep -v "^$3=" "$file" > "$tmp" || true; mv "$tmp" "$file" ;;
  list)
    cut -d= -f1 "$file" ;;
  count)
    wc -l < "$file" | tr -d ' ' ;;
  *) echo "kv: unknown command $cmd" >&2; exit 2 ;;
esac
''',
"tests/run.sh": '''#!/bin/sh
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
''',
}
KV_P2P = ["set_get", "del", "count"]
KV_ANCHOR = "\nexit $failed\n"


def kv_test(body):
    return ("tests/run.sh", KV_ANCHOR, body + KV_ANCHOR)


KV_INSTANCES = [
 dict(id="kv-1", statement="`kv get db a` returns the value of key `ab` when `ab` was set first: "
      "keys are matched by prefix instead of exactly.",
      fix=("bin/kv", 'grep "^$3" "$file"', 'grep "^$3=" "$file"'),
      test=kv_test('"$KV" set db4 ab 1; "$KV" set db4 a 2; check get_exact "2" "$("$KV" get db4 a)"\n'),
      f2p=["get_exact"]),
 dict(id="kv-2", statement="`kv set` does not replace an existing key: after `kv set db a 1; kv set db a 2`, "
      "`kv get db a` still prints 1.",
      fix=("bin/kv", "    printf '%s=%s\\n' \"$3\" \"$4\" >> \"$file\" ;;",
           "    if [ -f \"$file\" ]; then tmp=$(mktemp); grep -v \"^$3=\" \"$file\" > \"$tmp\" || true; "
           "mv \"$tmp\" \"$file\"; fi\n    printf '%s=%s\\n' \"$3\" \"$4\" >> \"$file\" ;;"),
      test=kv_test('"$KV" set db5 a 1; "$KV" set db5 a 2; check set_replaces "2 1" "$("$KV" get db5 a) $("$KV" count db5)"\n'),
      f2p=["set_replaces"]),
 dict(id="kv-3", statement="`kv list` prints keys in insertion order; the documentation promises "
      "sorted keys.",
      fix=("bin/kv", '    cut -d= -f1 "$file" ;;', '    cut -d= -f1 "$file" | LC_ALL=C sort ;;'),
      test=kv_test('"$KV" set db6 b 1; "$KV" set db6 a 2; check list_sorted "a b" "$("$KV" list db6 | tr \'\\n\' \' \' | sed \'s/ $//\')"\n'),
      f2p=["list_sorted"]),
 dict(id="kv-4", statement="`kv count` on a store file that does not exist yet fails with an error "
      "instead of printing 0.",
      fix=("bin/kv", "    wc -l < \"$file\" | tr -d ' ' ;;",
           "    if [ -f \"$file\" ]; then wc -l < \"$file\" | tr -d ' '; else echo 0; fi ;;"),
      test=kv_test('check count_missing "0" "$("$KV" count nosuch 2>/dev/null)"\n'),
      f2p=["count_missing"]),
]

REPOS = [
  ("textkit", TEXTKIT, TEXTKIT_INSTANCES, TK_P2P, "python3 run_tests.py", ["run_tests.py"]),
  ("cstr", CSTR, CSTR_INSTANCES, CS_P2P, "make -s test", ["Makefile"]),
  ("kv", KV, KV_INSTANCES, KV_P2P, "sh tests/run.sh", []),
]


def write_tree(root, files):
    for rel, text in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        if text.startswith("#!"):
            os.chmod(p, 0o755)


def edit(files, edits):
    out = dict(files)
    for path, old, new in edits:
        assert out[path].count(old) == 1, (path, old)
        out[path] = out[path].replace(old, new)
    return out


def diff(files_a, files_b):
    with tempfile.TemporaryDirectory() as d:
        write_tree(os.path.join(d, "a"), files_a)
        write_tree(os.path.join(d, "b"), files_b)
        r = subprocess.run(["git", "diff", "--no-index", "--no-prefix", "a", "b"], cwd=d,
                           capture_output=True, text=True)
        text = r.stdout
    # git diff --no-index names paths a/x b/x already with --no-prefix and dirs a, b.
    return text


def main():
    repos_dir = os.path.join(HERE, "repos")
    shutil.rmtree(repos_dir, ignore_errors=True)
    instances, gold = [], []
    for name, files, insts, p2p, cmd, prot in REPOS:
        write_tree(os.path.join(repos_dir, name), files)
        for inst in insts:
            edits = inst["test"] if isinstance(inst["test"], list) else [inst["test"]]
            fixes = [inst["fix"]] + ([inst["fix2"]] if "fix2" in inst else [])
            instances.append({
                "instance_id": inst["id"], "repo": "repos/" + name, "base_commit": "",
                "problem_statement": inst["statement"],
                "test_patch": diff(files, edit(files, edits)),
                "FAIL_TO_PASS": inst["f2p"], "PASS_TO_PASS": p2p,
                "test_cmd": cmd, "log_parser": "plain", "protected_files": prot,
                "time_limit_s": 30, "memory_mb": 512})
            gold.append({"instance_id": inst["id"], "patch": diff(files, edit(files, fixes))})
    with open(os.path.join(HERE, "instances.jsonl"), "w") as f:
        for x in instances:
            f.write(json.dumps(x) + "\n")
    with open(os.path.join(HERE, "gold.jsonl"), "w") as f:
        for x in gold:
            f.write(json.dumps(x) + "\n")
    print(f"{len(instances)} instances over {len(REPOS)} repos")


if __name__ == "__main__":
    main()
