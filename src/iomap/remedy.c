// SPDX-License-Identifier: GPL-2.0
/*
 * The three answers to a stale iomap that xfsfuse can run side by side
 * (doc/race.md, "Three remedies"): the mount option stale_remedy= and the
 * knob xfsfuse.stale_remedy set the engine's three switches together.
 *
 *   none    no validity check, pre-6.2 short-write punch: the 2022 kernel;
 *   merged  ->iomap_valid and the safe punch: what Linux 6.2 shipped;
 *   rfc     ->iomap_valid, and after a stale IOMAP_F_NEW delalloc mapping
 *           no punch of what that mapping reserved, IOMAP_F_NEW carried
 *           to the remap; failed writes still punch the pre-6.2 way: the
 *           September 2022 RFC, which the merged fix replaced.
 *
 * iomap_validate= and delalloc_punch= still set one switch each; a mix
 * that is none of the three reads back as "custom".
 */
#include <errno.h>
#include <string.h>

#include "iomap.h"

struct iomap_remedy_switches {
	const char *name;
	bool validate, legacy_punch, rfc;
};

static const struct iomap_remedy_switches iomap_remedies[] = {
	[IOMAP_REMEDY_NONE] = {"none", false, true, false},
	[IOMAP_REMEDY_MERGED] = {"merged", true, false, false},
	[IOMAP_REMEDY_RFC] = {"rfc", true, true, true},
};

void iomap_stale_remedy_switches(enum iomap_stale_remedy r, bool *validate, bool *legacy_punch,
				 bool *rfc)
{
	const struct iomap_remedy_switches *s = &iomap_remedies[r];

	*validate = s->validate;
	*legacy_punch = s->legacy_punch;
	*rfc = s->rfc;
}

void iomap_stale_remedy_set(enum iomap_stale_remedy r)
{
	const struct iomap_remedy_switches *s = &iomap_remedies[r];

	atomic_store(&iomap_tunables.validate, s->validate);
	atomic_store(&iomap_tunables.legacy_punch, s->legacy_punch);
	atomic_store(&iomap_tunables.rfc_remedy, s->rfc);
}

enum iomap_stale_remedy iomap_stale_remedy_get(void)
{
	bool validate = atomic_load(&iomap_tunables.validate);
	bool legacy = atomic_load(&iomap_tunables.legacy_punch);
	bool rfc = atomic_load(&iomap_tunables.rfc_remedy);
	unsigned int r;

	for (r = 0; r < IOMAP_REMEDY_CUSTOM; r++)
		if (iomap_remedies[r].validate == validate &&
		    iomap_remedies[r].legacy_punch == legacy && iomap_remedies[r].rfc == rfc)
			return (enum iomap_stale_remedy) r;
	return IOMAP_REMEDY_CUSTOM;
}

const char *iomap_stale_remedy_name(enum iomap_stale_remedy r)
{
	return r < IOMAP_REMEDY_CUSTOM ? iomap_remedies[r].name : "custom";
}

int iomap_stale_remedy_parse(const char *s, enum iomap_stale_remedy *r)
{
	unsigned int i;

	for (i = 0; i < IOMAP_REMEDY_CUSTOM; i++) {
		if (!strcmp(s, iomap_remedies[i].name)) {
			*r = (enum iomap_stale_remedy) i;
			return 0;
		}
	}
	return -EINVAL;
}
