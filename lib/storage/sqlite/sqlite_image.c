/* New databases from the build's schema image (sqlite_image.h). */
#define _POSIX_C_SOURCE 200809L
#include "storage/sqlite/sqlite_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int read_count(size_t *out, size_t *pos)
{
	size_t v = 0;
	unsigned int shift = 0;

	while (*pos < spm__sqlite_image_rle_len && shift < 8 * sizeof(size_t)) {
		unsigned char b = spm__sqlite_image_rle[(*pos)++];
		v |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

int spm__sqlite_image_decode(unsigned char *out, size_t size)
{
	size_t pos = 0, done = 0, zeros, lits;

	if (size != spm__sqlite_image_size || spm__sqlite_image_size == 0)
		return -1;
	while (pos < spm__sqlite_image_rle_len) {
		if (read_count(&zeros, &pos) != 0 || read_count(&lits, &pos) != 0 ||
		    zeros > size - done || lits > size - done - zeros ||
		    lits > spm__sqlite_image_rle_len - pos)
			return -1;
		memset(out + done, 0, zeros);
		memcpy(out + done + zeros, spm__sqlite_image_rle + pos, lits);
		done += zeros + lits;
		pos += lits;
	}
	return done == size ? 0 : -1;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Only a plain file name: a URI may name its own VFS or options, and
 * ":memory:" or "" are not files. */
static int plain_file_name(const char *path)
{
	return path[0] != '\0' && strcmp(path, ":memory:") != 0 &&
	       strncmp(path, "file:", 5) != 0;
}

int spm__sqlite_image_create_file(const char *path, int version)
{
	char tmp[4096];
	struct timespec ts;
	unsigned char *img;
	int fd, ok;

	if (version == 0 || version != spm__sqlite_image_version || !plain_file_name(path) ||
	    access(path, F_OK) == 0 || errno != ENOENT)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (snprintf(tmp, sizeof(tmp), "%s.spm-new-%ld-%lx", path, (long)getpid(),
		     (unsigned long)ts.tv_nsec ^ (unsigned long)(uintptr_t)&ts) >= (int)sizeof(tmp))
		return 0;
	/* One write: the decoded image, in SQLite's memory like the rest. */
	img = sqlite3_malloc64(spm__sqlite_image_size);
	if (img == NULL)
		return 0;
	if (spm__sqlite_image_decode(img, spm__sqlite_image_size) != 0) {
		sqlite3_free(img);
		return 0;
	}
	/* The mode SQLite gives the files it creates (before the umask). */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		sqlite3_free(img);
		return 0;
	}
	/* Synced before it gets its name: a crash must not leave a database
	 * file with pages missing. */
	ok = write_all(fd, img, spm__sqlite_image_size) == 0 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	sqlite3_free(img);
	/* link() fails when the name exists: another opener was first, and its
	 * file (maybe written to already) stays. */
	ok = ok && link(tmp, path) == 0;
	unlink(tmp);
	return ok;
}

int spm__sqlite_image_load_memory(sqlite3 *conn, int version)
{
	unsigned char *buf;
	sqlite3_int64 size = (sqlite3_int64)spm__sqlite_image_size;

	if (version == 0 || version != spm__sqlite_image_version)
		return 0;
	buf = sqlite3_malloc64((sqlite3_uint64)size);
	if (buf == NULL)
		return 0;
	if (spm__sqlite_image_decode(buf, spm__sqlite_image_size) != 0) {
		sqlite3_free(buf);
		return 0;
	}
	/* SQLite owns buf from here, also when it fails. */
	return sqlite3_deserialize(conn, "main", buf, size, size,
				   SQLITE_DESERIALIZE_FREEONCLOSE |
					   SQLITE_DESERIALIZE_RESIZEABLE) == SQLITE_OK;
}
