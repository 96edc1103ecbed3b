/* "No image": linked only into the generator of the image, which must make
 * the schema through the DDL path (sqlite_image.h). */
#include "storage/sqlite/sqlite_image.h"

const int spm__sqlite_image_version = 0;
const size_t spm__sqlite_image_size = 0;
const unsigned char spm__sqlite_image_rle[1] = { 0 };
const size_t spm__sqlite_image_rle_len = 0;
