/* Target warnings (预警), run by spm_db_tick(): each active "target_alert"
 * is checked against every target whose period holds today. check "pace":
 * pace below below_pct once after_elapsed_pct of the period has passed;
 * check "coverage": the weighted pipeline covers less than below_pct of the
 * gap, once after_elapsed_pct has passed. A note per alert and target keeps
 * the last state, so a warning is raised when the state turns on and a
 * recovery when it turns off — never twice in a row. */
#include "domain/target.h"
#include "core/store.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <stdio.h>
#include <string.h>

static int holds(const spm_record *alert, const spm_target_progress *p)
{
	int64_t below = spm__fld_num(alert, "below_pct") * (SPM_PPM / 100);
	int64_t after = spm__fld_num(alert, "after_elapsed_pct") * (SPM_PPM / 100);

	if (p->elapsed_ppm < after || p->elapsed_ppm == 0 || p->target == 0)
		return 0;
	if (spm__fld_is(spm__fld_text(alert, "check"), "pace"))
		return p->pace_ppm < below;
	return p->gap > 0 && p->coverage_ppm < below;
}

static int find_note(spm_record **out, struct spm__txn *t, int64_t alert, int64_t target)
{
	spm_kind *kind = spm__kind_find(t->db, SPM__KIND_TARGET_NOTE, 1);
	spm_scan_cond conds[2] = {
		{ SPM__TNOTE_ALERT, SPM_CMP_EQ, alert, NULL },
		{ SPM__TNOTE_TARGET, SPM_CMP_EQ, target, NULL },
	};
	spm_scan scan = { SPM_SCAN_VERSION, conds, 2, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, kind, &scan);

	*out = NULL;
	if (rc == SPM_OK && page.n) {
		*out = page.recs[0];
		page.recs[0] = NULL;
	}
	spm__page_clear(t->db, &page);
	return rc;
}

static int save_note(struct spm__txn *t, spm_record *note, int64_t alert, int64_t target,
		     int state)
{
	int rc = spm__record_put_int(note, SPM__TNOTE_ALERT, alert);

	if (rc == SPM_OK)
		rc = spm__record_put_int(note, SPM__TNOTE_TARGET, target);
	if (rc == SPM_OK)
		rc = spm__record_put_int(note, SPM__TNOTE_STATE, state);
	if (rc == SPM_OK)
		rc = spm__record_put_int(note, SPM__TNOTE_AT, t->at);
	if (rc != SPM_OK)
		return rc;
	if (note->id == 0)
		return spm__txn_put_system(t, note);
	note->seq = t->seq;
	return spm__store_put(t->db, note);
}

static int check(struct spm__txn *t, const spm_record *alert, const spm_record *target,
		 const spm_target_progress *prog)
{
	spm_target_progress p = *prog;
	spm_record *note = NULL;
	char payload[512];
	int on, was, rc;

	on = holds(alert, &p);
	rc = find_note(&note, t, alert->id, target->id);
	was = note && spm_record_value_int(note, SPM__TNOTE_STATE);
	if (rc != SPM_OK || on == was) {
		spm_record_free(note);
		return rc;
	}
	snprintf(payload, sizeof(payload),
		 "{\"alert\":%lld,\"check\":\"%s\",\"owner_kind\":\"%s\",\"owner_ref\":%lld,"
		 "\"target\":%lld,\"attained\":%lld,\"expected\":%lld,\"pace_ppm\":%lld,"
		 "\"elapsed_ppm\":%lld,\"gap\":%lld,\"pipeline\":%lld,\"coverage_ppm\":%lld}",
		 (long long)alert->id, spm__fld_text(alert, "check"), p.owner_kind,
		 (long long)p.owner_ref, (long long)p.target, (long long)p.attained,
		 (long long)p.expected, (long long)p.pace_ppm, (long long)p.elapsed_ppm,
		 (long long)p.gap, (long long)p.pipeline, (long long)p.coverage_ppm);
	rc = spm__txn_event(t, on ? SPM_EVENT_TARGET_WARNING : SPM_EVENT_TARGET_RECOVERED,
			    "target", target->id, payload);
	if (rc == SPM_OK && note == NULL)
		rc = spm__record_make(&note, t->db, spm__kind_find(t->db, SPM__KIND_TARGET_NOTE, 1));
	if (rc == SPM_OK)
		rc = save_note(t, note, alert->id, target->id, on);
	spm_record_free(note);
	return rc;
}

static int current(const spm_record *target, spm_date today)
{
	struct spm__tperiod per;

	return spm__target_period(&per, target) == SPM_OK && per.start <= today &&
	       today <= per.end;
}

static int active(const spm_record *alert)
{
	return !spm__fld_has(alert, "active") || spm__fld_num(alert, "active");
}

static int checked_by(const spm_record *alert, const spm_record *target)
{
	const char *metric = spm__fld_text(alert, "metric");

	return active(alert) &&
	       (metric == NULL || spm__fld_is(spm__fld_text(target, "metric"), metric));
}

/* The progress of every current target some active alert checks, all at
 * once: prog[j] for targets.recs[j] when need[j]. */
static int progress_all(spm_db *db, const struct spm__page *alerts,
			const struct spm__page *targets, spm_date today, uint8_t *need,
			spm_target_progress *prog)
{
	const spm_record **pick = spm__malloc(db, (targets->n + 1) * sizeof(*pick));
	spm_target_progress *got = spm__malloc(db, (targets->n + 1) * sizeof(*got));
	size_t n = 0;
	int rc = pick && got ? SPM_OK : spm__error_oom();

	for (size_t j = 0; rc == SPM_OK && j < targets->n; j++) {
		need[j] = 0;
		for (size_t i = 0; !need[j] && i < alerts->n; i++)
			need[j] = checked_by(alerts->recs[i], targets->recs[j]);
		need[j] = need[j] && current(targets->recs[j], today);
		if (need[j])
			pick[n++] = targets->recs[j];
	}
	if (rc == SPM_OK)
		rc = spm__progress_many(db, pick, n, today, got);
	for (size_t j = 0, k = 0; rc == SPM_OK && j < targets->n; j++)
		if (need[j])
			prog[j] = got[k++];
	spm__free(db, pick);
	spm__free(db, got);
	return rc;
}

int spm__target_warn_run(spm_db *db, spm_time now)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page alerts = { NULL, 0, 0 }, targets = { NULL, 0, 0 };
	spm_kind *ak = spm__kind_find(db, "target_alert", 0);
	spm_target_progress *prog = NULL;
	uint8_t *need = NULL;
	struct spm__txn t;
	spm_date today;
	int rc;

	if (ak == NULL || spm_date_from_time(&today, now) != SPM_OK)
		return SPM_OK;
	/* the figures are computed before the write transaction, so that they
	 * come from the analytics cache (never filled inside one) */
	rc = spm__scan_page(db, &alerts, ak, &all);
	if (rc == SPM_OK && alerts.n)
		rc = spm__scan_page(db, &targets, spm__kind_find(db, "target", 0), &all);
	if (rc == SPM_OK && targets.n) {
		need = spm__malloc(db, targets.n);
		prog = spm__malloc(db, targets.n * sizeof(*prog));
		rc = need && prog ? progress_all(db, &alerts, &targets, today, need, prog)
				  : spm__error_oom();
	}
	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		goto out;
	t.at = now;  /* the checks run at the tick's now, not the handle's clock */
	for (size_t i = 0; rc == SPM_OK && i < alerts.n; i++)
		for (size_t j = 0; rc == SPM_OK && j < targets.n; j++)
			if (need[j] && checked_by(alerts.recs[i], targets.recs[j]))
				rc = check(&t, alerts.recs[i], targets.recs[j], &prog[j]);
	if (rc != SPM_OK || t.nev == 0)
		spm__txn_abort(&t);
	else
		rc = spm__txn_commit(&t);
out:
	spm__page_clear(db, &alerts);
	spm__page_clear(db, &targets);
	spm__free(db, need);
	spm__free(db, prog);
	return rc;
}
