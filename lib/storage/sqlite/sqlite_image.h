/* New databases made from an image of the empty schema.
 *
 * Creating the schema statement by statement costs SQLite a parse and a
 * schema reload per table and index: ~200 statements, ~17 ms per new
 * database (over a second under valgrind), paid by every test and every
 * first open. The build runs the DDL path once (gen_sqlite_image.c) and
 * links the resulting file image into the library, so the image is always
 * this build's schema; a new database is then a copy of it. Anything other
 * than a brand-new database of exactly the image's version (an upgrade, an
 * older target version, a URI with its own VFS) takes the DDL path. */
#ifndef SPM_STORAGE_SQLITE_IMAGE_H
#define SPM_STORAGE_SQLITE_IMAGE_H

#include <sqlite3.h>
#include <stddef.h>

/* The image, run-length encoded: repeated (zero bytes, literal bytes,
 * literals), each count an unsigned LEB128 number. Version 0: no image
 * (the generator itself links sqlite_image_none.c). */
extern const int spm__sqlite_image_version;
extern const size_t spm__sqlite_image_size;
extern const unsigned char spm__sqlite_image_rle[];
extern const size_t spm__sqlite_image_rle_len;

/* Decodes the image into out (spm__sqlite_image_size bytes); 0 on success,
 * -1 when the encoded image is malformed. */
int spm__sqlite_image_decode(unsigned char *out, size_t size);

/* Writes a new database file at path from the image when no file exists
 * there: written to a private name beside it, then linked into place, so a
 * concurrent opener sees either no file or the whole database. Returns 1
 * when this call created the file, 0 when it did not (a file exists, no
 * image for version, or any failure: the caller then takes the DDL path,
 * which reports real errors). */
int spm__sqlite_image_create_file(const char *path, int version);

/* Loads the image into conn's empty in-memory main database. 1 when
 * loaded, 0 when not (the DDL path follows). */
int spm__sqlite_image_load_memory(sqlite3 *conn, int version);

#endif
