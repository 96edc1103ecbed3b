/* Duplicate-detection keys for leads and customers (issue 3, item 4).
 *
 * Pure functions: no allocation, no handle, no locale. Each writes a
 * NUL-terminated key into the caller's buffer out[0..size) and returns
 * SPM_OK, SPM_EINVAL (input not usable as a key; the message says why) or
 * SPM_ERANGE (out too small). Every error is raised with spm__error_set, and
 * on error out holds "" (when size > 0), never a partial key.
 *
 * Keys are for equality only (two records with equal keys are candidates for
 * "reject, flag or merge"); they are not meant for display. The rules lean
 * towards missing a duplicate rather than inventing one, because a merge moves
 * history for good.
 */
#ifndef SPM_DOMAIN_NORMALIZE_H
#define SPM_DOMAIN_NORMALIZE_H

#include <stddef.h>

/* E-mail key.
 *
 *  - Input must be valid UTF-8 (no NUL).
 *  - Full-width forms U+FF01..U+FF5E (＠, letters, digits, ．) become ASCII
 *    first; then leading/trailing white space (ASCII, U+00A0, U+3000) is
 *    trimmed and ASCII letters are lower-cased, in the local part as well as
 *    the domain (RFC 5321 lets the local part be case-sensitive; no real mail
 *    system is, and a key must not split "Foo@x" from "foo@x"). Non-ASCII
 *    characters are kept as they are: no IDNA/punycode conversion, so
 *    "例え@example.jp" and its punycode form give different keys.
 *  - Loose validation: exactly one '@', a non-empty local part and domain,
 *    no white space or control character anywhere after trimming.
 *    Everything else (dots, '+' tags, quoted local parts) is kept verbatim:
 *    "a.b+x@gmail.com" and "ab@gmail.com" are different keys.
 *
 * The key is never longer than the input: strlen(email) + 1 always suffices.
 */
int spm__norm_email(char *out, size_t size, const char *email);

/* Phone key: the full international number as digits only, no '+'
 * ("8613800138000"), at most 15 digits (E.164).
 *
 *  - Input must be valid UTF-8. Full-width digits, ＋ and full-width
 *    separators are converted first.
 *  - Separators are dropped: space, U+3000, ( ) - . / and the dashes
 *    U+2010..U+2015, U+2212. Anything else that is not a digit is refused
 *    (SPM_EINVAL), letters included, except an extension at the end.
 *  - An extension is dropped: "ext", "ext.", "extension", "x", "#", "转",
 *    "分机" or ";ext=", followed by optional separators or ':' and one or
 *    more digits, and nothing else to the end.
 *  - International form: a leading '+' or "00" (after separators) means the
 *    country code follows; it is kept as written. "(0)" right after the
 *    country code ("+44 (0)20 …") is the national trunk prefix and is
 *    dropped. A '+' anywhere but first is refused; so is a country code
 *    starting with 0. No other exit prefix is known: "011 …" (North America)
 *    is read as a national number.
 *  - National form (no '+' or "00"): default_country (1 to 3 digits, not
 *    starting with 0; "86", "44", "1") is put in front. One leading trunk 0 is
 *    dropped first ("010-6552 9988" → 861065529988, "020 7946 0000" with "44"
 *    → 442079460000). With default_country "1", an 11-digit number starting
 *    with the trunk 1 drops it ("1-415-555-0100" → 14155550100).
 *    A number that carries its country code without '+' or "00"
 *    ("8613800138000") is taken as national and gets the code twice: the
 *    import layer should add the '+' when a column is known to hold it.
 *    default_country NULL or "" refuses national numbers.
 *  - The result has 7 to 15 digits; fewer or more is SPM_EINVAL.
 *  - The country code is not checked against a list, and the national
 *    number is not checked against the country's numbering plan: a trunk 0
 *    is dropped even for countries that keep it in international form
 *    (Italy's fixed lines).
 *
 * out needs at most 16 bytes.
 */
int spm__norm_phone(char *out, size_t size, const char *phone,
		    const char *default_country);

/* Company-name key.
 *
 * Steps, in order:
 *  1. Input must be valid UTF-8 (no NUL), else SPM_EINVAL.
 *  2. Characters are mapped one by one:
 *     - full-width ASCII U+FF01..U+FF5E → ASCII ("ＡＢＣ" → "abc");
 *     - white space (ASCII, U+00A0, U+2000..U+200B, U+202F, U+205F, U+3000,
 *       U+FEFF) → a separator;
 *     - upper case → lower case for ASCII, Latin-1 (U+00C0..U+00DE), basic
 *       Greek and Cyrillic; other scripts keep their case (no full Unicode
 *       case folding, no normalization forms: "é" precomposed and "e" +
 *       U+0301 differ; simplified and traditional Chinese differ);
 *     - '.' and '\'' (and ’) are removed, so that "L.L.C." → "llc",
 *       "S.A." → "sa", "McDonald's" → "mcdonalds";
 *     - every other punctuation or symbol is a separator: ASCII punctuation,
 *       CJK punctuation and brackets (，。、（）【】「」《》〈〉〔〕 …),
 *       · ・ — – … and the rest of U+2010..U+205E, U+3001..U+303F,
 *       U+FE10..U+FE6F, U+FF5F..U+FF65.
 *  3. Legal forms are stripped from the end, repeatedly, until none is left:
 *     - CJK: 股份有限公司, 有限责任公司, 有限責任公司, 有限公司, 公司 (but not
 *       in 分公司 or 总公司/總公司: a branch or a head office is a different
 *       customer), and 株式会社, 有限会社, 合同会社, ㈱, which are also
 *       stripped at the start;
 *     - Latin, as whole words (after a separator, a non-ASCII character or
 *       at the start): co, coltd, ltd, limited, company, inc, incorporated,
 *       corp, corporation, llc, gmbh, ag, kg, sa, sarl, bv, nv, plc, pty, kk.
 *       So "Acme Co., Ltd.", "ACME LTD" and "acme" are one key, and so are
 *       "X GmbH & Co. KG" and "X".
 *     "集团" is kept: "XX集团有限公司" → "xx集团", a different key from
 *     "XX有限公司", because the group and its operating company are
 *     different legal entities and often different customers.
 *     Region words are kept wherever they are ("北京", "(中国)", "Europe"):
 *     they distinguish companies. A legal form followed by something else is
 *     not stripped, so "北京字节跳动科技有限公司（北京）" and
 *     "北京字节跳动科技有限公司" are different keys (the trailing part
 *     usually names another registered entity or a branch).
 *  4. Separators are removed: "Hewlett-Packard" == "Hewlett Packard" ==
 *     "HewlettPackard".
 *  5. An empty result ("Co., Ltd.", "有限公司", "...") is SPM_EINVAL.
 *
 * out must hold the text after step 2 (the mapping never makes text longer):
 * strlen(name) + 1 always suffices; a smaller buffer may give SPM_ERANGE even
 * when the final key would fit.
 */
int spm__norm_company(char *out, size_t size, const char *name);

#endif
