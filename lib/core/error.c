/* Status names and the thread-local last-error message. The message lives in
 * a fixed thread-local buffer so that raising an error never allocates (an
 * out-of-memory error must be reportable). */
#include "core/error_internal.h"
#include "spm/sys/storage.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char tls_message[512];
static _Thread_local int tls_code;

const char *spm_result_name(int code)
{
	switch (code) {
	case SPM_OK: return "SPM_OK";
	case SPM_ERROR: return "SPM_ERROR";
	case SPM_EINVAL: return "SPM_EINVAL";
	case SPM_ENOMEM: return "SPM_ENOMEM";
	case SPM_ENOTFOUND: return "SPM_ENOTFOUND";
	case SPM_EEXISTS: return "SPM_EEXISTS";
	case SPM_ESTORAGE: return "SPM_ESTORAGE";
	case SPM_EBUSY: return "SPM_EBUSY";
	case SPM_EPERM: return "SPM_EPERM";
	case SPM_ECONFLICT: return "SPM_ECONFLICT";
	case SPM_EVERSION: return "SPM_EVERSION";
	case SPM_EOVERFLOW: return "SPM_EOVERFLOW";
	case SPM_ERANGE: return "SPM_ERANGE";
	case SPM_ECURRENCY: return "SPM_ECURRENCY";
	case SPM_EUSER: return "SPM_EUSER";
	case SPM_ECORRUPT: return "SPM_ECORRUPT";
	case SPM_ELIMIT: return "SPM_ELIMIT";
	case SPM_EGATE: return "SPM_EGATE";
	case SPM_EAPPROVAL: return "SPM_EAPPROVAL";
	case SPM_ITEROVER: return "SPM_ITEROVER";
	default: return "SPM_UNKNOWN";
	}
}

const char *spm_error_message(void)
{
	return tls_message;
}

int spm_error_code(void)
{
	return tls_code;
}

void spm_error_clear(void)
{
	tls_message[0] = '\0';
	tls_code = SPM_OK;
}

int spm__error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tls_message, sizeof(tls_message), fmt, ap);
	va_end(ap);
	tls_code = code;
	return code;
}

int spm__error_oom(void)
{
	return spm__error_set(SPM_ENOMEM, "out of memory");
}

int spm__error_arg(const char *func, const char *name)
{
	return spm__error_set(SPM_EINVAL, "%s: %s must not be NULL", func, name);
}

int spm_storage_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tls_message, sizeof(tls_message), fmt, ap);
	va_end(ap);
	tls_code = code;
	return code;
}
