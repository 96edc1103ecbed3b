/* What the fuzz targets share: allocation hooks that count live blocks
 * (a leak is a failed input), and a write callback collecting text. */
#ifndef SPM_FUZZ_COMMON_H
#define SPM_FUZZ_COMMON_H

#include <stddef.h>

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
/* Removes the copy and frees the image. */
void fuzz_image_free(struct fuzz_image *im);

#endif
