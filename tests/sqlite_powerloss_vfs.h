/* A power-loss SQLite VFS for crash tests (TESTING.md §B, third bullet).
 * kill -9 loses nothing the OS holds; a power cut loses what was written
 * since the last fsync. This VFS wraps the default one (unix), writes
 * through to the real files, and remembers per file (main database, WAL,
 * rollback journal) the content as of its last xSync ("durable") and the
 * xWrite/xTruncate calls made since.
 *
 * A power cut comes at the Nth counted call (xWrite, xTruncate, xSync,
 * xDelete) after sqlite_powerloss_arm(N): that call and every later open,
 * read, write, truncate, sync, delete, size or lock call fail with an
 * SQLITE_IOERR code, as a dead disk would; closing and unlocking still
 * release the real file, its locks and its shared memory, so that the
 * process lets go of everything before the reboot. Once every connection
 * is closed, sqlite_powerloss_reboot() rewrites each file as the disk
 * would hold it: its durable content plus, with a seed other than 0, a
 * deterministic subset of the un-synced calls, applied in their order
 * (disks reorder writes); the -shm files are removed (shared memory is not
 * durable; SQLite rebuilds it from the WAL).
 *
 * Modelled: lost and reordered whole writes and truncates, per file, since
 * that file's last sync. Not modelled: torn writes within one xWrite (the
 * VFS reports SQLITE_IOCAP_POWERSAFE_OVERWRITE, as the unix VFS does);
 * directory entries (a file's creation and deletion are durable at once);
 * writes outside SQLite's file methods. What a file holds when the VFS first
 * opens it after a reboot counts as durable. Size hints (the unix VFS would
 * grow the file behind the VFS's back) are ignored, and memory-mapped I/O is
 * off. Registered as "powerloss", never as the default: a database uses it
 * only when opened as "file:PATH?vfs=powerloss". One process, test binaries
 * only; not thread-safe. */
#ifndef SPM_TESTS_SQLITE_POWERLOSS_VFS_H
#define SPM_TESTS_SQLITE_POWERLOSS_VFS_H

#define SQLITE_POWERLOSS_VFS_NAME "powerloss"

/* Registers the VFS (once per process). Returns an SQLite result code. */
int sqlite_powerloss_vfs_register(void);

/* Counts the calls from now on and cuts the power at the nth (1-based);
 * 0 counts without ever cutting. */
void sqlite_powerloss_arm(long n);

/* Counted calls since the last arm. */
long sqlite_powerloss_calls(void);

/* Successful xSync calls since the last reboot. */
long sqlite_powerloss_syncs(void);

/* Whether the power is off; the name of the call it cut ("xSync -wal"). */
int sqlite_powerloss_is_cut(void);
const char *sqlite_powerloss_cut_call(void);

/* Writes every file as the disk holds it after the cut (or now, when no cut
 * came): seed 0 keeps no un-synced call; another seed keeps the calls
 * chosen by it. Power comes back and the counter is disarmed. Every file
 * opened through the VFS must be closed. Returns SQLITE_OK, SQLITE_MISUSE
 * when a file is still open, or SQLITE_IOERR when a file cannot be
 * rewritten. */
int sqlite_powerloss_reboot(unsigned long seed);

#endif
