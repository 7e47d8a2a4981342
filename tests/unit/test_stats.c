/* SPDX-License-Identifier: Apache-2.0 */
/* Drop-reason names (a stable interface for monitoring) and counter arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "podwall/pw_stats.h"

static void
test_names_are_stable(void **state)
{
	(void)state;
	assert_null(pw_drop_reason_name(PW_DROP_PARSE_OK));
	assert_string_equal(pw_drop_reason_name(PW_DROP_PARSE_TRUNC_ETH), "trunc_eth");
	assert_string_equal(pw_drop_reason_name(PW_DROP_PARSE_BAD_IPV4_IHL), "bad_ipv4_ihl");
	assert_string_equal(pw_drop_reason_name(PW_DROP_POLICY_DENY), "policy_deny");
	assert_string_equal(pw_drop_reason_name(PW_DROP_BEFORE_SYNC), "before_sync");
	assert_string_equal(pw_drop_reason_name(PW_DROP_TX_FULL), "tx_full");
	assert_null(pw_drop_reason_name(PW_DROP_MAX));
	assert_string_equal(pw_drop_reason_desc(PW_DROP_MAX), "unknown");
}

static void
test_parse_results_map_to_drop_reasons(void **state)
{
	(void)state;
	/* Workers store a parse result directly as a drop reason. */
	assert_int_equal((int)PW_DROP_PARSE_TRUNC_TCP, (int)PW_PARSE_TRUNC_TCP);
	assert_int_equal((int)PW_DROP_PARSE_TRUNC_ICMPV6, (int)PW_PARSE_TRUNC_ICMPV6);
	assert_int_equal((int)PW_DROP_POLICY_DENY, (int)PW_PARSE_MAX);
}

static void
test_every_reason_has_unique_lower_case_name(void **state)
{
	unsigned int r, s;

	(void)state;
	for (r = 1; r < PW_DROP_MAX; r++) {
		const char *n = pw_drop_reason_name(r);
		size_t i;

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (i = 0; n[i] != '\0'; i++)
			assert_true((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') ||
				n[i] == '_');
		assert_true(strlen(pw_drop_reason_desc(r)) > 5);
		for (s = 1; s < r; s++)
			assert_string_not_equal(n, pw_drop_reason_name(s));
	}
}

static void
test_counters_add(void **state)
{
	struct pw_port_counters a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.rx_packets = 1;
	a.drops[PW_DROP_TX_FULL] = 2;
	b.rx_packets = 10;
	b.rx_bytes = 640;
	b.tx_packets = 3;
	b.tx_bytes = 192;
	b.drops[PW_DROP_TX_FULL] = 5;
	b.drops[PW_DROP_PARSE_TRUNC_ETH] = 7;
	pw_port_counters_add(&a, &b);
	assert_int_equal(a.rx_packets, 11);
	assert_int_equal(a.rx_bytes, 640);
	assert_int_equal(a.tx_packets, 3);
	assert_int_equal(a.tx_bytes, 192);
	assert_int_equal(a.drops[PW_DROP_TX_FULL], 7);
	assert_int_equal(a.drops[PW_DROP_PARSE_TRUNC_ETH], 7);
	assert_int_equal(a.drops[PW_DROP_POLICY_DENY], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_are_stable),
		cmocka_unit_test(test_parse_results_map_to_drop_reasons),
		cmocka_unit_test(test_every_reason_has_unique_lower_case_name),
		cmocka_unit_test(test_counters_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
