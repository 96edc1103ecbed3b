/* Moving a deal between stages: the pipeline's transition rules (skip,
 * back, reopen), the gates of the stages left behind, overrides, the
 * history row, won/lost/reopened and their events. One transaction. */
#include "domain/pipeline.h"
#include "domain/collab.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/utf8.h"
#include "core/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct move {
	struct spm__txn *t;
	spm_record *deal, *from, *to, *pipeline;
	struct spm__page stages;
	struct spm__opp_rows rows;
	long fi, ti;         /* positions of from and to in stages (-1: none) */
	int64_t history_id;
};

static int get(spm_record **out, struct spm__txn *t, const char *kind, int64_t id)
{
	int rc = t->db->ops->get(t->db->store, out, spm__kind_find(t->db, kind, 0), id);

	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "%s %lld does not exist", kind, (long long)id);
	return rc;
}

static int is_open(const spm_record *stage)
{
	return strcmp(spm__stage_outcome(stage), "open") == 0;
}

static long index_of(const struct spm__page *stages, int64_t id)
{
	for (size_t i = 0; i < stages->n; i++)
		if (stages->recs[i]->id == id)
			return (long)i;
	return -1;
}

static int load(struct move *m, int64_t deal, int64_t to_stage)
{
	struct spm__scope *s;
	int seen = 0;
	int rc = get(&m->deal, m->t, "opportunity", deal);

	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, m->t);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, m->t->db, m->deal);
	if (rc == SPM_OK && !seen)
		rc = spm__error_set(SPM_ENOTFOUND, "opportunity %lld does not exist", (long long)deal);
	if (rc == SPM_OK)
		rc = get(&m->to, m->t, "stage", to_stage);
	if (rc == SPM_OK && spm__fld_num(m->to, "pipeline_id") != spm__fld_num(m->deal, "pipeline_id"))
		rc = spm__error_set(SPM_EINVAL, "stage %lld is not in the pipeline of opportunity "
				    "%lld", (long long)to_stage, (long long)deal);
	if (rc == SPM_OK && spm__fld_has(m->deal, "stage_id")) {
		rc = get(&m->from, m->t, "stage", spm__fld_num(m->deal, "stage_id"));
		if (rc == SPM_ENOTFOUND)
			rc = SPM_OK;  /* a deal whose stage was lost may go anywhere */
	}
	if (rc == SPM_OK && m->from && m->from->id == to_stage)
		rc = spm__error_set(SPM_EINVAL, "opportunity %lld is already in stage '%s'",
				    (long long)deal, spm__fld_text(m->to, "name"));
	if (rc == SPM_OK)
		rc = get(&m->pipeline, m->t, "pipeline", spm__fld_num(m->deal, "pipeline_id"));
	if (rc == SPM_OK)
		rc = spm__pipeline_stages(&m->stages, m->t->db, m->pipeline->id);
	m->fi = m->from ? index_of(&m->stages, m->from->id) : -1;
	m->ti = index_of(&m->stages, to_stage);
	return rc;
}

static int refuse(const struct move *m, const char *flag, const char *what)
{
	return spm__error_set(SPM_EINVAL, "pipeline '%s' does not allow %s (%s is off): "
			      "opportunity %lld from '%s' to '%s'",
			      spm__fld_text(m->pipeline, "name"), what, flag, (long long)m->deal->id,
			      m->from ? spm__fld_text(m->from, "name") : "(none)",
			      spm__fld_text(m->to, "name"));
}

/* The transition rules. *gates receives the number of stages whose gate
 * applies: from and the open stages skipped (0 when none applies). */
static int check_transition(const struct move *m, int *reopening, int *forward)
{
	int back = spm__fld_num(m->pipeline, "allow_back") != 0;
	int skip = spm__fld_num(m->pipeline, "allow_skip") != 0;

	*reopening = m->from && !is_open(m->from);
	*forward = 0;
	if (*reopening)
		return back ? SPM_OK : refuse(m, "allow_back", "reopening a closed deal");
	if (strcmp(spm__stage_outcome(m->to), "lost") == 0 || m->fi < 0)
		return SPM_OK;  /* losing is possible from every open stage */
	if (m->ti < m->fi)
		return back ? SPM_OK : refuse(m, "allow_back", "moving back");
	*forward = 1;
	for (long i = m->fi + 1; i < m->ti; i++)
		if (is_open(m->stages.recs[i]) && !skip)
			return refuse(m, "allow_skip", "skipping a stage");
	return SPM_OK;
}

static int check_gates(struct move *m, struct spm_gate_report **unmet)
{
	int rc = spm__opp_rows_load(&m->rows, m->t->db, m->deal->id);

	if (rc == SPM_OK)
		rc = spm__gate_check(unmet, m->t, m->from, m->deal, &m->rows);
	for (long i = m->fi + 1; rc == SPM_OK && i < m->ti; i++)
		if (is_open(m->stages.recs[i]))
			rc = spm__gate_check(unmet, m->t, m->stages.recs[i], m->deal, &m->rows);
	return rc;
}

static int save_deal(struct move *m, spm_record **stored)
{
	spm_record *after = NULL;
	const char *outcome = spm__stage_outcome(m->to);
	int rc = spm__record_copy(&after, m->deal);

	if (rc == SPM_OK)
		rc = spm__fld_put_num(after, "stage_id", m->to->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(after, "status", outcome);
	if (rc == SPM_OK && strcmp(outcome, "open") != 0)
		rc = spm__fld_put_num(after, "closed_at", m->t->at);
	else if (rc == SPM_OK && spm__fld_has(after, "closed_at"))
		spm__record_put_null(after, (size_t)spm__fld_idx(after, "closed_at"));
	if (rc == SPM_OK)
		rc = spm__fld_put_num(after, "stage_entered_at", m->t->at);
	if (rc == SPM_OK)
		rc = spm__write_save(m->t, after, stored);
	spm_record_free(after);
	return rc;
}

static int save_history(struct move *m, const char *override_reason)
{
	spm_record *h = NULL, *stored = NULL;
	size_t amount;
	int rc = spm__record_make(&h, m->t->db, spm__kind_find(m->t->db, "stage_history", 0));

	if (rc == SPM_OK)
		rc = spm__fld_put_num(h, "opportunity_id", m->deal->id);
	if (rc == SPM_OK && m->from)
		rc = spm__fld_put_num(h, "from_stage_id", m->from->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(h, "to_stage_id", m->to->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(h, "at", m->t->at);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(h, "actor", m->t->db->actor);
	if (rc == SPM_OK && spm__fld_has(m->deal, "stage_entered_at"))
		rc = spm__fld_put_num(h, "seconds_in_from",
				      m->t->at - spm__fld_num(m->deal, "stage_entered_at"));
	amount = (size_t)spm__fld_idx(m->deal, "amount");
	if (rc == SPM_OK && m->deal->v[amount].has)
		rc = spm__record_put_money(h, (size_t)spm__fld_idx(h, "amount"),
					   m->deal->v[amount].i, m->deal->v[amount].cur);
	if (rc == SPM_OK && override_reason)
		rc = spm__fld_put_text(h, "override_reason", override_reason);
	if (rc == SPM_OK)
		rc = spm__write_save(m->t, h, &stored);
	if (rc == SPM_OK)
		m->history_id = stored->id;
	spm_record_free(stored);
	spm_record_free(h);
	return rc;
}

static int event(struct move *m, int type, json_t *payload)
{
	char *text;
	int rc;

	if (payload == NULL)
		return spm__error_oom();
	text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(payload);
	if (text == NULL)
		return spm__error_oom();
	rc = spm__txn_event(m->t, type, "opportunity", m->deal->id, text);
	free(text);
	return rc;
}

static int events(struct move *m, const struct spm_gate_report *unmet, const char *reason,
		  int reopening)
{
	const char *outcome = spm__stage_outcome(m->to);
	int64_t from = m->from ? m->from->id : 0;
	int rc = event(m, SPM_EVENT_STAGE_CHANGED,
		       json_pack("{s:I,s:I,s:I,s:I}", "from", (json_int_t)from, "to",
				 (json_int_t)m->to->id, "seconds_in_from",
				 (json_int_t)(m->t->at - spm__fld_num(m->deal, "stage_entered_at")),
				 "history_id", (json_int_t)m->history_id));

	if (rc == SPM_OK && unmet && reason) {
		json_t *names = json_array();
		for (size_t i = 0; names && i < unmet->n; i++)
			json_array_append_new(names, json_string(unmet->items[i].name));
		rc = spm__txn_audit(m->t, SPM_AUDIT_UPDATE, "opportunity", m->deal->id,
				    "gate_override", NULL, reason);
		if (rc == SPM_OK)
			rc = event(m, SPM_EVENT_GATE_OVERRIDDEN,
				   names ? json_pack("{s:I,s:s,s:o}", "stage", (json_int_t)from,
						     "reason", reason, "unmet", names) : NULL);
		else
			json_decref(names);
	}
	if (rc == SPM_OK && strcmp(outcome, "won") == 0)
		rc = event(m, SPM_EVENT_OPPORTUNITY_WON, json_pack("{s:I}", "stage",
								   (json_int_t)m->to->id));
	if (rc == SPM_OK && strcmp(outcome, "lost") == 0)
		rc = event(m, SPM_EVENT_OPPORTUNITY_LOST,
			   json_pack("{s:I,s:s}", "stage", (json_int_t)m->to->id, "lost_reason",
				     spm__fld_text(m->deal, "lost_reason")));
	if (rc == SPM_OK && reopening && strcmp(outcome, "open") == 0)
		rc = event(m, SPM_EVENT_OPPORTUNITY_REOPENED,
			   json_pack("{s:I,s:I}", "from", (json_int_t)from, "to",
				     (json_int_t)m->to->id));
	return rc;
}

static int check_reason(const char *reason)
{
	size_t len;

	if (reason == NULL)
		return SPM_OK;
	len = strlen(reason);
	if (len == 0 || len > 500 || !spm__utf8_valid(reason, len))
		return spm__error_set(SPM_EINVAL, "override reason: must be 1..500 bytes of UTF-8");
	return SPM_OK;
}

int spm__opportunity_move_txn(struct spm__txn *t, struct spm_gate_report **unmet, int64_t deal,
			      int64_t to_stage, const char *override_reason,
			      struct spm__move_approval *approval)
{
	struct spm__move_approval ignored = { NULL, 0 };
	struct move m;
	spm_record *stored = NULL;
	unsigned int flags = t->domain_flags;
	int reopening = 0, forward = 0;
	int rc = check_reason(override_reason);

	memset(&m, 0, sizeof(m));
	m.t = t;
	*unmet = NULL;
	if (rc == SPM_OK)
		rc = load(&m, deal, to_stage);
	if (rc == SPM_OK)
		rc = check_transition(&m, &reopening, &forward);
	if (rc == SPM_OK && forward)
		rc = check_gates(&m, unmet);
	if (rc == SPM_OK && *unmet && override_reason == NULL)
		rc = spm__error_set(SPM_EGATE, "opportunity %lld cannot leave stage '%s': %zu "
				    "criteria unmet (first: %s: %s)", (long long)deal,
				    spm__fld_text(m.from, "name"), (*unmet)->n,
				    (*unmet)->items[0].name, (*unmet)->items[0].why);
	if (rc == SPM_OK && (*unmet || reopening)) {
		struct spm__stage_move sm = { m.deal, m.from, m.to, *unmet,
					      *unmet ? override_reason : NULL, reopening };
		rc = spm__stage_move_guard(t, &sm, approval ? approval : &ignored);
	}
	if (rc == SPM_OK && strcmp(spm__stage_outcome(m.to), "lost") == 0 &&
	    !spm__fld_has(m.deal, "lost_reason"))
		rc = spm__error_set(SPM_EINVAL, "opportunity %lld: set lost_reason before moving it "
				    "to the lost stage '%s'", (long long)deal,
				    spm__fld_text(m.to, "name"));
	t->domain_flags |= SPM__TXN_STAGE_MOVE;
	if (rc == SPM_OK)
		rc = save_deal(&m, &stored);
	if (rc == SPM_OK)
		rc = save_history(&m, *unmet ? override_reason : NULL);
	t->domain_flags = flags;
	if (rc == SPM_OK)
		rc = events(&m, *unmet, override_reason, reopening);
	spm_record_free(stored);
	spm__opp_rows_clear(t->db, &m.rows);
	spm__page_clear(t->db, &m.stages);
	spm_record_free(m.pipeline);
	spm_record_free(m.to);
	spm_record_free(m.from);
	spm_record_free(m.deal);
	return rc;
}

int spm_opportunity_move(spm_gate_report **out_unmet, spm_db *db, int64_t opportunity,
			 int64_t to_stage, const char *override_reason)
{
	struct spm_gate_report *unmet = NULL;
	struct spm__move_approval approval = { NULL, 0 };
	struct spm__txn t;
	int rc;

	if (out_unmet)
		*out_unmet = NULL;
	SPM__CHECK_ARG(db);
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = spm__opportunity_move_txn(&t, &unmet, opportunity, to_stage, override_reason,
				       &approval);
	if (rc == SPM_OK) {
		rc = spm__txn_commit(&t);
	} else if (rc == SPM_EAPPROVAL && approval.action) {
		/* keep the new request; the move waits for its approval */
		spm_record *deal = NULL;

		rc = spm__collab_get(&deal, db, "opportunity", opportunity);
		rc = rc == SPM_OK ? spm__approval_finish(&t, approval.action, deal, approval.pending)
				  : (spm__txn_abort(&t), rc);
		spm_record_free(deal);
	} else {
		spm__txn_abort(&t);
	}
	if (unmet && out_unmet && (rc == SPM_OK || rc == SPM_EGATE))
		*out_unmet = unmet;
	else
		spm_gate_report_free(unmet);
	return rc;
}

int spm_opportunity_check_gate(spm_gate_report **out_unmet, spm_db *db, int64_t opportunity)
{
	struct spm__scope *s = NULL;
	struct spm__txn t;
	struct move m;
	int seen = 0;
	int rc;

	SPM__CHECK_ARG(out_unmet);
	*out_unmet = NULL;
	SPM__CHECK_ARG(db);
	memset(&t, 0, sizeof(t));
	memset(&m, 0, sizeof(m));
	t.db = db;
	t.at = spm_db_now(db);
	m.t = &t;
	rc = spm__read_begin(db);
	if (rc != SPM_OK)
		return rc;
	/* the actor first: one who may see nothing learns nothing, not even
	 * whether the deal exists */
	rc = spm__txn_scope(&s, &t);
	if (rc == SPM_OK)
		rc = get(&m.deal, &t, "opportunity", opportunity);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, db, m.deal);
	if (rc == SPM_OK && !seen)
		rc = spm__error_set(SPM_ENOTFOUND, "opportunity %lld does not exist",
				    (long long)opportunity);
	if (rc == SPM_OK)
		rc = get(&m.from, &t, "stage", spm__fld_num(m.deal, "stage_id"));
	if (rc == SPM_OK)
		rc = spm__opp_rows_load(&m.rows, db, opportunity);
	if (rc == SPM_OK)
		rc = spm__gate_check(out_unmet, &t, m.from, m.deal, &m.rows);
	spm__read_end(db);
	if (rc != SPM_OK) {
		spm_gate_report_free(*out_unmet);
		*out_unmet = NULL;
	}
	if (t.scope) {
		spm__scope_free(db, t.scope);
		spm__free(db, t.scope);
	}
	spm__opp_rows_clear(db, &m.rows);
	spm_record_free(m.from);
	spm_record_free(m.deal);
	return rc;
}
