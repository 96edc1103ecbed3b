/**
 * @file spm.h
 * @brief libspm: an embeddable sales performance management engine.
 *
 * This umbrella header includes every public header and nothing else.
 *
 * Threading: distinct handles may be used from different threads at once;
 * one handle (spm_db) and everything made from it (records, batches, queries,
 * iterators) is used by one thread at a time — the caller serializes. A call
 * that reads or writes the database while another thread's call on the same
 * handle is inside a transaction fails with SPM_EBUSY and changes nothing
 * (a detector of that misuse, not a lock). Many handles and many processes
 * may open one database. Callbacks run on the
 * calling thread. Error details are thread-local. The library starts no
 * threads.
 */
#ifndef SPM_SPM_H
#define SPM_SPM_H

#include "common.h"
#include "error.h"
#include "money.h"
#include "calendar.h"
#include "db.h"
#include "schema.h"
#include "record.h"
#include "audit.h"
#include "events.h"
#include "org.h"
#include "lead.h"
#include "csv.h"
#include "customer.h"
#include "pipeline.h"
#include "collab.h"
#include "target.h"
#include "report.h"

#endif
