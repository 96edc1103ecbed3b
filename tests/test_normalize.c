/* Duplicate-detection keys (lib/domain/normalize.h): exact keys for a table
 * of real-world spellings, and every error path. */
#include <criterion/criterion.h>

#include <string.h>

#include "spm/error.h"
#include "domain/normalize.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A failure returns the code, records it with a message, and leaves "" in
 * out (never a partial key). */
#define assert_fails(call, code, buf)                                         \
	do {                                                                  \
		memset((buf), 'Z', sizeof(buf));                              \
		spm_error_clear();                                            \
		int rc_ = (call);                                             \
		cr_assert_eq(rc_, (code), "%s returned %s, expected %s",      \
			     #call, spm_result_name(rc_), spm_result_name(code)); \
		cr_assert_eq(spm_error_code(), (code), "%s: error code", #call); \
		cr_assert_neq(spm_error_message()[0], '\0', "%s: no message", #call); \
		cr_assert_eq((buf)[0], '\0', "%s: output not cleared", #call); \
	} while (0)

/* ---- company ---- */

static const struct {
	const char *in;
	const char *key;
} companies[] = {
	/* Chinese legal forms */
	{ "北京字节跳动科技有限公司", "北京字节跳动科技" },
	{ "北京字节跳动科技有限公司（北京）", "北京字节跳动科技有限公司北京" },
	{ "腾讯科技（深圳）有限公司", "腾讯科技深圳" },
	{ "华为技术有限公司", "华为技术" },
	{ "上海浦东发展银行股份有限公司", "上海浦东发展银行" },
	{ "上海　浦东　发展银行股份有限公司", "上海浦东发展银行" },
	{ "小米通讯技术有限责任公司", "小米通讯技术" },
	{ "台積電股份有限公司", "台積電" },
	{ "台灣積體電路製造有限責任公司", "台灣積體電路製造" },
	{ "阿里巴巴集团有限公司", "阿里巴巴集团" },
	{ "中国平安保险（集团）股份有限公司", "中国平安保险集团" },
	{ "【京东】科技公司", "京东科技" },
	{ "《读者》出版社有限公司", "读者出版社" },
	{ "字节跳动北京分公司", "字节跳动北京分公司" },
	{ "中国石油天然气集团总公司", "中国石油天然气集团总公司" },
	{ "ABC科技Co.,Ltd", "abc科技" },
	/* full width */
	{ "ＡＢＣ有限公司", "abc" },
	{ "Ｔｅｎｃｅｎｔ　Ｈｏｌｄｉｎｇｓ　Ｌｉｍｉｔｅｄ", "tencentholdings" },
	{ "ＡＢＣ，Ｉｎｃ．", "abc" },
	/* Japanese */
	{ "株式会社ソニー", "ソニー" },
	{ "ソニー株式会社", "ソニー" },
	{ "㈱ソニー", "ソニー" },
	{ "トヨタ・モビリティ合同会社", "トヨタモビリティ" },
	{ "Sony K.K.", "sony" },
	/* English and European legal forms */
	{ "Acme Co., Ltd.", "acme" },
	{ "ACME LTD", "acme" },
	{ "acme", "acme" },
	{ "Acme Co Ltd", "acme" },
	{ "Acme Co.Ltd", "acme" },
	{ "Acme, Inc", "acme" },
	{ "Apple Inc.", "apple" },
	{ "Apple Incorporated", "apple" },
	{ "Microsoft Corporation", "microsoft" },
	{ "IBM Corp.", "ibm" },
	{ "Example L.L.C.", "example" },
	{ "Example LLC", "example" },
	{ "Robert Bosch GmbH", "robertbosch" },
	{ "Siemens AG", "siemens" },
	{ "Muster GmbH & Co. KG", "muster" },
	{ "Renault S.A.", "renault" },
	{ "Renault SA", "renault" },
	{ "Dupont S.A.R.L.", "dupont" },
	{ "Philips B.V.", "philips" },
	{ "Shell N.V.", "shell" },
	{ "Barclays PLC", "barclays" },
	{ "Widgets Pty Ltd", "widgets" },
	{ "Widgets Pty. Limited", "widgets" },
	{ "Hewlett-Packard Company", "hewlettpackard" },
	{ "McDonald’s Corporation", "mcdonalds" },
	{ "SOCIÉTÉ GÉNÉRALE S.A.", "sociétégénérale" },
	{ "ПАО Сбербанк", "паосбербанк" },
	/* words that merely end like a legal form stay */
	{ "Costco Wholesale", "costcowholesale" },
	{ "Costco", "costco" },
	{ "Visa", "visa" },
	{ "Acme Europe Ltd", "acmeeurope" },
};

Test(company, table_of_spellings)
{
	char out[256];

	for (size_t i = 0; i < COUNT(companies); i++) {
		int rc = spm__norm_company(out, sizeof out, companies[i].in);

		cr_expect_eq(rc, SPM_OK, "%s: %s", companies[i].in, spm_error_message());
		cr_expect_str_eq(out, companies[i].key, "%s", companies[i].in);
	}
}

Test(company, spellings_of_one_company_share_a_key)
{
	static const char *const acme[] = {
		"Acme Co., Ltd.", "ACME LTD", "acme", "Acme Inc.", "ＡＣＭＥ有限公司",
		"  Acme   Corporation ", "ACME, L.L.C.", "acme gmbh", "Acme (Co.) Ltd",
		"株式会社ACME",
	};
	char first[64], out[64];

	cr_assert_eq(spm__norm_company(first, sizeof first, acme[0]), SPM_OK);
	for (size_t i = 1; i < COUNT(acme); i++) {
		cr_assert_eq(spm__norm_company(out, sizeof out, acme[i]), SPM_OK, "%s", acme[i]);
		cr_expect_str_eq(out, first, "%s", acme[i]);
	}
}

Test(company, region_in_brackets_keeps_companies_apart)
{
	char a[128], b[128];

	cr_assert_eq(spm__norm_company(a, sizeof a, "北京字节跳动科技有限公司"), SPM_OK);
	cr_assert_eq(spm__norm_company(b, sizeof b, "北京字节跳动科技有限公司（北京）"), SPM_OK);
	cr_assert_str_neq(a, b);
	cr_assert_eq(spm__norm_company(b, sizeof b, "北京字节跳动科技有限公司(北京)"), SPM_OK);
	cr_assert_str_eq(b, "北京字节跳动科技有限公司北京");
}

Test(company, group_is_kept)
{
	char a[128], b[128];

	cr_assert_eq(spm__norm_company(a, sizeof a, "万达集团股份有限公司"), SPM_OK);
	cr_assert_eq(spm__norm_company(b, sizeof b, "万达股份有限公司"), SPM_OK);
	cr_assert_str_eq(a, "万达集团");
	cr_assert_str_eq(b, "万达");
}

Test(company, only_a_legal_form_is_refused)
{
	static const char *const bad[] = {
		"Co., Ltd.", "有限公司", "股份有限公司", "株式会社", "GmbH & Co. KG", "...",
		"", "   ", "（）", "Inc.",
	};
	char out[64];

	for (size_t i = 0; i < COUNT(bad); i++)
		assert_fails(spm__norm_company(out, sizeof out, bad[i]), SPM_EINVAL, out);
}

Test(company, invalid_utf8_is_refused)
{
	static const char *const bad[] = {
		"Acme\xFF", "\xC0\xAF" "Acme", "Acme\xED\xA0\x80", "\xF4\x90\x80\x80",
		"Acme\xE5\x8C", "\x80" "Acme",
	};
	char out[64];

	for (size_t i = 0; i < COUNT(bad); i++)
		assert_fails(spm__norm_company(out, sizeof out, bad[i]), SPM_EINVAL, out);
}

Test(company, small_buffer_is_erange)
{
	char out[8];

	/* "abcdefgh" needs 9 bytes. */
	assert_fails(spm__norm_company(out, sizeof out, "ABCDEFGH"), SPM_ERANGE, out);
	out[0] = 'Z';
	cr_assert_eq(spm__norm_company(out, 0, "A"), SPM_ERANGE);
	cr_assert_eq(out[0], 'Z', "size 0: nothing written");
	cr_assert_eq(spm__norm_company(out, sizeof out, "ABCDEFG"), SPM_OK);
	cr_assert_str_eq(out, "abcdefg");
	/* strlen + 1 always suffices */
	{
		const char *in = "ＡＢＣ有限公司";
		char exact[64];

		cr_assert_eq(spm__norm_company(exact, strlen(in) + 1, in), SPM_OK);
		cr_assert_str_eq(exact, "abc");
	}
}

Test(company, null_arguments_are_einval)
{
	char out[8];

	cr_assert_eq(spm__norm_company(NULL, 8, "a"), SPM_EINVAL);
	cr_assert_eq(spm__norm_company(out, sizeof out, NULL), SPM_EINVAL);
}

/* ---- phone ---- */

static const struct {
	const char *in;
	const char *country;
	const char *key;
} phones[] = {
	{ "+86 138-0013-8000", "86", "8613800138000" },
	{ "+86 138-0013-8000", NULL, "8613800138000" },
	{ "0086 13800138000", "86", "8613800138000" },
	{ "0086 13800138000", "44", "8613800138000" },
	{ "138 0013 8000", "86", "8613800138000" },
	{ "13800138000", "86", "8613800138000" },
	{ "＋８６ １３８ ００１３ ８０００", "86", "8613800138000" },
	{ "１３８－００１３－８０００", "86", "8613800138000" },
	{ "+86 138 0013 8000 #12", "86", "8613800138000" },
	{ "(010) 6552-9988", "86", "861065529988" },
	{ "010-65529988", "86", "861065529988" },
	{ "010-6552 9988 转 12", "86", "861065529988" },
	{ "010-65529988分机12", "86", "861065529988" },
	{ "+86 10 6552 9988", "1", "861065529988" },
	{ "+1 (415) 555-0100 x23", "86", "14155550100" },
	{ "+1 415 555 0100 ext. 23", "86", "14155550100" },
	{ "+1 415 555 0100 extension 23", "86", "14155550100" },
	{ "+1 415 555 0100;ext=23", "86", "14155550100" },
	{ "(415) 555-0100", "1", "14155550100" },
	{ "415.555.0100", "1", "14155550100" },
	{ "1-415-555-0100", "1", "14155550100" },
	{ "+44 (0)20 7946 0000", "86", "442079460000" },
	{ "0044 (0)20 7946 0000", "86", "442079460000" },
	{ "020 7946 0000", "44", "442079460000" },
	{ "+49 30 1234567", "86", "49301234567" },
	{ "+49/30/1234567", "86", "49301234567" },
	{ "+86\xe2\x80\x94" "138\xe2\x80\x94" "0013\xe2\x80\x94" "8000", "86", "8613800138000" },
	{ "  +86 13800138000  ", "86", "8613800138000" },
};

Test(phone, table_of_spellings)
{
	char out[16];

	for (size_t i = 0; i < COUNT(phones); i++) {
		int rc = spm__norm_phone(out, sizeof out, phones[i].in, phones[i].country);

		cr_expect_eq(rc, SPM_OK, "%s: %s", phones[i].in, spm_error_message());
		cr_expect_str_eq(out, phones[i].key, "%s", phones[i].in);
	}
}

Test(phone, bad_numbers_are_refused)
{
	static const struct {
		const char *in;
		const char *country;
	} bad[] = {
		{ "138-0013-800O", "86" },           /* a letter O */
		{ "call me", "86" },
		{ "1234", "86" },                    /* 6 digits with the country code */
		{ "+86 1380013800012345", "86" },    /* 19 digits */
		{ "1380013800012345678901234567890123", "86" },
		{ "13800138000", NULL },             /* no country at all */
		{ "13800138000", "" },
		{ "+0 123 4567", "86" },
		{ "0000 1234567", "86" },
		{ "00", "86" },
		{ "86+13800138000", "86" },
		{ "++86 13800138000", "86" },
		{ "", "86" },
		{ "  - ", "86" },
		{ "x12", "86" },
		{ "138 0013 8000 ext", "86" },
		{ "138 0013 8000 ext 1a", "86" },
		{ "138 0013 8000 x 12 x", "86" },
		{ "138*0013*8000", "86" },
		{ "138\t0013\x01" "8000", "86" },
		{ "13800138000", "086" },
		{ "13800138000", "8a" },
		{ "13800138000", "1234" },
		{ "\xFF" "13800138000", "86" },
		{ "138\xC0\xB0", "86" },
	};
	char out[16];

	for (size_t i = 0; i < COUNT(bad); i++) {
		memset(out, 'Z', sizeof out);
		spm_error_clear();
		cr_expect_eq(spm__norm_phone(out, sizeof out, bad[i].in, bad[i].country), SPM_EINVAL,
			     "%s accepted as %s", bad[i].in, out);
		cr_expect_eq(spm_error_code(), SPM_EINVAL, "%s", bad[i].in);
		cr_expect_eq(out[0], '\0', "%s", bad[i].in);
	}
}

Test(phone, seven_to_fifteen_digits)
{
	char out[16];

	cr_assert_eq(spm__norm_phone(out, sizeof out, "12345", "86"), SPM_OK);
	cr_assert_str_eq(out, "8612345");
	assert_fails(spm__norm_phone(out, sizeof out, "1234", "86"), SPM_EINVAL, out);
	cr_assert_eq(spm__norm_phone(out, sizeof out, "+123456789012345", NULL), SPM_OK);
	cr_assert_str_eq(out, "123456789012345");
	assert_fails(spm__norm_phone(out, sizeof out, "+1234567890123456", NULL), SPM_EINVAL, out);
}

Test(phone, small_buffer_is_erange)
{
	char out[16];

	assert_fails(spm__norm_phone(out, 13, "+86 13800138000", NULL), SPM_ERANGE, out);
	cr_assert_eq(spm__norm_phone(out, 14, "+86 13800138000", NULL), SPM_OK);
	cr_assert_str_eq(out, "8613800138000");
	/* Bad input is EINVAL whatever the buffer. */
	assert_fails(spm__norm_phone(out, 1, "abc", "86"), SPM_EINVAL, out);
}

/* ---- e-mail ---- */

static const struct {
	const char *in;
	const char *key;
} emails[] = {
	{ " Foo.Bar@Example.COM ", "foo.bar@example.com" },
	{ "foo.bar@example.com", "foo.bar@example.com" },
	{ "ＦＯＯ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "foo@example.com" },
	{ "foo＠example.com", "foo@example.com" },
	{ "\xe3\x80\x80" "a@b.cn\t\r\n", "a@b.cn" },
	{ "a+tag@X.com", "a+tag@x.com" },
	{ "Ünïcode@Example.com", "Ünïcode@example.com" },
	{ "张三@例子.中国", "张三@例子.中国" },
};

Test(email, table_of_spellings)
{
	char out[64];

	for (size_t i = 0; i < COUNT(emails); i++) {
		int rc = spm__norm_email(out, sizeof out, emails[i].in);

		cr_expect_eq(rc, SPM_OK, "%s: %s", emails[i].in, spm_error_message());
		cr_expect_str_eq(out, emails[i].key, "%s", emails[i].in);
	}
}

Test(email, malformed_addresses_are_refused)
{
	static const char *const bad[] = {
		"a@b@c.com", "foo", "@example.com", "foo@", "foo bar@example.com",
		"foo@example .com", "foo@exa\xe3\x80\x80mple.com", "", "   ", "foo@ex\x01.com",
		"a@b\x7f", "foo\xC3@example.com", "foo@example.com\xFF", "＠＠",
	};
	char out[64];

	for (size_t i = 0; i < COUNT(bad); i++)
		assert_fails(spm__norm_email(out, sizeof out, bad[i]), SPM_EINVAL, out);
}

Test(email, two_at_signs_message_says_so)
{
	char out[64];

	cr_assert_eq(spm__norm_email(out, sizeof out, "a@b@c"), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "e-mail address must contain exactly one '@' (found 2)");
}

Test(email, small_buffer_is_erange)
{
	char out[32];

	/* "foo.bar@example.com" is 19 bytes. */
	assert_fails(spm__norm_email(out, 19, " Foo.Bar@Example.COM "), SPM_ERANGE, out);
	cr_assert_eq(spm__norm_email(out, 20, " Foo.Bar@Example.COM "), SPM_OK);
	cr_assert_str_eq(out, "foo.bar@example.com");
	out[0] = 'Z';
	cr_assert_eq(spm__norm_email(out, 0, "a@b"), SPM_ERANGE);
	cr_assert_eq(out[0], 'Z', "size 0: nothing written");
}
