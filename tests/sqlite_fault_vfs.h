/* A pass-through SQLite VFS for fault injection (TESTING.md §A): it wraps
 * the default VFS and fails the Nth xRead/xWrite/xSync/xTruncate with the
 * matching SQLITE_IOERR_* code, or the Nth xWrite with SQLITE_FULL (disk
 * full). Registered as "faulty", never as the default: a database uses it
 * only when opened as "file:PATH?vfs=faulty". Test binaries only. */
#ifndef SPM_TESTS_SQLITE_FAULT_VFS_H
#define SPM_TESTS_SQLITE_FAULT_VFS_H

#define SQLITE_FAULT_VFS_NAME "faulty"

enum sqlite_fault_mode {
	SQLITE_FAULT_IOERR,  /* count xRead/xWrite/xSync/xTruncate; fail with SQLITE_IOERR_* */
	SQLITE_FAULT_FULL,   /* count xWrite only; fail with SQLITE_FULL */
};

struct sqlite_fault_plan {
	int armed;           /* count and fail only while set */
	enum sqlite_fault_mode mode;
	long calls;          /* counted calls so far (while armed) */
	long fail_at;        /* fail this call (1-based); 0: never */
	int persistent;      /* keep failing after fail_at */
	long injected;       /* faults returned so far */
};

extern struct sqlite_fault_plan sqlite_fault_plan;

/* Registers the VFS (once per process; again after sqlite3_shutdown() is
 * harmless). Returns an SQLite result code. */
int sqlite_fault_vfs_register(void);

#endif
