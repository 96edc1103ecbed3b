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
/* The whole file, NUL-terminated, its length in *len (len may be NULL);
 * NULL when it cannot be read. The caller frees it. */
char *cli_read_file(const char *path, size_t *len);
/* A mapping file's "CSV header=field" lines ('#' comments; "header=" maps to
 * NULL) into a flat array of pairs pointing into text, which it cuts up;
 * the caller frees *pairs. 0 on a malformed line or no memory. */
int cli_parse_map(char *text, const char ***pairs, size_t *npairs);

/* Each area's commands (spm_<area>.c). */
extern const char cli_help_pipeline[];
int cli_cmd_pipeline(struct ctx *c, int argc, char **argv);
extern const char cli_help_opportunity[];
int cli_cmd_opportunity(struct ctx *c, int argc, char **argv);
/* spm_import_opps.c: spm opps import|export */
extern const char cli_help_import_opps[];
int cli_cmd_import_opps(struct ctx *c, int argc, char **argv);
/* Each area's command (spm_<area>.c). */
extern const char cli_help_customers[];
int cli_cmd_customers(struct ctx *c, int argc, char **argv);
/* The areas' commands (spm_<area>.c). */
extern const char cli_help_quote[], cli_help_contract[], cli_help_task[], cli_help_comment[],
	cli_help_approval[];
int cli_cmd_quote(struct ctx *c, int argc, char **argv);
int cli_cmd_contract(struct ctx *c, int argc, char **argv);
int cli_cmd_task(struct ctx *c, int argc, char **argv);
int cli_cmd_comment(struct ctx *c, int argc, char **argv);
int cli_cmd_approval(struct ctx *c, int argc, char **argv);
/* Each area's command (spm_<area>.c). */
extern const char cli_help_target[];
int cli_cmd_target(struct ctx *c, int argc, char **argv);
/* Each area's command (one file each). */
extern const char cli_help_report[];
int cli_cmd_report(struct ctx *c, int argc, char **argv);
/* spm_audit.c: spm audit head|verify (spm.c's audit command hands them on). */
int cli_audit_chain(struct ctx *c, int argc, char **argv);
/* spm_demo.c: spm demo (examples/demo/ holds the generator and the report). */
extern const char cli_help_demo[];
int cli_cmd_demo(struct ctx *c, int argc, char **argv);

#endif
