#ifndef SPM_CORE_UTF8_H
#define SPM_CORE_UTF8_H

#include <stddef.h>

/* 1 when s[0..len) is well-formed UTF-8 without NUL bytes: no overlong forms,
 * no surrogates, nothing above U+10FFFF. */
int spm__utf8_valid(const char *s, size_t len);

#endif
