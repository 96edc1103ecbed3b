/* The fuzz targets' shared helpers (fuzz_common.h). */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long fuzz_live;

void *fuzz_malloc(size_t size, void *payload)
{
	void *p = malloc(size);

	(void)payload;
	if (p)
		fuzz_live++;
	return p;
}

void *fuzz_realloc(void *ptr, size_t size, void *payload)
{
	void *p = realloc(ptr, size);

	(void)payload;
	if (p && !ptr)
		fuzz_live++;
	return p;
}

void fuzz_free(void *ptr, void *payload)
{
	(void)payload;
	if (ptr)
		fuzz_live--;
	free(ptr);
}

void fuzz_must(int rc, const char *what)
{
	if (rc != SPM_OK) {
		fprintf(stderr, "fuzz: %s: %s: %s\n", what, spm_result_name(rc), spm_error_message());
		abort();
	}
}

static spm_time fixed_clock(void *payload)
{
	(void)payload;
	return 1772355600; /* 2026-03-01T09:00:00Z */
}

spm_db *fuzz_open_file_at(const char *path, spm_clock_cb clock)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;

	o.path = path;
	o.malloc_fn = fuzz_malloc;
	o.realloc_fn = fuzz_realloc;
	o.free_fn = fuzz_free;
	o.clock = clock;
	fuzz_must(spm_db_open(&db, &o), "open");
	return db;
}

spm_db *fuzz_open_file(const char *path)
{
	return fuzz_open_file_at(path, fixed_clock);
}

int fuzz_try_open_file(spm_db **out, const char *path)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	*out = NULL;
	o.path = path;
	o.malloc_fn = fuzz_malloc;
	o.realloc_fn = fuzz_realloc;
	o.free_fn = fuzz_free;
	o.clock = fixed_clock;
	return spm_db_open(out, &o);
}

int64_t fuzz_add(spm_db *db, const char *kind, const char *const *kv)
{
	spm_record *r = NULL;
	int64_t id;

	fuzz_must(spm_record_new(&r, db, kind), kind);
	for (; kv[0]; kv += 2)
		fuzz_must(spm_record_set_from_text(r, kv[0], kv[1]), kv[0]);
	fuzz_must(spm_record_save(db, r), kind);
	id = spm_record_id(r);
	spm_record_free(r);
	return id;
}

static int count_one(const spm_record *rec, void *payload)
{
	(void)rec;
	++*(int *)payload;
	return 0;
}

int fuzz_count(spm_db *db, const char *kind)
{
	spm_query *q = NULL;
	int n = 0;

	fuzz_must(spm_query_new(&q, db, kind), "query");
	fuzz_must(spm_query_foreach(q, count_one, &n), "count");
	spm_query_free(q);
	return n;
}

int fuzz_collect(const char *data, size_t len, void *payload)
{
	struct fuzz_text *t = payload;
	char *p = realloc(t->p, t->len + len + 1);

	if (p == NULL)
		abort();
	memcpy(p + t->len, data, len);
	t->len += len;
	p[t->len] = '\0';
	t->p = p;
	return 0;
}

static void remove_db(const char *path)
{
	char side[80];

	remove(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	remove(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	remove(side);
}

static void io_fail(const char *what, const char *path)
{
	perror(path);
	fprintf(stderr, "fuzz: %s %s\n", what, path);
	abort();
}

/* libFuzzer exits without calling fuzz_replay_done(): the copy goes then. */
static char leftover[64];

static void remove_leftover(void)
{
	if (leftover[0])
		remove_db(leftover);
}

/* fuzz_image_copy() with the files in dir. */
static const char *image_copy_in(struct fuzz_image *im, const char *dir, const char *name,
				 void (*build)(const char *path))
{
	FILE *f;

	if (im->bytes == NULL) {
		char built[64];
		long end = 0;

		snprintf(built, sizeof(built), "%s/fuzz_%s_%ld.db", dir, name, (long)getpid());
		snprintf(im->path, sizeof(im->path), "%s/fuzz_%s_%ld_in.db", dir, name,
			 (long)getpid());
		remove_db(built);
		build(built);
		f = fopen(built, "rb");
		if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) <= 0 ||
		    fseek(f, 0, SEEK_SET) != 0)
			io_fail("cannot read back", built);
		im->len = (size_t)end;
		im->bytes = malloc(im->len);
		if (im->bytes == NULL || fread(im->bytes, 1, im->len, f) != im->len)
			io_fail("cannot read back", built);
		fclose(f);
		remove_db(built);
		if (leftover[0] == '\0') {
			snprintf(leftover, sizeof(leftover), "%s", im->path);
			atexit(remove_leftover);
		}
	}
	remove_db(im->path);
	f = fopen(im->path, "wb");
	if (f == NULL || fwrite(im->bytes, 1, im->len, f) != im->len || fclose(f) != 0)
		io_fail("cannot write", im->path);
	return im->path;
}

const char *fuzz_image_copy(struct fuzz_image *im, const char *name,
			    void (*build)(const char *path))
{
	return image_copy_in(im, "/tmp", name, build);
}

const char *fuzz_image_copy_shm(struct fuzz_image *im, const char *name,
				void (*build)(const char *path))
{
	return image_copy_in(im, "/dev/shm", name, build);
}

void fuzz_image_free(struct fuzz_image *im)
{
	if (im->bytes)
		remove_db(im->path);
	free(im->bytes);
	im->bytes = NULL;
}

int fuzz_cells_read_by_type(const spm_result *res)
{
	size_t rows = spm_result_row_count(res), cols = spm_result_column_count(res);

	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < cols; c++) {
			spm_column_type t = spm_result_column_type(res, c);
			const char *s, *cur;
			int64_t v;
			int rc;

			if (t == SPM_COLUMN_TEXT)
				rc = spm_result_text(&s, res, r, c);
			else if (t == SPM_COLUMN_MONEY)
				rc = spm_result_money(&v, &cur, res, r, c);
			else
				rc = spm_result_int(&v, res, r, c);
			if (rc != SPM_OK && !(rc == SPM_ENOTFOUND && spm_result_is_null(res, r, c)))
				return 0;
		}
	}
	return 1;
}
