/* Two processes claim the same lead at the same moment, 50 times: exactly
 * one wins each time and the other gets SPM_ECONFLICT. A plain program: it
 * forks, which Criterion workers do not bear. */
#include <spm/spm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 50

static int fail(const char *what)
{
	fprintf(stderr, "claim_race: %s: %s (%s)\n", what, spm_error_message(),
		spm_result_name(spm_error_code()));
	return 1;
}

static int open_as(spm_db **db, const char *path, int64_t actor)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	o.path = path;
	o.actor = actor;
	return spm_db_open(db, &o);
}

static int64_t add(spm_db *db, const char *kind, const char *const *kv)
{
	spm_record *r;
	int64_t id = -1;

	if (spm_record_new(&r, db, kind) != SPM_OK)
		return -1;
	for (; kv[0]; kv += 2)
		if (spm_record_set_from_text(r, kv[0], kv[1]) != SPM_OK)
			goto out;
	if (spm_record_save(db, r) == SPM_OK)
		id = spm_record_id(r);
out:
	spm_record_free(r);
	return id;
}

#define ADD(db, kind, ...) add(db, kind, (const char *const[]){ __VA_ARGS__, NULL })

/* Waits for the go byte, claims, exits 0 (won), 1 (conflict) or 2. */
static void claimer(const char *path, int64_t actor, int64_t lead, int go)
{
	spm_db *db;
	char byte;
	int rc = open_as(&db, path, actor);

	if (rc != SPM_OK)
		fail("open");
	if (rc != SPM_OK || read(go, &byte, 1) != 1)
		_exit(2);
	rc = spm_lead_claim(db, lead);
	if (rc != SPM_OK && rc != SPM_ECONFLICT)
		fail("claim");
	spm_db_close(db);
	_exit(rc == SPM_OK ? 0 : rc == SPM_ECONFLICT ? 1 : 2);
}

int main(void)
{
	char dir[] = "/tmp/spm-race-XXXXXX", path[64];
	spm_db *db;
	int wins[2] = { 0, 0 };

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/race.sqlite", dir);
	if (open_as(&db, path, 0) != SPM_OK)
		return fail("open");
	if (ADD(db, "role", "name", "rep", "scope", "1") != 1 ||
	    ADD(db, "user", "name", "An", "role_id", "1", "active", "true") != 1 ||
	    ADD(db, "user", "name", "Bo", "role_id", "1", "active", "true") != 2)
		return fail("setup");
	for (int round = 0; round < ROUNDS; round++) {
		int64_t lead = ADD(db, "lead", "company", "Contested");
		int go[2], status[2];
		pid_t pid[2];

		if (lead < 0 || pipe(go) != 0)
			return fail("lead");
		for (int k = 0; k < 2; k++) {
			pid[k] = fork();
			if (pid[k] == 0) {
				close(go[1]);
				claimer(path, k + 1, lead, go[0]);
			}
		}
		close(go[0]);
		if (write(go[1], "gg", 2) != 2)
			return 1;
		close(go[1]);
		for (int k = 0; k < 2; k++) {
			waitpid(pid[k], &status[k], 0);
			status[k] = WIFEXITED(status[k]) ? WEXITSTATUS(status[k]) : 3;
		}
		if (!((status[0] == 0 && status[1] == 1) || (status[0] == 1 && status[1] == 0))) {
			fprintf(stderr, "claim_race: round %d: exit codes %d and %d (want one 0, "
				"one 1)\n", round, status[0], status[1]);
			return 1;
		}
		wins[status[0] == 0 ? 0 : 1]++;
	}
	spm_db_close(db);
	unlink(path);
	rmdir(dir);
	printf("claim_race: %d rounds, exactly one winner each (An %d, Bo %d)\n", ROUNDS, wins[0],
	       wins[1]);
	return 0;
}
