/* Shared by the files of the spm command-line tool: the context, the exit
 * statuses and the helpers of spm.c. Each area of libspm adds its command
 * from its own file (spm_<area>.c) with one line in spm.c's command table. */
#ifndef SPM_CLI_H
#define SPM_CLI_H

#include <spm/spm.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct ctx {
	const char *path;
	int64_t actor;
	int64_t now;
	int has_now;
	spm_db *db;
};

/* A command: its name, what it prints under "commands:" in --help, and the
 * function that runs it with the arguments after its name. */
struct cli_command {
	const char *name;
	const char *help;
	int (*run)(struct ctx *c, int argc, char **argv);
};

/* Prints "spm: " fmt (with arg) and a hint to stderr; returns EXIT_USAGE. */
int cli_usage(const char *fmt, const char *arg);
/* Prints "spm: what: message (CODE)" to stderr; returns EXIT_FAIL. */
int cli_fail(const char *what, int rc);
/* A whole decimal int64; 0 when text is anything else. */
int cli_parse_i64(int64_t *out, const char *text);
/* Opens c->path into c->db (spm_db_open flags); 0 or the exit status. */
int cli_open_db(struct ctx *c, unsigned int flags);

/* Each area's command (one file each). */
extern const char cli_help_report[];
int cli_cmd_report(struct ctx *c, int argc, char **argv);

#endif
