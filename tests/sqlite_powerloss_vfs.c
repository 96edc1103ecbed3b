/* See sqlite_powerloss_vfs.h. Every file method forwards to the default VFS
 * (unix). A file is known by its full name in a list that lives until the
 * next reboot, so its durable content outlives closing and reopening it. */
#define _POSIX_C_SOURCE 200809L
#include "sqlite_powerloss_vfs.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

/* An un-synced xWrite (data != NULL) or xTruncate (data == NULL, to off). */
struct pl_call {
	sqlite3_int64 off;
	int len;
	unsigned char *data;
};

/* A file as the disk knows it. */
struct pl_node {
	char *name;
	int index;               /* order of first open: the seed's choice depends on it */
	int exists;              /* 0 once deleted */
	int opened;              /* open file handles */
	int main_db;             /* its -shm goes at the reboot */
	unsigned char *durable;  /* content as of the last xSync */
	sqlite3_int64 size;
	sqlite3_int64 cap;
	struct pl_call *calls;   /* since the last xSync, in order */
	size_t ncalls;
	size_t callcap;
	struct pl_node *next;
};

struct pl_file {
	sqlite3_file base;
	sqlite3_file *real;      /* follows this struct in the same allocation */
	struct pl_node *node;    /* NULL: a temporary file, not tracked */
};

static struct {
	sqlite3_vfs *real_vfs;
	struct pl_node *nodes;
	int nnodes;
	int counting;            /* since sqlite_powerloss_arm() */
	long armed_at;           /* cut at this counted call; 0: never */
	long calls;
	long syncs;
	int cut;
	char cut_call[32];
} pl;

/* ---- durable content ---------------------------------------------------- */

/* Sets the size of an image, zero-filling what it grows by. */
static int image_resize(unsigned char **buf, sqlite3_int64 *size, sqlite3_int64 *cap,
			sqlite3_int64 want)
{
	if (want > *cap) {
		sqlite3_int64 c = *cap ? *cap : 4096;
		unsigned char *p;

		while (c < want)
			c *= 2;
		p = realloc(*buf, (size_t)c);
		if (p == NULL)
			return SQLITE_NOMEM;
		*buf = p;
		*cap = c;
	}
	if (want > *size)
		memset(*buf + *size, 0, (size_t)(want - *size));
	*size = want;
	return SQLITE_OK;
}

/* Applies one call to an image, as the file system did. */
static int image_apply(unsigned char **buf, sqlite3_int64 *size, sqlite3_int64 *cap,
		       const struct pl_call *c)
{
	int rc;

	if (c->data == NULL)
		return c->off < *size ? image_resize(buf, size, cap, c->off) : SQLITE_OK;
	if (c->off + c->len > *size) {
		rc = image_resize(buf, size, cap, c->off + c->len);
		if (rc != SQLITE_OK)
			return rc;
	}
	memcpy(*buf + c->off, c->data, (size_t)c->len);
	return SQLITE_OK;
}

static void node_forget_calls(struct pl_node *n)
{
	for (size_t i = 0; i < n->ncalls; i++)
		free(n->calls[i].data);
	n->ncalls = 0;
}

static int node_record(struct pl_node *n, sqlite3_int64 off, const void *data, int len)
{
	struct pl_call *c;

	if (n->ncalls == n->callcap) {
		size_t cap = n->callcap ? n->callcap * 2 : 64;

		c = realloc(n->calls, cap * sizeof(*c));
		if (c == NULL)
			return SQLITE_NOMEM;
		n->calls = c;
		n->callcap = cap;
	}
	c = &n->calls[n->ncalls];
	c->off = off;
	c->len = len;
	c->data = NULL;
	if (data != NULL) {
		c->data = malloc((size_t)len);
		if (c->data == NULL)
			return SQLITE_NOMEM;
		memcpy(c->data, data, (size_t)len);
	}
	n->ncalls++;
	return SQLITE_OK;
}

/* A sync makes every call since the last one durable. */
static int node_sync(struct pl_node *n)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; rc == SQLITE_OK && i < n->ncalls; i++)
		rc = image_apply(&n->durable, &n->size, &n->cap, &n->calls[i]);
	node_forget_calls(n);
	return rc;
}

static struct pl_node *node_find(const char *name)
{
	for (struct pl_node *n = pl.nodes; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* The first open of a file (since the reboot): what it holds is durable. */
static int node_new(struct pl_node **out, const char *name, sqlite3_file *real)
{
	struct pl_node *n = calloc(1, sizeof(*n));
	sqlite3_int64 size = 0;
	int rc;

	if (n == NULL || (n->name = strdup(name)) == NULL) {
		free(n);
		return SQLITE_NOMEM;
	}
	rc = real->pMethods->xFileSize(real, &size);
	if (rc == SQLITE_OK)
		rc = image_resize(&n->durable, &n->size, &n->cap, size);
	if (rc == SQLITE_OK && size > 0)
		rc = real->pMethods->xRead(real, n->durable, (int)size, 0);
	if (rc != SQLITE_OK) {
		free(n->durable);
		free(n->name);
		free(n);
		return rc;
	}
	n->index = pl.nnodes++;
	n->exists = 1;
	n->next = pl.nodes;
	pl.nodes = n;
	*out = n;
	return SQLITE_OK;
}

static void node_free(struct pl_node *n)
{
	node_forget_calls(n);
	free(n->calls);
	free(n->durable);
	free(n->name);
	free(n);
}

/* ---- the power switch ---------------------------------------------------- */

/* Counts a call that changes a file; tells whether it must fail (the power
 * is off, or goes off now). */
static int power_off(const char *what, const char *name)
{
	const char *suffix;

	if (pl.cut)
		return 1;
	if (!pl.counting || ++pl.calls != pl.armed_at)
		return 0;
	pl.cut = 1;
	suffix = name ? strrchr(name, '-') : NULL;
	snprintf(pl.cut_call, sizeof(pl.cut_call), "%s %s", what,
		 suffix && strchr(suffix, '/') == NULL ? suffix : "db");
	return 1;
}

void sqlite_powerloss_arm(long n)
{
	pl.counting = 1;
	pl.armed_at = n;
	pl.calls = 0;
}

long sqlite_powerloss_calls(void)
{
	return pl.calls;
}

long sqlite_powerloss_syncs(void)
{
	return pl.syncs;
}

int sqlite_powerloss_is_cut(void)
{
	return pl.cut;
}

const char *sqlite_powerloss_cut_call(void)
{
	return pl.cut ? pl.cut_call : "";
}

/* splitmix64: the seed's choices, the same on every run. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Whether un-synced call i of n of a file survives the cut: the calls
 * before a point chosen by the seed reached the disk (a cache flushed in
 * order), and of the later ones about one in four (flushed out of order). */
static int survives(unsigned long seed, const struct pl_node *n, size_t i)
{
	uint64_t h = mix(mix((uint64_t)seed) ^ (uint64_t)n->index);

	if (seed == 0)
		return 0;
	if (i < (size_t)(h % (n->ncalls + 1)))
		return 1;
	return mix(h ^ (uint64_t)(i + 1)) % 4 == 0;
}

/* Overwritten in place, then cut to size: cheaper than emptying the file
 * first (the tests rewrite it after every cut). */
static int write_file(const char *name, const unsigned char *buf, sqlite3_int64 size)
{
	int fd = open(name, O_WRONLY | O_CREAT, 0644);
	sqlite3_int64 done = 0;
	int ok;

	if (fd < 0)
		return SQLITE_IOERR;
	while (done < size) {
		ssize_t w = pwrite(fd, buf + done, (size_t)(size - done), (off_t)done);

		if (w <= 0)
			break;
		done += w;
	}
	ok = done == size && ftruncate(fd, (off_t)size) == 0;
	ok = close(fd) == 0 && ok;
	return ok ? SQLITE_OK : SQLITE_IOERR;
}

/* Rewrites one file as the disk holds it. */
static int node_reboot(struct pl_node *n, unsigned long seed)
{
	char shm[4096];
	int rc = SQLITE_OK;

	if (n->main_db && snprintf(shm, sizeof(shm), "%s-shm", n->name) < (int)sizeof(shm))
		unlink(shm);
	if (!n->exists)
		return unlink(n->name) == 0 || access(n->name, F_OK) != 0 ? SQLITE_OK : SQLITE_IOERR;
	for (size_t i = 0; rc == SQLITE_OK && i < n->ncalls; i++)
		if (survives(seed, n, i))
			rc = image_apply(&n->durable, &n->size, &n->cap, &n->calls[i]);
	return rc == SQLITE_OK ? write_file(n->name, n->durable, n->size) : rc;
}

int sqlite_powerloss_reboot(unsigned long seed)
{
	int rc = SQLITE_OK;

	for (struct pl_node *n = pl.nodes; n; n = n->next)
		if (n->opened)
			return SQLITE_MISUSE;
	while (pl.nodes) {
		struct pl_node *n = pl.nodes;

		if (rc == SQLITE_OK)
			rc = node_reboot(n, seed);
		pl.nodes = n->next;
		node_free(n);
	}
	pl.nnodes = 0;
	pl.counting = 0;
	pl.armed_at = 0;
	pl.calls = 0;
	pl.syncs = 0;
	pl.cut = 0;
	pl.cut_call[0] = '\0';
	return rc;
}

/* ---- file methods --------------------------------------------------------- */

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((struct pl_file *)f)->real;
}

static struct pl_node *node_of(sqlite3_file *f)
{
	return ((struct pl_file *)f)->node;
}

static const char *name_of(sqlite3_file *f)
{
	return node_of(f) ? node_of(f)->name : NULL;
}

/* Closing releases the real file also without power: nothing reaches the
 * disk through it. */
static int f_close(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);
	int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;

	if (node_of(f))
		node_of(f)->opened--;
	f->pMethods = NULL;
	return pl.cut ? SQLITE_OK : rc;
}

static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	sqlite3_file *r = real_of(f);

	if (pl.cut)
		return SQLITE_IOERR_READ;
	return r->pMethods->xRead(r, buf, n, off);
}

static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	sqlite3_file *r = real_of(f);
	int rc;

	if (power_off("xWrite", name_of(f)))
		return SQLITE_IOERR_WRITE;
	rc = r->pMethods->xWrite(r, buf, n, off);
	if (rc == SQLITE_OK && node_of(f))
		rc = node_record(node_of(f), off, buf, n);
	return rc;
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	sqlite3_file *r = real_of(f);
	int rc;

	if (power_off("xTruncate", name_of(f)))
		return SQLITE_IOERR_TRUNCATE;
	rc = r->pMethods->xTruncate(r, size);
	if (rc == SQLITE_OK && node_of(f))
		rc = node_record(node_of(f), size, NULL, 0);
	return rc;
}

static int f_sync(sqlite3_file *f, int flags)
{
	sqlite3_file *r = real_of(f);
	int rc;

	if (power_off("xSync", name_of(f)))
		return SQLITE_IOERR_FSYNC;
	rc = r->pMethods->xSync(r, flags);
	if (rc == SQLITE_OK && node_of(f))
		rc = node_sync(node_of(f));
	if (rc == SQLITE_OK)
		pl.syncs++;
	return rc;
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	sqlite3_file *r = real_of(f);

	if (pl.cut)
		return SQLITE_IOERR_FSTAT;
	return r->pMethods->xFileSize(r, size);
}

static int f_lock(sqlite3_file *f, int level)
{
	sqlite3_file *r = real_of(f);

	if (pl.cut)
		return SQLITE_IOERR_LOCK;
	return r->pMethods->xLock(r, level);
}

/* The real close releases the locks that an unlock without power keeps. */
static int f_unlock(sqlite3_file *f, int level)
{
	sqlite3_file *r = real_of(f);

	if (pl.cut)
		return SQLITE_IOERR_UNLOCK;
	return r->pMethods->xUnlock(r, level);
}

static int f_check_reserved_lock(sqlite3_file *f, int *out)
{
	sqlite3_file *r = real_of(f);

	if (pl.cut)
		return SQLITE_IOERR_CHECKRESERVEDLOCK;
	return r->pMethods->xCheckReservedLock(r, out);
}

/* A size hint would make the unix VFS grow the file itself; it is only a
 * hint, so it is refused. The other controls change no file content. */
static int f_file_control(sqlite3_file *f, int op, void *arg)
{
	sqlite3_file *r = real_of(f);

	if (op == SQLITE_FCNTL_SIZE_HINT)
		return SQLITE_NOTFOUND;
	return r->pMethods->xFileControl(r, op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xSectorSize(r);
}

/* Only what the model keeps: a lost write loses its own bytes only. */
static int f_device_characteristics(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xDeviceCharacteristics(r) & SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static int f_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	sqlite3_file *r = real_of(f);

	if (pl.cut)
		return SQLITE_IOERR_SHMMAP;
	return r->pMethods->xShmMap(r, region, size, extend, out);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	sqlite3_file *r = real_of(f);

	/* Releasing a lock always works (the locks live in this process). */
	if (pl.cut && !(flags & SQLITE_SHM_UNLOCK))
		return SQLITE_IOERR_SHMLOCK;
	return r->pMethods->xShmLock(r, offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);

	r->pMethods->xShmBarrier(r);
}

static int f_shm_unmap(sqlite3_file *f, int delete_flag)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xShmUnmap(r, delete_flag);
}

/* Version 2: no xFetch, so SQLite reads every page through xRead. */
static const sqlite3_io_methods powerloss_io = {
	2, f_close, f_read, f_write, f_truncate, f_sync, f_file_size, f_lock, f_unlock,
	f_check_reserved_lock, f_file_control, f_sector_size, f_device_characteristics,
	f_shm_map, f_shm_lock, f_shm_barrier, f_shm_unmap, NULL, NULL,
};

/* ---- the VFS -------------------------------------------------------------- */

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct pl_file *pf = (struct pl_file *)f;
	sqlite3_vfs *real = pl.real_vfs;
	int rc;

	(void)vfs;
	f->pMethods = NULL;
	pf->node = NULL;
	if (pl.cut)
		return SQLITE_IOERR;
	pf->real = (sqlite3_file *)(pf + 1);
	memset(pf->real, 0, (size_t)real->szOsFile);
	rc = real->xOpen(real, name, pf->real, flags, out_flags);
	/* SQLite calls xClose whenever pMethods is set, even after a failed
	 * open: mirror the real file. */
	if (pf->real->pMethods == NULL)
		return rc;
	f->pMethods = &powerloss_io;
	if (rc != SQLITE_OK || name == NULL || (flags & SQLITE_OPEN_DELETEONCLOSE))
		return rc;
	pf->node = node_find(name);
	if (pf->node == NULL) {
		rc = node_new(&pf->node, name, pf->real);
		if (rc != SQLITE_OK)
			return rc;  /* SQLite closes the file */
	} else if (!pf->node->exists) {
		/* Deleted, now created anew: empty and durable (no directory model). */
		pf->node->exists = 1;
		pf->node->size = 0;
		node_forget_calls(pf->node);
	}
	pf->node->opened++;
	pf->node->main_db |= (flags & SQLITE_OPEN_MAIN_DB) != 0;
	return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	struct pl_node *n = node_find(name);
	int rc;

	(void)vfs;
	if (power_off("xDelete", name))
		return SQLITE_IOERR_DELETE;
	rc = pl.real_vfs->xDelete(pl.real_vfs, name, sync_dir);
	if ((rc == SQLITE_OK || rc == SQLITE_IOERR_DELETE_NOENT) && n != NULL) {
		n->exists = 0;
		n->size = 0;
		node_forget_calls(n);
	}
	return rc;
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	if (pl.cut)
		return SQLITE_IOERR_ACCESS;
	return pl.real_vfs->xAccess(pl.real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return pl.real_vfs->xFullPathname(pl.real_vfs, name, n, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return pl.real_vfs->xDlOpen(pl.real_vfs, name);
}

static void v_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	pl.real_vfs->xDlError(pl.real_vfs, n, out);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return pl.real_vfs->xDlSym(pl.real_vfs, h, sym);
}

static void v_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	pl.real_vfs->xDlClose(pl.real_vfs, h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return pl.real_vfs->xRandomness(pl.real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return pl.real_vfs->xSleep(pl.real_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return pl.real_vfs->xCurrentTime(pl.real_vfs, out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return pl.real_vfs->xGetLastError(pl.real_vfs, n, out);
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return pl.real_vfs->xCurrentTimeInt64(pl.real_vfs, out);
}

static sqlite3_vfs powerloss_vfs = {
	2, 0, 0, NULL, SQLITE_POWERLOSS_VFS_NAME, NULL,
	v_open, v_delete, v_access, v_full_pathname, v_dl_open, v_dl_error, v_dl_sym,
	v_dl_close, v_randomness, v_sleep, v_current_time, v_get_last_error,
	v_current_time_int64, NULL, NULL, NULL,
};

int sqlite_powerloss_vfs_register(void)
{
	if (pl.real_vfs == NULL) {
		pl.real_vfs = sqlite3_vfs_find(NULL);
		if (pl.real_vfs == NULL)
			return SQLITE_ERROR;
		powerloss_vfs.szOsFile = (int)sizeof(struct pl_file) + pl.real_vfs->szOsFile;
		powerloss_vfs.mxPathname = pl.real_vfs->mxPathname;
	}
	return sqlite3_vfs_register(&powerloss_vfs, 0);
}
