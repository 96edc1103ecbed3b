/* A storage wrapper for fault injection (TESTING.md §A), shared by the fault
 * tests: storage calls fail as fault_plan says. The plan is global so that
 * it survives a handle that failed to open; a test program includes this
 * once and opens its handles with storage_wrap = fault_wrap. */
#ifndef SPM_TESTS_FAULTY_STORE_H
#define SPM_TESTS_FAULTY_STORE_H

#include <spm/spm.h>
#include <spm/sys/storage.h>
#include <stdlib.h>

struct fault_plan {
	long calls;           /* storage calls counted while fail_at is set */
	long fail_at;         /* the call that fails (0: none) */
	int persistent;       /* and every call after it */
	int ambiguous_commit; /* the next commit happens but reports a failure */
	int spare_schema;     /* schema_version and upgrade neither fail nor count */
};

static struct fault_plan fault_plan;

struct faulty_store {
	const spm_storage_ops *inner;
	void *self;
};

static int fault_trip(void)
{
	if (fault_plan.fail_at == 0)
		return 0;
	fault_plan.calls++;
	return fault_plan.calls == fault_plan.fail_at ||
	       (fault_plan.persistent && fault_plan.calls > fault_plan.fail_at);
}

#define FAULT() do { if (fault_trip()) return spm_storage_error(SPM_ESTORAGE, "injected fault"); } while (0)
#define SCHEMA_FAULT() do { if (!fault_plan.spare_schema) FAULT(); } while (0)

static int s_schema_version(void *s, int *o) { struct faulty_store *f = s; SCHEMA_FAULT(); return f->inner->schema_version(f->self, o); }
static int s_upgrade(void *s, int a, int b) { struct faulty_store *f = s; SCHEMA_FAULT(); return f->inner->upgrade(f->self, a, b); }
static int s_begin(void *s, unsigned fl) { struct faulty_store *f = s; FAULT(); return f->inner->begin(f->self, fl); }
static int s_rollback(void *s) { struct faulty_store *f = s; return f->inner->rollback(f->self); }
static int s_get(void *s, spm_record **o, const spm_kind *k, int64_t id) { struct faulty_store *f = s; FAULT(); return f->inner->get(f->self, o, k, id); }
static int s_put(void *s, const spm_record *r) { struct faulty_store *f = s; FAULT(); return f->inner->put(f->self, r); }
static int s_remove(void *s, const spm_kind *k, int64_t id, int64_t q) { struct faulty_store *f = s; FAULT(); return f->inner->remove(f->self, k, id, q); }
static int s_scan(void *s, const spm_kind *k, const spm_scan *sc, spm_scan_cb cb, void *p) { struct faulty_store *f = s; FAULT(); return f->inner->scan(f->self, k, sc, cb, p); }
static int s_next_id(void *s, int64_t *o, const char *c) { struct faulty_store *f = s; FAULT(); return f->inner->next_id(f->self, o, c); }
static void s_free(void *s) { struct faulty_store *f = s; f->inner->free(f->self); free(f); }
static int s_count(void *s, int64_t *o, const spm_kind *k, const spm_scan *sc) { struct faulty_store *f = s; FAULT(); return f->inner->count(f->self, o, k, sc); }
static int s_insert(void *s, const spm_record *r) { struct faulty_store *f = s; FAULT(); return f->inner->insert(f->self, r); }
static int s_update(void *s, const spm_record *r, const unsigned char *c, size_t n) { struct faulty_store *f = s; FAULT(); return f->inner->update(f->self, r, c, n); }

/* A failed commit is rolled back inside; an ambiguous one commits and still
 * reports the failure (a connection lost while committing). */
static int s_commit(void *s)
{
	struct faulty_store *f = s;

	if (fault_plan.ambiguous_commit) {
		fault_plan.ambiguous_commit = 0;
		f->inner->commit(f->self);
		return spm_storage_error(SPM_ESTORAGE, "connection lost during commit");
	}
	if (fault_trip()) {
		f->inner->rollback(f->self);
		return spm_storage_error(SPM_ESTORAGE, "injected commit fault");
	}
	return f->inner->commit(f->self);
}

static const spm_storage_ops faulty_ops = {
	SPM_STORAGE_OPS_VERSION, s_schema_version, s_upgrade, s_begin, s_commit, s_rollback,
	s_get, s_put, s_remove, s_scan, s_next_id, s_free, s_count, s_insert, s_update,
};

static int fault_wrap(const spm_storage_ops **ops, void **self, spm_db *db, void *payload)
{
	struct faulty_store *f = calloc(1, sizeof(*f));

	(void)db;
	(void)payload;
	if (f == NULL)
		return SPM_ENOMEM;
	f->inner = *ops;
	f->self = *self;
	*ops = &faulty_ops;
	*self = f;
	return SPM_OK;
}

#endif
