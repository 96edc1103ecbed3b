/* The handle: lifecycle, options by version, status codes, NULL arguments. */
#include "helpers.h"

Test(db, opens_memory_by_default_and_closes)
{
	spm_db *db = NULL;
	int v = 0;

	cr_assert_eq(spm_db_open(&db, NULL), SPM_OK);
	cr_assert_not_null(db);
	cr_assert_eq(spm_db_schema_version(&v, db), SPM_OK);
	cr_assert_eq(v, spm_schema_version_supported());
	cr_assert_eq(v, 7);
	spm_db_close(db);
	spm_db_close(NULL);
}

Test(db, version_numbers_match_headers)
{
	int major = -1, minor = -1, patch = -1;

	cr_assert_eq(spm_version(&major, &minor, &patch), SPM_VERSION_NUMBER);
	cr_assert_eq(major, SPM_VERSION_MAJOR);
	cr_assert_eq(minor, SPM_VERSION_MINOR);
	cr_assert_eq(patch, SPM_VERSION_PATCH);
	cr_assert_str_eq(spm_version_string(), SPM_VERSION_STRING);
	cr_assert_eq(spm_version(NULL, NULL, NULL), 100);
}

Test(db, options_of_version_1_are_accepted)
{
	/* A caller built against version 1 has a shorter struct: only its
	 * fields may be read. Put it at the end of a page-sized buffer filled
	 * with junk so reading past it would show. */
	unsigned char buf[512];
	spm_db_options *o;
	size_t v1 = offsetof(spm_db_options, malloc_fn);
	spm_db *db = NULL;

	memset(buf, 0xAB, sizeof(buf));
	o = (spm_db_options *)(void *)(buf);
	cr_assert_eq(spm_db_options_init(o, 1), SPM_OK);
	cr_assert_eq(o->version, 1);
	cr_assert_eq(buf[v1], 0xAB, "init wrote past the version 1 struct");
	o->clock = test_clock;
	cr_assert_eq(spm_db_open(&db, o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_db_now(db), T0);
	spm_db_close(db);
}

Test(db, future_options_version_is_refused)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db = (spm_db *)&o;

	o.version = SPM_DB_OPTIONS_VERSION + 1;
	cr_assert_eq(spm_db_open(&db, &o), SPM_EVERSION);
	cr_assert_null(db);
	cr_assert(strstr(spm_error_message(), "version 3") != NULL, "%s", spm_error_message());
	o.version = 0;
	cr_assert_eq(spm_db_open(&db, &o), SPM_EVERSION);
	cr_assert_eq(spm_db_options_init(&o, 0), SPM_EVERSION);
	cr_assert_eq(spm_db_options_init(&o, 3), SPM_EVERSION);
	cr_assert_eq(spm_db_options_init(NULL, 2), SPM_EINVAL);
}

Test(db, bad_options_are_refused)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db;

	o.backend = "oracle";
	cr_assert_eq(spm_db_open(&db, &o), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "unknown backend 'oracle' (built in: sqlite)");
	o.backend = NULL;
	o.flags = 0x80;
	cr_assert_eq(spm_db_open(&db, &o), SPM_EINVAL);
	o.flags = SPM_OPEN_CREATE;
	o.busy_timeout_ms = -1;
	cr_assert_eq(spm_db_open(&db, &o), SPM_EINVAL);
	o.busy_timeout_ms = 10;
	o.malloc_fn = ca_malloc;  /* only one of three hooks */
	cr_assert_eq(spm_db_open(&db, &o), SPM_EINVAL);
	cr_assert_null(db);
}

Test(db, missing_file_without_create_is_an_error)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	char path[256];
	spm_db *db;

	temp_db_path(path, sizeof(path));
	o.path = path;
	o.flags = 0;
	cr_assert_eq(spm_db_open(&db, &o), SPM_ESTORAGE);
	cr_assert_null(db);
	cr_assert_eq(access(path, F_OK), -1);
}

Test(db, null_arguments_give_einval_with_a_message)
{
	spm_db *db = open_db(":memory:");
	spm_record *rec = NULL;
	spm_query *q = NULL;
	int64_t n;

	spm_error_clear();
	cr_assert_eq(spm_db_open(NULL, NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "spm__db_open_at_version: out must not be NULL");
	cr_assert_eq(spm_error_code(), SPM_EINVAL);
	cr_assert_eq(spm_record_new(&rec, NULL, "customer"), SPM_EINVAL);
	cr_assert_eq(spm_record_new(&rec, db, NULL), SPM_EINVAL);
	cr_assert_eq(spm_record_new(NULL, db, "customer"), SPM_EINVAL);
	cr_assert_eq(spm_record_get(&rec, db, NULL, 1), SPM_EINVAL);
	cr_assert_eq(spm_record_save(db, NULL), SPM_EINVAL);
	cr_assert_eq(spm_record_save(NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_record_delete(db, NULL, 1), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(NULL, "name", "x"), SPM_EINVAL);
	cr_assert_eq(spm_field_add(db, NULL, "x", SPM_FIELD_TEXT, NULL), SPM_EINVAL);
	cr_assert_eq(spm_field_add(db, "customer", NULL, SPM_FIELD_TEXT, NULL), SPM_EINVAL);
	cr_assert_eq(spm_field_drop(NULL, "customer", "x"), SPM_EINVAL);
	cr_assert_eq(spm_field_foreach(db, NULL, NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_query_new(&q, db, NULL), SPM_EINVAL);
	cr_assert_eq(spm_query_foreach(NULL, count_record_cb, NULL), SPM_EINVAL);
	cr_assert_eq(spm_outbox_foreach(db, 0, 0, NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_outbox_last(NULL, db), SPM_EINVAL);
	cr_assert_eq(spm_consumer_ack(db, NULL, 0), SPM_EINVAL);
	cr_assert_eq(spm_consumer_position(&n, NULL, "c"), SPM_EINVAL);
	cr_assert_eq(spm_listener_add(NULL, db, 1, NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_audit_foreach(NULL, NULL, 0, count_audit_cb, NULL), SPM_EINVAL);
	cr_assert_eq(spm_db_tick(NULL, 0), SPM_EINVAL);
	cr_assert_eq(spm_db_set_actor(NULL, 1), SPM_EINVAL);
	cr_assert_eq(spm_batch_commit(NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_db_actor(NULL), 0);
	cr_assert_eq(spm_db_now(NULL), 0);
	cr_assert_null(spm_record_kind(NULL));
	cr_assert_eq(spm_record_id(NULL), 0);
	spm_record_free(NULL);
	spm_query_free(NULL);
	spm_batch_free(NULL);
	spm_record_iter_free(NULL);
	spm_db_close(db);
}

Test(db, every_status_code_has_a_name)
{
	static const struct { int code; const char *name; } names[] = {
		{ SPM_OK, "SPM_OK" }, { SPM_ERROR, "SPM_ERROR" }, { SPM_EINVAL, "SPM_EINVAL" },
		{ SPM_ENOMEM, "SPM_ENOMEM" }, { SPM_ENOTFOUND, "SPM_ENOTFOUND" },
		{ SPM_EEXISTS, "SPM_EEXISTS" }, { SPM_ESTORAGE, "SPM_ESTORAGE" },
		{ SPM_EBUSY, "SPM_EBUSY" }, { SPM_EPERM, "SPM_EPERM" },
		{ SPM_ECONFLICT, "SPM_ECONFLICT" }, { SPM_EVERSION, "SPM_EVERSION" },
		{ SPM_EOVERFLOW, "SPM_EOVERFLOW" }, { SPM_ERANGE, "SPM_ERANGE" },
		{ SPM_ECURRENCY, "SPM_ECURRENCY" }, { SPM_EUSER, "SPM_EUSER" },
		{ SPM_ECORRUPT, "SPM_ECORRUPT" }, { SPM_ITEROVER, "SPM_ITEROVER" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert_str_eq(spm_result_name(names[i].code), names[i].name);
	cr_assert_eq(SPM_EINVAL, -2);
	cr_assert_eq(SPM_ITEROVER, -31);
	cr_assert_str_eq(spm_result_name(-999), "SPM_UNKNOWN");
	cr_assert_str_eq(spm_result_name(5), "SPM_UNKNOWN");
}

Test(db, error_message_is_never_null_and_clears)
{
	spm_error_clear();
	cr_assert_not_null(spm_error_message());
	cr_assert_str_eq(spm_error_message(), "");
	cr_assert_eq(spm_error_code(), SPM_OK);
}

static spm_time ticking_clock(void *payload)
{
	return (*(spm_time *)payload)++;
}

Test(db, clock_option_and_actor_are_used)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_time now = 1000;
	spm_db *db;

	o.clock = ticking_clock;
	o.clock_payload = &now;
	o.actor = 42;
	cr_assert_eq(spm_db_open(&db, &o), SPM_OK);
	cr_assert_eq(spm_db_now(db), 1000);
	cr_assert_eq(spm_db_now(db), 1001);
	cr_assert_eq(spm_db_actor(db), 42);
	cr_assert_eq(spm_db_set_actor(db, -5), SPM_EINVAL);
	cr_assert_eq(spm_db_set_actor(db, 9), SPM_OK);
	cr_assert_eq(spm_db_actor(db), 9);
	spm_db_close(db);
}

Test(db, readonly_handle_refuses_writes)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	char path[256];
	spm_db *db = NULL;
	spm_record *r;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	make_customer(db, "Acme");
	spm_db_close(db);
	o.path = path;
	o.flags = SPM_OPEN_READONLY;
	cr_assert_eq(spm_db_open(&db, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_get(&r, db, "customer", 1), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Other"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "the database is open read-only");
	cr_assert_eq(spm_field_add(db, "customer", "x", SPM_FIELD_TEXT, NULL), SPM_EPERM);
	cr_assert_eq(spm_db_tick(db, T0), SPM_OK);
	spm_record_free(r);
	spm_db_close(db);
}

Test(db, allocator_hooks_see_every_allocation)
{
	struct counting_alloc a = { 0, 0, 0, 0 };
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db;
	spm_record *r;

	o.malloc_fn = ca_malloc;
	o.realloc_fn = ca_realloc;
	o.free_fn = ca_free;
	o.alloc_payload = &a;
	cr_assert_eq(spm_db_open(&db, &o), SPM_OK);
	cr_assert_gt(a.calls, 10);
	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Acme"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	spm_db_close(db);
	cr_assert_eq(a.live, 0, "%ld allocations leaked", a.live);
}

Test(db, tick_runs_with_explicit_now)
{
	spm_db *db = open_db(":memory:");

	cr_assert_eq(spm_db_tick(db, T0), SPM_OK);
	spm_db_close(db);
}
