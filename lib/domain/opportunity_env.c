/* The rule language over opportunities: their fields (core and custom) and
 * the relations line_items, activities and stage_history, whose rows are
 * loaded once before evaluating so that evaluation allocates nothing. */
#include "domain/pipeline.h"
#include "core/kinds.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *kind;
} relations[SPM__OPP_NREL] = {
	[SPM__OPP_LINE_ITEMS] = { "line_items", "line_item" },
	[SPM__OPP_ACTIVITIES] = { "activities", "activity" },
	[SPM__OPP_HISTORY] = { "stage_history", "stage_history" },
};

static int relation_cb(uint32_t *out_rel, const spm__rule_env **out_env,
		       const spm__rule_env *env, const char *name, void *payload)
{
	const struct spm__opp_env *e = (const struct spm__opp_env *)env;

	(void)payload;
	for (uint32_t i = 0; i < SPM__OPP_NREL; i++) {
		if (strcmp(relations[i].name, name) == 0) {
			*out_rel = i;
			*out_env = &e->rel[i].env;
			return SPM_OK;
		}
	}
	return SPM_ENOTFOUND;
}

int spm__opp_env_init(struct spm__opp_env *e, spm_db *db)
{
	spm_kind *opp = spm__kind_find(db, "opportunity", 0);

	if (opp == NULL)
		return spm__error_set(SPM_ENOTFOUND, "no kind 'opportunity'");
	spm__record_env_init(&e->self, opp);
	e->self.env.relation = relation_cb;
	for (size_t i = 0; i < SPM__OPP_NREL; i++)
		spm__record_env_init(&e->rel[i], spm__kind_find(db, relations[i].kind, 0));
	return SPM_OK;
}

int spm__opp_rule_compile(spm__rule **out, spm_db *db, const char *text, const char *what)
{
	struct spm__opp_env e;
	spm__rule_diag diag;
	int rc = spm__opp_env_init(&e, db);

	*out = NULL;
	if (rc == SPM_OK)
		rc = spm__rule_compile(out, db, text, &e.self.env, &diag);
	if (rc != SPM_OK) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%s", spm_error_message());
		return spm__error_set(rc, "%s: %s", what, msg);
	}
	if (spm__rule_result_type(*out) != SPM__RULE_BOOLEAN) {
		spm__rule_free(*out);
		*out = NULL;
		return spm__error_set(SPM_EINVAL, "%s: must be a condition (true or false)", what);
	}
	return SPM_OK;
}

int spm__opp_rows_load(struct spm__opp_rows *rows, spm_db *db, int64_t deal)
{
	int rc = SPM_OK;

	memset(rows, 0, sizeof(*rows));
	for (size_t i = 0; rc == SPM_OK && i < SPM__OPP_NREL; i++) {
		spm_kind *k = spm__kind_find(db, relations[i].kind, 0);
		spm_scan_cond cond = { (size_t)spm__core_index(k, "opportunity_id"), SPM_CMP_EQ,
				       deal, NULL };
		spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };

		rc = deal ? spm__scan_page(db, &rows->rel[i], k, &scan) : SPM_OK;
	}
	if (rc != SPM_OK)
		spm__opp_rows_clear(db, rows);
	return rc;
}

void spm__opp_rows_clear(spm_db *db, struct spm__opp_rows *rows)
{
	for (size_t i = 0; i < SPM__OPP_NREL; i++)
		spm__page_clear(db, &rows->rel[i]);
}

static int iterate_cb(const void *row, uint32_t rel, spm__rule_row_cb cb, void *state,
		      void *payload)
{
	const struct spm__opp_rows *rows = payload;
	int rc = 0;

	(void)row;  /* one deal per context: its rows are in payload */
	if (rel >= SPM__OPP_NREL)
		return SPM_EINVAL;
	for (size_t i = 0; rc == 0 && i < rows->rel[rel].n; i++)
		rc = cb(state, rows->rel[rel].recs[i]);
	return rc;
}

void spm__opp_rule_ctx(spm__rule_ctx *ctx, const spm_record *deal, struct spm__opp_rows *rows,
		       spm_time now)
{
	spm__record_rule_ctx(ctx, deal, now);
	ctx->iterate = iterate_cb;
	ctx->payload = rows;
}
