#ifndef CSTR_H
#define CSTR_H
#include <stddef.h>
/* Removes leading and trailing spaces, tabs and newlines in place; returns s. */
char* str_trim(char* s);
/* Decimal integer with an optional sign; stops at the first non-digit. */
long str_to_long(const char* s);
/* Number of occurrences of c in s. */
size_t str_count(const char* s, char c);
/* Reverses s in place; returns s. */
char* str_reverse(char* s);
/* Upper-cases ASCII letters in place; returns s. */
char* str_upper(char* s);
/* 1 when s starts with prefix. */
int str_starts_with(const char* s, const char* prefix);
#endif
