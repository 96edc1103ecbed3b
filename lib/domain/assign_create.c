/* Assignment on create (pool_policy.assign_on_create, schema version 6): a
 * lead created without an owner goes through the active assignment rules
 * before its single insert, in the same write transaction, and gets what
 * spm_lead_assign_pool2() would give it: the same rule, reason, capacity
 * and daily limits, ownership history (via "assign"), claim log and
 * SPM_EVENT_LEAD_ASSIGNED. One assignment run serves the whole
 * transaction (a batch or an import), and its round-robin pointers are
 * stored just before COMMIT. */
#include "domain/assign_run.h"
#include "domain/lead.h"
#include "domain/record_fields.h"
#include "core/kinds.h"

#include <string.h>

struct on_create {
	struct spm__assign_run run;
	int on;             /* the policy asks for assignment on create */
	int64_t lead;       /* the lead being created and assigned, its user and rule */
	int64_t user;
	int64_t rule;
};

static int after_create(struct spm__txn *t, const spm_record *rec)
{
	struct on_create *c = t->hook.payload;

	if (c->lead == 0 || rec->id != c->lead || strcmp(rec->kind->name, "lead") != 0)
		return SPM_OK;
	c->lead = 0;
	return spm__assign_logged(t, rec->id, c->user, c->rule, c->run.why);
}

static int finish(struct spm__txn *t)
{
	struct on_create *c = t->hook.payload;

	return c->on ? spm__assign_run_save(&c->run) : SPM_OK;
}

static void committed(struct spm__txn *t)
{
	struct on_create *c = t->hook.payload;

	if (c->on)
		spm__assign_run_committed(&c->run);
}

static void release(struct spm__txn *t)
{
	struct on_create *c = t->hook.payload;

	spm__assign_run_close(&c->run);
	spm__free(t->db, c);
}

static int ours(const struct spm__txn *t)
{
	return t->hook.release == release;
}

/* The transaction's state, read from the policy on its first lead. */
static int state(struct on_create **out, struct spm__txn *t)
{
	struct on_create *c;
	spm_record *policy = NULL;
	int rc;

	*out = NULL;
	if (ours(t)) {
		*out = t->hook.payload;
		return SPM_OK;
	}
	if (t->hook.release)  /* another rule holds the hook: none does today */
		return spm__error_set(SPM_EINVAL, "assignment on create: the transaction is busy");
	rc = spm__pool_policy(&policy, t->db);
	if (rc != SPM_OK)
		return rc;
	c = spm__calloc(t->db, 1, sizeof(*c));
	if (c == NULL) {
		spm_record_free(policy);
		return spm__error_oom();
	}
	c->on = policy && spm__fld_has(policy, "assign_on_create") &&
		spm__fld_num(policy, "assign_on_create");
	if (c->on)
		rc = spm__assign_run_open(&c->run, t, spm__fld_has(policy, "assign_seed"),
					  (uint64_t)spm__fld_num(policy, "assign_seed"));
	spm_record_free(policy);
	t->hook.after_create = after_create;
	t->hook.finish = finish;
	t->hook.committed = committed;
	t->hook.release = release;
	t->hook.payload = c;
	*out = c;
	return rc;
}

int spm__assign_on_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	struct on_create *c;
	int64_t user = 0;
	size_t k = 0;
	int rc;

	if (before) {  /* an update or delete: the run recounts those users */
		if (ours(t) && ((struct on_create *)t->hook.payload)->on) {
			c = t->hook.payload;
			spm__assign_forget(&c->run, spm__fld_num(before, "owner_id"));
			if (after)
				spm__assign_forget(&c->run, spm__fld_num(after, "owner_id"));
		}
		return SPM_OK;
	}
	rc = state(&c, t);
	if (rc != SPM_OK || !c->on)
		return rc;
	if (spm__fld_has(after, "owner_id")) {
		spm__assign_forget(&c->run, spm__fld_num(after, "owner_id"));
		return SPM_OK;
	}
	if (!spm__assign_in_pool(&c->run, after))
		return SPM_OK;
	rc = spm__assign_route(&user, &k, &c->run, after);
	if (rc != SPM_OK || user == 0)
		return rc;
	/* what the rules and spm__lead_validate give an assigned lead */
	rc = spm__fld_put_num(after, "owner_id", user);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(after, "assigned_by_rule", c->run.rules.recs[k]->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(after, "assignment_reason", c->run.why);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(after, "assigned_at", t->at);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(after, "status", "assigned");
	if (rc != SPM_OK)
		return rc;
	spm__assign_count(&c->run, user);
	c->lead = after->id;
	c->user = user;
	c->rule = c->run.rules.recs[k]->id;
	t->owner_via = "assign";  /* for this create only (lib/core/write.c) */
	t->owner_reason = c->run.why;
	return SPM_OK;
}

int spm__assign_config_write(struct spm__txn *t)
{
	if (!ours(t))
		return SPM_OK;
	if (((struct on_create *)t->hook.payload)->on)
		return spm__error_set(SPM_EINVAL, "this transaction created leads with assignment "
				      "on create: change the pool policy and assignment rules in "
				      "a transaction of their own");
	/* only "off" was read: read the policy again at the next lead */
	release(t);
	memset(&t->hook, 0, sizeof(t->hook));
	return SPM_OK;
}
