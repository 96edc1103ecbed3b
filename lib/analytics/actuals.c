/* Actuals of targets read from the columnar cache (see actuals.h): tight
 * loops over the cache's arrays instead of decoding records. The rules are
 * those of the storage scan in lib/domain/target_actuals.c, so both give
 * the same figures: a record counts when its date is in the window and it
 * has an owner; amounts must be in the target's currency. */
#include "analytics/actuals.h"
#include "analytics/cache.h"

#include <string.h>

#define DAY 86400u

static int currency_error(const struct spm__acache *c, int64_t id, const char *want)
{
	return spm__error_set(SPM_EINVAL, "opportunity %lld is in %s, the target in %s: no "
			      "implicit exchange", (long long)id, c->cur.s[c->ocur[id]], want);
}

/* A stage's probability in percent: 0 when it has none or is deleted. */
static int64_t probability(const struct spm__acache *c, uint16_t code)
{
	const struct spm__stage *s = code ? &c->stages[code - 1] : NULL;

	return s && s->live && s->probability > 0 ? s->probability : 0;
}

static int deals(const struct spm__acache *c, const struct spm__act_query *q, spm__act_cb cb,
		 void *payload)
{
	uint32_t want = spm__dict_find(&c->cur, q->currency);
	int pipeline = q->what == SPM__ACT_PIPELINE;
	uint8_t status = pipeline ? SPM__OS_OPEN : SPM__OS_WON;
	uint8_t dated = pipeline ? SPM__OF_EXPECT : SPM__OF_CLOSED;
	int rc = SPM_OK;

	for (int64_t id = 1; rc == SPM_OK && id <= c->omax; id++) {
		uint8_t st = c->ostate[id];
		spm_date on;
		int64_t v = 0;

		if ((st & SPM__OS_STATUS) != status || !(st & dated) || c->owner[id] == 0)
			continue;
		on = pipeline ? (spm_date)c->expect[id] : (spm_date)(c->closed[id] / DAY);
		if (on < q->from || on > q->to)
			continue;
		if (st & SPM__OF_AMOUNT) {
			if (c->ocur[id] != want || want == 0)
				return currency_error(c, id, q->currency);
			v = c->amount[id];
			if (pipeline)
				rc = spm_money_mul_ratio(&v, v, probability(c, c->ostage[id]), 100,
							 SPM_ROUND_HALF_EVEN);
		}
		if (rc == SPM_OK)
			rc = cb(c->owner[id], on, v, payload);
	}
	return rc;
}

static int leads(const struct spm__acache *c, const struct spm__act_query *q, spm__act_cb cb,
		 void *payload)
{
	int rc = SPM_OK;

	for (size_t id = 1; rc == SPM_OK && id < c->lcap; id++) {
		spm_date on = (spm_date)(c->lcreated[id] / DAY);

		if (c->lstate[id] && c->lowner[id] && on >= q->from && on <= q->to)
			rc = cb(c->lowner[id], on, 1, payload);
	}
	return rc;
}

static int activities(const struct spm__acache *c, const struct spm__act_query *q,
		      spm__act_cb cb, void *payload)
{
	uint32_t type = q->activity_type ? spm__dict_find(&c->atype_d, q->activity_type) : 0;
	int rc = SPM_OK;

	if (q->activity_type && type == 0)
		return SPM_OK;  /* no activity of that type */
	for (size_t id = 1; rc == SPM_OK && id < c->acap; id++) {
		spm_date on = (spm_date)(c->aat[id] / DAY);

		if (c->alive[id] && c->aowner[id] && (type == 0 || c->atype[id] == type) &&
		    on >= q->from && on <= q->to)
			rc = cb(c->aowner[id], on, 1, payload);
	}
	return rc;
}

int spm__actuals_foreach(int *served, spm_db *db, const struct spm__act_query *q,
			 spm__act_cb cb, void *payload)
{
	unsigned int need = q->what == SPM__ACT_LEADS	   ? SPM__NEED_LEADS
			    : q->what == SPM__ACT_ACTIVITIES ? SPM__NEED_ACTIVITIES
							     : 0;
	struct spm__acache *c = NULL;
	int rc;

	*served = 0;
	if (db->in_txn)
		return SPM_OK;
	rc = spm__acache_get(&c, db, need);
	if (rc == SPM_ERANGE || rc == SPM_ELIMIT)
		return SPM_OK;  /* data the cache cannot hold: the scan reads it */
	if (rc != SPM_OK)
		return rc;
	*served = 1;
	if (q->what == SPM__ACT_LEADS)
		return leads(c, q, cb, payload);
	if (q->what == SPM__ACT_ACTIVITIES)
		return activities(c, q, cb, payload);
	return deals(c, q, cb, payload);
}
