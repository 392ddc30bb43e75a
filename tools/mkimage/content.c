// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic file contents, shared by the builder and the verifier.
 *
 * Byte @off of a file is byte (off % 8) (little endian) of
 * mix(key + (off / 8) * GOLDEN), where mix is the splitmix64 finaliser and key
 * is derived from the seed and the file's path.  Random access, so the
 * verifier can check any range without replaying the whole file, and fast
 * (one multiply-xorshift round per 8 bytes).
 */
#include "mkimage.h"

#include <string.h>

#define GOLDEN 0x9E3779B97F4A7C15ULL

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* FNV-1a of path and salt, then mixed with the seed. */
uint64_t content_key(uint64_t seed, const char *path, const char *salt)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *) path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (p = (const unsigned char *) salt; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return mix64(seed * GOLDEN + h);
}

static inline uint64_t content_word(uint64_t key, uint64_t w)
{
	return mix64(key + w * GOLDEN);
}

void content_fill(uint64_t key, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len && (off & 7)) {
		*p++ = content_word(key, off >> 3) >> ((off & 7) * 8);
		off++;
		len--;
	}
	while (len >= 8) {
		uint64_t v = content_word(key, off >> 3);
		int i;

		for (i = 0; i < 8; i++)
			p[i] = v >> (i * 8);
		p += 8;
		off += 8;
		len -= 8;
	}
	while (len) {
		*p++ = content_word(key, off >> 3) >> ((off & 7) * 8);
		off++;
		len--;
	}
}

void content_expected(const struct obj *o, uint64_t off, void *buf, size_t len)
{
	uint64_t end = off + len;
	size_t i;

	if (o->zero_content)
		memset(buf, 0, len);
	else
		content_fill(o->content_key, off, buf, len);
	for (i = 0; i < o->nzeroes; i++) {
		uint64_t zs = o->zeroes[i].off, ze = zs + o->zeroes[i].len;

		if (ze <= off || zs >= end)
			continue;
		if (zs < off)
			zs = off;
		if (ze > end)
			ze = end;
		memset((unsigned char *) buf + (zs - off), 0, ze - zs);
	}
}

int content_for_each_data(const struct obj *o, int (*fn)(void *ctx, uint64_t off, uint64_t len),
			  void *ctx)
{
	uint64_t pos = 0;
	size_t i;
	int error;

	/* zeroes[] is sorted and merged by the parser. */
	for (i = 0; i <= o->nzeroes && pos < o->size; i++) {
		uint64_t next = i < o->nzeroes ? o->zeroes[i].off : o->size;

		if (next > o->size)
			next = o->size;
		if (next > pos) {
			error = fn(ctx, pos, next - pos);
			if (error)
				return error;
		}
		if (i < o->nzeroes && o->zeroes[i].off + o->zeroes[i].len > pos)
			pos = o->zeroes[i].off + o->zeroes[i].len;
	}
	return 0;
}
