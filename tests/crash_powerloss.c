/* Power loss at every point of a run of batch commits (TESTING.md §B, third
 * bullet). kill -9 (crash_kill.c) loses nothing the OS holds; a power cut
 * loses what was not synced. The run opens the database through the
 * power-loss VFS (sqlite_powerloss_vfs.h), commits batches 0 and 1
 * (crash_check.h), checkpoints from a second connection (TRUNCATE: the WAL
 * is synced, copied into the database, synced, cut to nothing), commits
 * batches 2 and 3 (the WAL restarts) and closes (the last connection
 * checkpoints and deletes the WAL). For N = 1, 2, 3, … the power goes off at
 * the Nth write, truncate, sync or delete of the run, until the run
 * completes without reaching N: the loop ends because the point was not
 * reached, not by a cap. Then the disk comes back with only what was synced
 * (seed 0), or with that and a subset of the rest chosen by a seed (1 or
 * 2), and the file is proven: integrity_check is ok; batches are whole or
 * absent and those stored are a prefix of those committed; every batch
 * acknowledged before the last sync is stored, and with seed 0 exactly
 * those; no unacknowledged batch is stored; audit and outbox hold exactly
 * the stored changes; the last batch's key replays; the reopened handle
 * commits the next batch and reads it back. SQLite runs in WAL
 * mode with synchronous=NORMAL (lib/storage/sqlite/sqlite_backend.c; the
 * file's header and the run's syncs show both): the newest commits may be
 * lost, never the file's consistency.
 * A plain program like the other crash tests: crash_check.h ends the
 * process on a failed check. */
#include "crash_check.h"
#include "sqlite_powerloss_vfs.h"

#include <fcntl.h>

#define RUN_BATCHES 4

/* The syncs of the whole run: the WAL's header when it starts (twice), and
 * the WAL then the database for each checkpoint (twice). WAL mode with
 * synchronous=NORMAL, as the library sets it; FULL would add one per
 * commit, and a rollback journal several. */
#define RUN_SYNCS 6

static const unsigned long seeds[] = { 0, 1, 2 };

/* Calls the run must make, so that the power goes off at each of them at
 * least once: the WAL synced for a checkpoint, the database written and
 * synced by it, the WAL cut to nothing by TRUNCATE, deleted on close. */
static const char *const required[] = {
	"xWrite -wal", "xSync -wal", "xWrite db", "xSync db", "xTruncate -wal", "xDelete -wal",
};

/* The file every point starts from: the tally only (crash_setup()). */
struct start {
	char path[80];
	char uri[112];
	unsigned char *image;
	size_t size;
};

/* What one run achieved before the power went off. */
struct run {
	int acked;                      /* batches whose commit returned SPM_OK */
	long syncs_at_ack[RUN_BATCHES]; /* successful syncs when each was acknowledged */
};

/* Per seed: how the points ended. */
struct outcome {
	long points;
	long lost_acked;      /* points whose reboot lost an acknowledged batch */
	long kept_unsynced;   /* points where a batch committed after the last sync survived */
	int cut_at[sizeof(required) / sizeof(required[0])]; /* points per required call */
};

static void read_file(struct start *s)
{
	int fd = open(s->path, O_RDONLY);
	off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);

	if (size <= 0 || (s->image = malloc((size_t)size)) == NULL ||
	    pread(fd, s->image, (size_t)size, 0) != size)
		crash_die("reading %s", s->path);
	s->size = (size_t)size;
	close(fd);
}

/* Puts the start file back (and no WAL, journal or shared memory). */
static void restore(const struct start *s)
{
	static const char *suffix[] = { "-wal", "-shm", "-journal" };
	char p[128];
	int fd = open(s->path, O_WRONLY | O_CREAT, 0644);

	/* In place, then cut to size: cheaper than emptying the file first. */
	if (fd < 0 || pwrite(fd, s->image, s->size, 0) != (ssize_t)s->size ||
	    ftruncate(fd, (off_t)s->size) != 0 || close(fd) != 0)
		crash_die("restoring %s", s->path);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", s->path, suffix[i]);
		unlink(p);
	}
}

/* Whether the file's header says WAL mode (bytes 18 and 19 are 2): the mode
 * is a property of the file and survives the power cut. */
static int in_wal_mode(const char *path)
{
	unsigned char v[2] = { 0, 0 };
	int fd = open(path, O_RDONLY);
	int ok = fd >= 0 && pread(fd, v, 2, 18) == 2;

	if (fd >= 0)
		close(fd);
	return ok && v[0] == 2 && v[1] == 2;
}

/* A call of the run failed: only a power cut may make it fail. */
static void failed(const char *what, int b)
{
	if (!sqlite_powerloss_is_cut())
		crash_die("%s (batch %d) failed with the power on", what, b);
}

/* PRAGMA wal_checkpoint(TRUNCATE) from a connection of its own; 0 when it
 * failed. With the power on nothing else is writing, so it is never busy. */
static int checkpoint(const char *uri)
{
	sqlite3 *conn = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_open_v2(uri, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(conn, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0)
		crash_die("the checkpoint was busy");
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return rc == SQLITE_ROW;
}

/* The run, until its first failed call. */
static void run(const char *uri, struct run *r)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;
	int rc, cut_before;

	o.path = uri;
	if (spm_db_open(&db, &o) != SPM_OK) {
		failed("opening", -1);
		return;
	}
	for (int b = 0; b < RUN_BATCHES; b++) {
		if (b == RUN_BATCHES / 2 && !checkpoint(uri)) {
			failed("the checkpoint", b);
			break;
		}
		cut_before = sqlite_powerloss_is_cut();
		rc = crash_commit(db, b);
		if (rc != SPM_OK) {
			failed("a commit", b);
			break;
		}
		if (cut_before)
			crash_die("batch %d committed without power", b);
		r->syncs_at_ack[r->acked++] = sqlite_powerloss_syncs();
	}
	spm_db_close(db);
}

/* One point: the run with the power cut at call n, the reboot, the checks.
 * Returns 0 when the run completed without reaching n. */
static int one_point(const struct start *s, long n, unsigned long seed, struct outcome *out)
{
	struct run r = { 0 };
	const char *industry = NULL;
	spm_record *tally = NULL;
	char call[32], want[16];
	int cut, durable = 0, stored;
	long syncs;
	spm_db *db;

	restore(s);
	sqlite_powerloss_arm(n);
	run(s->uri, &r);
	cut = sqlite_powerloss_is_cut();
	snprintf(call, sizeof(call), "%s", cut ? sqlite_powerloss_cut_call() : "no cut");
	syncs = sqlite_powerloss_syncs();
	if (sqlite_powerloss_reboot(seed) != SQLITE_OK)
		crash_die("point %ld: the reboot failed", n);
	if (!in_wal_mode(s->path))
		crash_die("point %ld: the file is not in WAL mode after the reboot", n);
	/* A batch is durable once a sync followed its acknowledgement. */
	while (durable < r.acked && r.syncs_at_ack[durable] < syncs)
		durable++;
	stored = crash_check(&db, s->path);
	if (!cut && (r.acked != RUN_BATCHES || stored != RUN_BATCHES || syncs != RUN_SYNCS))
		crash_die("point %ld: the run completed: %d batches acknowledged, %d stored, "
			  "%ld syncs", n, r.acked, stored, syncs);
	if (stored < durable || stored > r.acked || (seed == 0 && stored != durable))
		crash_die("point %ld seed %lu (%s): %d batches stored; %d acknowledged, %d of them "
			  "before the last sync", n, seed, call, stored, r.acked, durable);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		out->cut_at[i] += strcmp(call, required[i]) == 0;
	out->lost_acked += stored < r.acked;
	out->kept_unsynced += stored > durable;
	/* The file takes further writes: the next batch, read back. */
	if (crash_commit(db, stored) != SPM_OK)
		crash_die("point %ld: committing batch %d after the reboot", n, stored);
	crash_tag(want, sizeof(want), stored);
	if (spm_record_get(&tally, db, "customer", 1) != SPM_OK ||
	    spm_record_get_text(&industry, tally, "industry") != SPM_OK ||
	    strcmp(industry, want) != 0)
		crash_die("point %ld: the tally does not say %s after batch %d", n, want, stored);
	spm_record_free(tally);
	spm_db_close(db);
	return cut;
}

int main(void)
{
	/* Memory when there is some: the real syncs cost seconds on a busy disk
	 * and prove nothing here (the VFS decides what survives). */
	char dir[] = "/dev/shm/spm-powerloss-XXXXXX";
	struct outcome out[sizeof(seeds) / sizeof(seeds[0])] = { 0 };
	struct start s;
	long calls = -1;
	char wal[96];

	crash_prog = "crash_powerloss";
	if (sqlite_powerloss_vfs_register() != SQLITE_OK)
		crash_die("registering the VFS");
	if (mkdtemp(dir) == NULL) {
		memcpy(dir, "/tmp/spm-powerloss-XXXXXX", sizeof("/tmp/spm-powerloss-XXXXXX"));
		if (mkdtemp(dir) == NULL)
			crash_die("mkdtemp");
	}
	snprintf(s.path, sizeof(s.path), "%s/power.sqlite", dir);
	snprintf(s.uri, sizeof(s.uri), "file:%s?vfs=" SQLITE_POWERLOSS_VFS_NAME, s.path);
	snprintf(wal, sizeof(wal), "%s-wal", s.path);
	crash_setup(s.path);
	if (access(wal, F_OK) == 0)
		crash_die("the start file has a WAL after its last close");
	read_file(&s);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		long n = 1;

		while (one_point(&s, n, seeds[i], &out[i]))
			n++;
		out[i].points = n - 1;
		/* Every seed cut the same run at each of its calls. */
		if (calls >= 0 && out[i].points != calls)
			crash_die("seed %lu: %ld points, seed %lu: %ld", seeds[i], out[i].points,
				  seeds[0], calls);
		calls = out[i].points;
		for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++)
			if (out[i].cut_at[k] == 0)
				crash_die("seed %lu: the power never went off at %s", seeds[i],
					  required[k]);
	}
	/* The VFS did lose writes: with nothing un-synced kept, some
	 * acknowledged batches were lost; some seeds kept un-synced ones. */
	if (out[0].lost_acked == 0)
		crash_die("no point lost an acknowledged batch: nothing was dropped");
	for (size_t i = 1; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		if (out[i].kept_unsynced == 0)
			crash_die("seed %lu kept no batch committed after the last sync", seeds[i]);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		printf("crash_powerloss: seed %lu: %ld power cuts; %ld lost an acknowledged batch, "
		       "after %ld a batch committed after the last sync was kept\n", seeds[i],
		       out[i].points, out[i].lost_acked, out[i].kept_unsynced);
	printf("crash_powerloss: every check passed\n");
	free(s.image);
	crash_remove(dir, s.path);
	return 0;
}
