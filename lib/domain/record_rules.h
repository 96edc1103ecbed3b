/* Rules over records: the rule language's environment and context for the
 * fields of one kind (core and custom), so that any domain rule (capacity
 * exemptions, grading, assignment conditions) reads records the same way. */
#ifndef SPM_DOMAIN_RECORD_RULES_H
#define SPM_DOMAIN_RECORD_RULES_H

#include "core/record_internal.h"
#include "rules/rules.h"

struct spm__record_env {
	spm__rule_env env;
	const spm_kind *kind;
};

void spm__record_env_init(struct spm__record_env *e, const spm_kind *kind);
/* A context evaluating rules of that kind against rec at now. */
void spm__record_rule_ctx(spm__rule_ctx *ctx, const spm_record *rec, spm_time now);
/* Compiles text against kind; SPM_EINVAL with "field: position: why". */
int spm__record_rule_compile(spm__rule **out, spm_db *db, const spm_kind *kind,
			     const char *text, const char *what);

#endif
