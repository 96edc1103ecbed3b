/**
 * @file error.h
 * @brief Status codes and the thread-local last-error message.
 *
 * Every fallible function returns SPM_OK (0) or one of the negative codes
 * below. The codes have fixed values and are never renumbered.
 */
#ifndef SPM_ERROR_H
#define SPM_ERROR_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief Status codes. Append-only; values never change. */
typedef enum spm_status {
	SPM_OK = 0,            /**< success */
	SPM_ERROR = -1,        /**< an error that fits no other code */
	SPM_EINVAL = -2,       /**< invalid argument or input (the message says which) */
	SPM_ENOMEM = -3,       /**< an allocation failed; nothing was changed */
	SPM_ENOTFOUND = -4,    /**< no such record, field, kind or consumer */
	SPM_EEXISTS = -5,      /**< the thing to create exists already */
	SPM_ESTORAGE = -6,     /**< the storage backend failed (I/O, corruption, SQL) */
	SPM_EBUSY = -7,        /**< the database or handle is busy (locked, or in a callback) */
	SPM_EPERM = -8,        /**< the acting user may not do this; any call acting as a user who does not exist, is inactive or has no role returns it */
	SPM_ECONFLICT = -9,    /**< a concurrent change won (compare-and-set lost) */
	SPM_EVERSION = -10,    /**< unknown struct version, or a database newer than the library */
	SPM_EOVERFLOW = -11,   /**< arithmetic overflow (money is never wrapped) */
	SPM_ERANGE = -12,      /**< a value (date, period, count) is out of its range */
	SPM_ECURRENCY = -13,   /**< currencies mixed without a rate */
	SPM_EUSER = -14,       /**< a user callback asked to stop (use it from callbacks) */
	SPM_ECORRUPT = -15,    /**< stored data does not pass validation */
	SPM_ELIMIT = -16,      /**< a configured limit refuses it (capacity, daily limit, cooldown, lock) */
	SPM_EGATE = -17,       /**< exit criteria of the stage being left are not met */
	SPM_EAPPROVAL = -18,   /**< the action needs an approval first; an approval request was created or is pending */
	SPM_ITEROVER = -31     /**< iteration is over (not an error) */
} spm_status;

/**
 * @brief The symbolic name of a status code.
 * @param code any int
 * @return static text such as "SPM_ENOTFOUND"; "SPM_UNKNOWN" for unknown codes;
 *         never NULL, never freed.
 */
SPM_API const char *spm_result_name(int code);

/**
 * @brief The message of the last error raised on the calling thread.
 * @return borrowed text, valid until the next libspm call on this thread;
 *         never NULL ("" when no error has been raised).
 */
SPM_API const char *spm_error_message(void);

/**
 * @brief The code of the last error raised on the calling thread.
 * @return the last negative code, or SPM_OK when none has been raised.
 */
SPM_API int spm_error_code(void);

/** @brief Forget the last error of the calling thread. */
SPM_API void spm_error_clear(void);

SPM_END_DECLS

#endif
