/**
 * @file money.h
 * @brief Exact money arithmetic, currencies, rates and their text forms.
 *
 * Amounts are signed 64-bit integers counted in the minor unit of their
 * currency (cents for USD, yen for JPY, fils for KWD). Nothing here uses
 * floating point, allocates, or depends on the locale; every overflow is
 * reported, never wrapped. Rates are integers in parts per million
 * (SPM_PPM): 2% is 20000.
 *
 * The functions are pure and thread-safe; on error they set the calling
 * thread's last-error message (see error.h) and leave every output untouched.
 */
#ifndef SPM_MONEY_H
#define SPM_MONEY_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief How a result that falls between two minor units is rounded. */
typedef enum spm_rounding {
	SPM_ROUND_HALF_EVEN = 0, /**< to nearest; ties to the even neighbour (banker's) */
	SPM_ROUND_HALF_UP = 1,   /**< to nearest; ties away from zero */
	SPM_ROUND_DOWN = 2,      /**< toward zero (truncate) */
	SPM_ROUND_UP = 3,        /**< away from zero */
	SPM_ROUND_FLOOR = 4,     /**< toward negative infinity */
	SPM_ROUND_CEILING = 5    /**< toward positive infinity */
} spm_rounding;

/** @brief One whole in parts per million: a rate of SPM_PPM is 100%. */
#define SPM_PPM 1000000

/**
 * @brief A buffer of this many bytes holds any output of spm_money_format(),
 *        terminating NUL included.
 */
#define SPM_MONEY_FORMAT_MAX 32

/**
 * @brief A buffer of this many bytes holds any output of spm_rate_format(),
 *        terminating NUL included.
 */
#define SPM_RATE_FORMAT_MAX 32

/**
 * @brief The number of minor-unit digits of an ISO 4217 currency.
 * @param[out] out receives the exponent (JPY 0, USD 2, KWD 3, CLF 4)
 * @param code borrowed; three upper-case ASCII letters, NUL-terminated
 * @return SPM_OK; SPM_EINVAL when a pointer is NULL or the code is not an
 *         active ISO 4217 currency (lower case, wrong length, non-ASCII,
 *         unknown, precious metals, XXX).
 */
SPM_API int spm_currency_exponent(int *out, const char *code);

/**
 * @brief Whether a code names an active ISO 4217 currency.
 * @param code borrowed; may be NULL
 * @return 1 when spm_currency_exponent() would accept @p code, else 0.
 *         Never sets the last error.
 */
SPM_API int spm_currency_valid(const char *code);

/**
 * @brief Adds two amounts.
 * @param[out] out receives a + b
 * @param a amount in minor units
 * @param b amount in minor units of the same currency
 * @return SPM_OK; SPM_EINVAL when @p out is NULL; SPM_EOVERFLOW when the sum
 *         leaves the int64_t range.
 */
SPM_API int spm_money_add(int64_t *out, int64_t a, int64_t b);

/**
 * @brief Subtracts one amount from another.
 * @param[out] out receives a - b
 * @param a amount in minor units
 * @param b amount in minor units of the same currency
 * @return SPM_OK; SPM_EINVAL when @p out is NULL; SPM_EOVERFLOW when the
 *         difference leaves the int64_t range.
 */
SPM_API int spm_money_sub(int64_t *out, int64_t a, int64_t b);

/**
 * @brief Multiplies an amount by a whole number (a quantity).
 * @param[out] out receives amount * factor
 * @param amount amount in minor units
 * @param factor any integer
 * @return SPM_OK; SPM_EINVAL when @p out is NULL; SPM_EOVERFLOW when the
 *         product leaves the int64_t range.
 */
SPM_API int spm_money_mul(int64_t *out, int64_t amount, int64_t factor);

/**
 * @brief Multiplies an amount by the fraction num / den, rounded once.
 *
 * The product amount * num is exact (128-bit), so only the final division
 * rounds.
 * @param[out] out receives round(amount * num / den)
 * @param amount amount in minor units
 * @param num numerator, any sign
 * @param den denominator, > 0
 * @param mode one of spm_rounding
 * @return SPM_OK; SPM_EINVAL when @p out is NULL, @p den <= 0 or @p mode is
 *         unknown; SPM_EOVERFLOW when the rounded result leaves the int64_t
 *         range.
 */
SPM_API int spm_money_mul_ratio(int64_t *out, int64_t amount, int64_t num,
				int64_t den, spm_rounding mode);

/**
 * @brief Applies a rate (commission, discount, tax) to an amount.
 *
 * Same as spm_money_mul_ratio(out, amount, rate_ppm, SPM_PPM, mode):
 * 25 at 2% is 0.5, which gives 0 with SPM_ROUND_HALF_EVEN and 1 with
 * SPM_ROUND_HALF_UP.
 * @param[out] out receives round(amount * rate_ppm / 1000000)
 * @param amount amount in minor units
 * @param rate_ppm rate in parts per million, any sign
 * @param mode one of spm_rounding
 * @return SPM_OK; SPM_EINVAL when @p out is NULL or @p mode is unknown;
 *         SPM_EOVERFLOW when the result leaves the int64_t range.
 */
SPM_API int spm_money_apply_rate(int64_t *out, int64_t amount, int64_t rate_ppm,
				 spm_rounding mode);

/**
 * @brief Splits an amount into weighted parts that sum to it exactly.
 *
 * Largest-remainder method: each part first gets the floor of its exact
 * share of |amount|; the units left over go, one each, to the parts with the
 * largest remainders, ties to the lower index. A negative amount is split
 * like its absolute value and every part negated. The result depends only on
 * the inputs (no floating point).
 * @param[out] out_parts caller-owned array of @p n elements; untouched on
 *             error. It may be the same array as @p weights.
 * @param amount amount in minor units
 * @param weights borrowed array of @p n weights, each > 0
 * @param n number of parts, > 0
 * @return SPM_OK; SPM_EINVAL when a pointer is NULL, @p n is 0 or a weight is
 *         <= 0; SPM_EOVERFLOW when the weights' sum exceeds INT64_MAX.
 */
SPM_API int spm_money_split(int64_t *out_parts, int64_t amount,
			    const int64_t *weights, size_t n);

/**
 * @brief Parses a decimal amount strictly, without rounding.
 *
 * Accepted: an optional '-', one or more ASCII digits, then optionally '.'
 * followed by 1 to exponent digits ("12", "-0.05", "1.5" in KWD is 1500).
 * Refused: '+', spaces, thousands separators, exponents, hex, NaN/Inf, "1.",
 * ".5", "", and more decimals than the currency has ("1.001" EUR, "1.5" JPY).
 * INT64_MIN and INT64_MAX minor units are accepted. Locale-independent.
 * @param[out] out receives the amount in minor units; untouched on error
 * @param text borrowed, NUL-terminated
 * @param currency borrowed ISO 4217 code that fixes the number of decimals
 * @return SPM_OK; SPM_EINVAL when a pointer is NULL, the currency is unknown
 *         or the text is malformed; SPM_EOVERFLOW when the value does not fit
 *         in int64_t minor units.
 */
SPM_API int spm_money_parse(int64_t *out, const char *text, const char *currency);

/**
 * @brief Formats an amount as plain decimal text.
 *
 * Always exactly exponent decimals, '.' as separator, no grouping, '-' for
 * negatives: "1234.56", "-0.05", "1234" in JPY, "1.234" in KWD. The output
 * is accepted back by spm_money_parse().
 * @param[out] buf caller-owned buffer of @p size bytes; receives the
 *             NUL-terminated text; untouched on error
 * @param size size of @p buf; SPM_MONEY_FORMAT_MAX is always enough
 * @param amount amount in minor units
 * @param currency borrowed ISO 4217 code
 * @return SPM_OK; SPM_EINVAL when a pointer is NULL or the currency is
 *         unknown; SPM_ERANGE when the text and its NUL do not fit in @p size.
 */
SPM_API int spm_money_format(char *buf, size_t size, int64_t amount,
			     const char *currency);

/**
 * @brief Parses a rate strictly into parts per million.
 *
 * Either a fraction with up to 6 decimals ("0.125", "-0.02", "1") or a
 * percentage with up to 4 decimals and a final '%' ("12.5%"). The same
 * strictness as spm_money_parse() applies; nothing is rounded.
 * @param[out] out_ppm receives the rate (both examples above give 125000);
 *             untouched on error
 * @param text borrowed, NUL-terminated
 * @return SPM_OK; SPM_EINVAL when a pointer is NULL or the text is
 *         malformed or too precise; SPM_EOVERFLOW when the rate does not fit
 *         in int64_t parts per million.
 */
SPM_API int spm_rate_parse(int64_t *out_ppm, const char *text);

/**
 * @brief Formats a rate as a decimal fraction without trailing zeros.
 *
 * 125000 gives "0.125", 1000000 gives "1", -20000 gives "-0.02". The output
 * is accepted back by spm_rate_parse().
 * @param[out] buf caller-owned buffer of @p size bytes; receives the
 *             NUL-terminated text; untouched on error
 * @param size size of @p buf; SPM_RATE_FORMAT_MAX is always enough
 * @param ppm rate in parts per million
 * @return SPM_OK; SPM_EINVAL when @p buf is NULL; SPM_ERANGE when the text
 *         and its NUL do not fit in @p size.
 */
SPM_API int spm_rate_format(char *buf, size_t size, int64_t ppm);

SPM_END_DECLS

#endif
