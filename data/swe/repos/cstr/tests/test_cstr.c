/* Runs each test in a child process and prints "name: PASS|FAIL". */
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
    printf("%s: %s\n", kTests[i].name, ok ? "PASS" : "FAIL");
    failed += !ok;
  }
  return failed ? 1 : 0;
}
