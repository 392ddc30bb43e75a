// SPDX-License-Identifier: GPL-2.0
/*
 * The hardware crc32c (src/xfs_backend/crc32c_hw.c) against libfrog's table
 * version it replaces through --wrap: the same value for every length,
 * alignment and seed, and the standard check value.
 */
#include "check.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

uint32_t __real_crc32c_le(uint32_t crc, unsigned char const *p, size_t len);
uint32_t __wrap_crc32c_le(uint32_t crc, unsigned char const *p, size_t len);

int main(void)
{
	static unsigned char buf[65536 + 16];
	const unsigned char check[] = "123456789";
	size_t i, off, len, mismatches = 0;

	srand(42);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char) rand();
	/* CRC-32C/ISCSI check value: seed ~0, result inverted. */
	CHECK_EQ(~__wrap_crc32c_le(~0u, check, 9) & 0xffffffffu, 0xE3069283u);
	CHECK_EQ(~__real_crc32c_le(~0u, check, 9) & 0xffffffffu, 0xE3069283u);
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 300; len++)
			mismatches += __wrap_crc32c_le(~0u, buf + off, len) !=
				      __real_crc32c_le(~0u, buf + off, len);
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(__wrap_crc32c_le(0x12345678u, buf + 3, 65536),
		 __real_crc32c_le(0x12345678u, buf + 3, 65536));
	/* A running crc: two halves equal the whole, as xlog_cksum chains them. */
	CHECK_EQ(__wrap_crc32c_le(__wrap_crc32c_le(~0u, buf, 1000), buf + 1000, 3000),
		 __real_crc32c_le(~0u, buf, 4000));
	return th_report("test_crc32c");
}
