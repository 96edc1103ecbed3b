/* The CSV reader options both importers use: a header row, the caller's
 * limits, and the handle's allocator (so fault injection and allocation
 * accounting see the reader's memory too). */
#include "io/csv.h"
#include "core/db_internal.h"

#include <string.h>

static void *db_malloc(size_t size, void *payload)
{
	return spm__malloc(payload, size);
}

static void *db_realloc(void *ptr, size_t size, void *payload)
{
	return spm__realloc(payload, ptr, size);
}

static void db_free(void *ptr, void *payload)
{
	spm__free(payload, ptr);
}

void spm__csv_import_options(spm__csv_options *o, struct spm_db *db, uint64_t max_rows,
			     uint64_t max_bytes)
{
	memset(o, 0, sizeof(*o));
	o->header = 1;
	/* the reader counts the header row too; 0 keeps its default */
	o->max_rows = max_rows && max_rows < UINT64_MAX ? max_rows + 1 : 0;
	o->max_total_bytes = max_bytes;
	o->malloc_fn = db_malloc;
	o->realloc_fn = db_realloc;
	o->free_fn = db_free;
	o->alloc_payload = db;
}
