/* Raising errors from inside the library. */
#ifndef SPM_CORE_ERROR_INTERNAL_H
#define SPM_CORE_ERROR_INTERNAL_H

#include "spm/error.h"

#if defined(__GNUC__)
#define SPM__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SPM__PRINTF(a, b)
#endif

/* Sets the thread-local message and code; returns code so that callers can
 * write `return spm__error_set(SPM_EINVAL, "...")`. */
int spm__error_set(int code, const char *fmt, ...) SPM__PRINTF(2, 3);
int spm__error_oom(void);
/* "func: name must not be NULL" as SPM_EINVAL. */
int spm__error_arg(const char *func, const char *name);

#define SPM__CHECK_ARG(p) \
	do { if ((p) == NULL) return spm__error_arg(__func__, #p); } while (0)

#endif
