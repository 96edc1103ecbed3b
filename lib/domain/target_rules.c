/* Targets: what a valid target, custom metric and alert look like, the
 * target's period on its fiscal calendar, and the reason every change must
 * carry into the audit trail. */
#include "domain/target.h"
#include "domain/record_fields.h"
#include "domain/record_rules.h"
#include "core/kinds.h"
#include "core/txn.h"

#include <string.h>

static const char *const period_names[] = { NULL, "day", "week", "month", "quarter", "year" };

int spm__period_kind_parse(spm_period_kind *out, const char *name)
{
	for (int k = SPM_PERIOD_WEEK; k <= SPM_PERIOD_YEAR; k++)
		if (name && strcmp(name, period_names[k]) == 0) {
			*out = (spm_period_kind)k;
			return SPM_OK;
		}
	return spm__error_set(SPM_EINVAL, "period must be week, month, quarter or year, not '%s'",
			      name ? name : "");
}

const char *spm__period_kind_name(spm_period_kind kind)
{
	return kind >= SPM_PERIOD_DAY && kind <= SPM_PERIOD_YEAR ? period_names[kind] : NULL;
}

int spm__target_period(struct spm__tperiod *out, const spm_record *target)
{
	int rc = spm_calendar_init(&out->cal, SPM_CALENDAR_VERSION);

	if (spm__fld_has(target, "fy_start_month"))
		out->cal.year_start_month = (unsigned int)spm__fld_num(target, "fy_start_month");
	if (spm__fld_has(target, "week_start_day"))
		out->cal.week_start_day = (unsigned int)spm__fld_num(target, "week_start_day");
	if (rc == SPM_OK && (out->cal.year_start_month < 1 || out->cal.year_start_month > 12))
		return spm__error_set(SPM_EINVAL, "target.fy_start_month must be 1..12");
	if (rc == SPM_OK && (out->cal.week_start_day < 1 || out->cal.week_start_day > 7))
		return spm__error_set(SPM_EINVAL, "target.week_start_day must be 1..7");
	if (rc == SPM_OK)
		rc = spm__period_kind_parse(&out->kind, spm__fld_text(target, "period_kind"));
	out->start = (spm_date)spm__fld_num(target, "period_start");
	if (rc == SPM_OK)
		rc = spm_period_bounds(NULL, &out->end, &out->cal, out->kind, out->start);
	if (rc == SPM_OK) {
		spm_date first;

		rc = spm_period_bounds(&first, NULL, &out->cal, out->kind, out->start);
		if (rc == SPM_OK && first != out->start) {
			char want[SPM_DATE_FORMAT_MAX];

			spm_date_format(want, sizeof(want), first);
			rc = spm__error_set(SPM_EINVAL, "target.period_start must be the first day "
					    "of its %s (%s)", period_names[out->kind], want);
		}
	}
	return rc;
}

int spm__metric_type(const char *name)
{
	static const char *const names[] = { NULL, "won_amount", "collections", "new_leads",
		"new_customers", "activities", "opportunities_created", "custom" };

	for (int i = 1; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (name && strcmp(name, names[i]) == 0)
			return i;
	return 0;
}

static int one_of(const char *v, const char *a, const char *b, const char *c)
{
	return spm__fld_is(v, a) || spm__fld_is(v, b) || (c && spm__fld_is(v, c));
}

/* Money metrics carry a currency; counts do not. */
static int check_value(struct spm__txn *t, const spm_record *after, int type)
{
	const char *cur = spm__fld_text(after, "currency");
	int money = type == SPM__M_WON || type == SPM__M_COLLECTIONS;

	if (type == SPM__M_CUSTOM) {
		struct spm__metric m;
		int rc = spm__metric_load(&m, t->db, after);

		if (rc != SPM_OK)
			return rc;
		money = m.money;
		spm__metric_free(t->db, &m);
	}
	if (spm__fld_num(after, "value") < 0)
		return spm__error_set(SPM_EINVAL, "target.value cannot be negative (%lld)",
				      (long long)spm__fld_num(after, "value"));
	if (money && !spm_currency_valid(cur))
		return spm__error_set(SPM_EINVAL, "target.currency must be an ISO 4217 code for "
				      "a money metric");
	if (!money && cur)
		return spm__error_set(SPM_EINVAL, "target.currency is only for money metrics");
	return SPM_OK;
}

int spm__target_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	struct spm__tperiod p;
	const char *metric, *weighting, *reason;
	long ri;
	int type, rc;

	(void)before;
	if (after == NULL)
		return SPM_OK;
	ri = spm__fld_idx(after, "reason");
	reason = spm__fld_text(after, "reason");
	if (!after->v[ri].dirty || reason == NULL || reason[0] == '\0')
		return spm__error_set(SPM_EINVAL, "every change of a target needs a reason");
	metric = spm__fld_text(after, "metric");
	type = spm__metric_type(metric);
	if (type == 0)
		return spm__error_set(SPM_EINVAL, "target.metric must be won_amount, collections, "
				      "new_leads, new_customers, activities, "
				      "opportunities_created or custom, not '%s'", metric);
	if ((type == SPM__M_CUSTOM) != spm__fld_has(after, "metric_id"))
		return spm__error_set(SPM_EINVAL, "target.metric_id names the custom metric, and "
				      "only for metric custom");
	if (type != SPM__M_ACTIVITIES && spm__fld_has(after, "activity_type"))
		return spm__error_set(SPM_EINVAL, "target.activity_type is only for activities");
	if (!one_of(spm__fld_text(after, "owner_kind"), "user", "team", NULL))
		return spm__error_set(SPM_EINVAL, "target.owner_kind must be user or team");
	if (spm__fld_num(after, "owner_ref") <= 0)
		return spm__error_set(SPM_EINVAL, "target.owner_ref must name a user or team");
	weighting = spm__fld_text(after, "weighting");
	if (weighting && !one_of(weighting, "days", "working_days", "seasonality"))
		return spm__error_set(SPM_EINVAL, "target.weighting must be days, working_days or "
				      "seasonality");
	if (spm__fld_has(after, "axis") && !one_of(spm__fld_text(after, "axis"), "time", "org", NULL))
		return spm__error_set(SPM_EINVAL, "target.axis must be time or org");
	if (spm__fld_num(after, "parent_id") == after->id && after->id != 0)
		return spm__error_set(SPM_EINVAL, "a target cannot be its own parent");
	rc = spm__target_period(&p, after);
	if (rc == SPM_OK)
		rc = check_value(t, after, type);
	return rc;
}

/* The reason goes into the trail with every change, also when it repeats
 * the previous one (the write layer only records changed values). */
int spm__target_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *reason = after ? spm__fld_text(after, "reason") : NULL;
	const char *old = before ? spm__fld_text(before, "reason") : NULL;

	if (after == NULL || before == NULL || !spm__fld_is(old, reason))
		return SPM_OK;
	return spm__txn_audit(t, SPM_AUDIT_UPDATE, "target", after->id, "reason", old, reason);
}

int spm__target_metric_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	(void)before;
	return after ? spm__metric_def_check(t->db, after) : SPM_OK;
}

int spm__target_alert_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	int64_t below, elapsed;
	const char *metric;

	(void)t;
	(void)before;
	if (after == NULL)
		return SPM_OK;
	if (!one_of(spm__fld_text(after, "check"), "pace", "coverage", NULL))
		return spm__error_set(SPM_EINVAL, "target_alert.check must be pace or coverage");
	below = spm__fld_num(after, "below_pct");
	elapsed = spm__fld_num(after, "after_elapsed_pct");
	if (below <= 0 || below > 1000)
		return spm__error_set(SPM_EINVAL, "target_alert.below_pct must be 1..1000");
	if (elapsed < 0 || elapsed > 100)
		return spm__error_set(SPM_EINVAL, "target_alert.after_elapsed_pct must be 0..100");
	metric = spm__fld_text(after, "metric");
	if (metric && spm__metric_type(metric) == 0)
		return spm__error_set(SPM_EINVAL, "target_alert.metric: unknown metric '%s'", metric);
	return SPM_OK;
}

int spm__target_read(spm_record **out, spm_db *db, int64_t id)
{
	int rc = spm_record_get(out, db, "target", id);

	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "target %lld does not exist", (long long)id);
	return rc;
}
