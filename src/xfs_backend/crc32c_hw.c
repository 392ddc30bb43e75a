// SPDX-License-Identifier: GPL-2.0
/*
 * crc32c with the CPU's CRC32 instruction (SSE 4.2), in place of libfrog's
 * slice-by-8 tables for every caller in libxfs and the log (the linker's
 * --wrap=crc32c_le, src/meson.build).  Every metadata verifier, every log
 * record and every checkpoint checksum goes through here: a third of the
 * daemon's instructions on the fsync row (doc/performance.md "Checksums in
 * hardware").  Same function: the raw update of the reflected Castagnoli
 * polynomial, no inversion (callers seed with ~0 and invert themselves, as
 * the kernel's crc32c_le).  Without SSE 4.2 the table version runs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

uint32_t __real_crc32c_le(uint32_t crc, unsigned char const *p, size_t len);
uint32_t __wrap_crc32c_le(uint32_t crc, unsigned char const *p, size_t len);

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t
xb_crc32c_sse42(uint32_t crc, unsigned char const *p, size_t len)
{
	uint64_t c = crc, w;

	for (; len && ((uintptr_t) p & 7); len--)
		c = _mm_crc32_u8((uint32_t) c, *p++);
	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, sizeof(w));
		c = _mm_crc32_u64(c, w);
	}
	for (; len; len--)
		c = _mm_crc32_u8((uint32_t) c, *p++);
	return (uint32_t) c;
}

static int xb_crc32c_have_sse42(void)
{
	static int have = -1; /* racing first calls store the same answer */

	if (__atomic_load_n(&have, __ATOMIC_RELAXED) < 0) {
		__builtin_cpu_init();
		__atomic_store_n(&have, __builtin_cpu_supports("sse4.2") ? 1 : 0, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&have, __ATOMIC_RELAXED);
}

uint32_t __wrap_crc32c_le(uint32_t crc, unsigned char const *p, size_t len)
{
	if (xb_crc32c_have_sse42())
		return xb_crc32c_sse42(crc, p, len);
	return __real_crc32c_le(crc, p, len);
}
#else
uint32_t __wrap_crc32c_le(uint32_t crc, unsigned char const *p, size_t len)
{
	return __real_crc32c_le(crc, p, len);
}
#endif
