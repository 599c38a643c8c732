#include "cstr.h"

#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

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
