#ifndef SPM_CORE_WRITE_H
#define SPM_CORE_WRITE_H

#include "core/txn.h"

/* Saves rec inside t; *out receives the stored version (caller frees). */
int spm__write_save(struct spm__txn *t, const spm_record *rec, spm_record **out);
int spm__write_delete(struct spm__txn *t, spm_kind *kind, int64_t id);

#endif
