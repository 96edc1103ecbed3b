/**
 * @file common.h
 * @brief Export macro, version numbers and the handle types every header shares.
 */
#ifndef SPM_COMMON_H
#define SPM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(SPM_BUILDING_LIBRARY)
#define SPM_API __declspec(dllexport)
#elif defined(_WIN32)
#define SPM_API __declspec(dllimport)
#elif defined(__GNUC__) && defined(SPM_BUILDING_LIBRARY)
#define SPM_API __attribute__((visibility("default")))
#else
#define SPM_API
#endif

#ifdef __cplusplus
#define SPM_BEGIN_DECLS extern "C" {
#define SPM_END_DECLS }
#else
#define SPM_BEGIN_DECLS
#define SPM_END_DECLS
#endif

/** @brief Major version of the headers in use. */
#define SPM_VERSION_MAJOR 0
/** @brief Minor version of the headers in use. */
#define SPM_VERSION_MINOR 1
/** @brief Patch version of the headers in use. */
#define SPM_VERSION_PATCH 0
/** @brief The header version as one number: major * 10000 + minor * 100 + patch. */
#define SPM_VERSION_NUMBER \
	(SPM_VERSION_MAJOR * 10000 + SPM_VERSION_MINOR * 100 + SPM_VERSION_PATCH)
/** @brief The header version as text. */
#define SPM_VERSION_STRING "0.1.0"

SPM_BEGIN_DECLS

/** @brief An open dataset; everything else hangs off it (see db.h). */
typedef struct spm_db spm_db;

/** @brief A typed row of one entity kind (see record.h). */
typedef struct spm_record spm_record;

/** @brief An instant: seconds since 1970-01-01T00:00:00Z. */
typedef int64_t spm_time;

/**
 * @brief Version of the library actually linked.
 * @param[out] major may be NULL
 * @param[out] minor may be NULL
 * @param[out] patch may be NULL
 * @return SPM_VERSION_NUMBER of the library that was built.
 */
SPM_API int spm_version(int *major, int *minor, int *patch);

/**
 * @brief Version of the library actually linked, as text.
 * @return static text such as "0.1.0"; never NULL, never freed.
 */
SPM_API const char *spm_version_string(void);

SPM_END_DECLS

#endif
