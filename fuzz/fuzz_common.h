/* What the fuzz targets share: allocation hooks that count live blocks
 * (a leak is a failed input), and a write callback collecting text. */
#ifndef SPM_FUZZ_COMMON_H
#define SPM_FUZZ_COMMON_H

#include "spm/spm.h"

#include <stddef.h>
#include <stdint.h>

/* Blocks allocated through the hooks and not freed yet. */
extern long fuzz_live;

void *fuzz_malloc(size_t size, void *payload);
void *fuzz_realloc(void *ptr, size_t size, void *payload);
void fuzz_free(void *ptr, void *payload);

/* Text gathered by fuzz_collect (a spm_write_cb); free p with free(). */
struct fuzz_text {
	char *p;
	size_t len;
};

int fuzz_collect(const char *data, size_t len, void *payload);

/* Aborts with a message unless rc is SPM_OK (for setup steps). */
void fuzz_must(int rc, const char *what);
/* Opens (creating) the database file path with the counting allocator and
 * a clock fixed at 2026-03-01T09:00:00Z. */
spm_db *fuzz_open_file(const char *path);
/* The same with another clock. */
spm_db *fuzz_open_file_at(const char *path, spm_clock_cb clock);
/* As fuzz_open_file, but returns the status instead of aborting (a file
 * that may be damaged); *out is NULL on failure. */
int fuzz_try_open_file(spm_db **out, const char *path);
/* Adds a record from NULL-ended "field", "text value" pairs; its id. */
int64_t fuzz_add(spm_db *db, const char *kind, const char *const *kv);
/* The live records of kind that db's actor sees. */
int fuzz_count(spm_db *db, const char *kind);
#define FUZZ_ADD(db, kind, ...) fuzz_add(db, kind, (const char *const[]){ __VA_ARGS__, NULL })

/* 1 when every cell of res reads back by its column's type (an empty cell
 * as NULL), else 0. */
int fuzz_cells_read_by_type(const spm_result *res);

/* A database file built once by build(path) and copied afresh for every
 * input: a few times faster than building it each time. */
struct fuzz_image {
	char path[64];        /* the copy of the current input */
	unsigned char *bytes; /* the built file */
	size_t len;
};

/* Writes a fresh copy (building the image the first time, under a name
 * made from name and the process id) and returns its path. Aborts on I/O
 * errors. */
const char *fuzz_image_copy(struct fuzz_image *im, const char *name,
			    void (*build)(const char *path));
/* fuzz_image_copy() in /dev/shm: no waits for the disk, for targets that
 * commit many times per input. */
const char *fuzz_image_copy_shm(struct fuzz_image *im, const char *name,
				void (*build)(const char *path));
/* Removes the copy and frees the image. */
void fuzz_image_free(struct fuzz_image *im);

#endif
