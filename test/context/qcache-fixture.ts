// A made-up object cache ("qcache") with a shrinker and IO helpers in
// another file, for the --tree tests: a hazard that only the tree shows.
export const QC_SHRINK = `// qcache shrinker: callbacks registered with shrinker_alloc()
#include "qc.h"

static unsigned long qc_count(struct shrinker *s, struct shrink_control *sc)
{
	return atomic_long_read(&qc_nr_objs);
}

static unsigned long qc_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct qc_obj *o = qc_lru_tail();

	if (!o)
		return SHRINK_STOP;
	qc_drop_clean(o);
	return 1;
}

int qc_shrinker_init(void)
{
	qc_shrinker = shrinker_alloc(0, "qcache");
	if (!qc_shrinker)
		return -ENOMEM;
	qc_shrinker->count_objects = qc_count;
	qc_shrinker->scan_objects = qc_scan;
	shrinker_register(qc_shrinker);
	return 0;
}
`;

export const QC_IO = `// qcache IO helpers
#include "qc.h"

static void qc_write_back(struct qc_obj *o)
{
	write_dirty_buffer(o->bh, 0);
	wait_on_buffer(o->bh);
}

void qc_flush_obj(struct qc_obj *o)
{
	qc_write_back(o);
	qc_mark_clean(o);
}

void qc_drop_clean(struct qc_obj *o)
{
	qc_unlink(o);
	qc_free(o);
}
`;

export const QC_H = "struct qc_obj;\nvoid qc_flush_obj(struct qc_obj *o);\nvoid qc_drop_clean(struct qc_obj *o);\n";

/** The scan callback now writes a dirty object back through the existing helper (which waits on IO). */
export const QC_SHRINK_FLUSH = QC_SHRINK.replace("\tqc_drop_clean(o);\n", "\tif (qc_dirty(o))\n\t\tqc_flush_obj(o);\n\tqc_drop_clean(o);\n");

/** A new helper in the IO file that writes back and waits (series patch 1/2). */
export const QC_IO_SYNC = QC_IO.replace(
  "void qc_drop_clean",
  "void qc_sync_obj(struct qc_obj *o)\n{\n\twrite_dirty_buffer(o->bh, 0);\n\twait_on_buffer(o->bh);\n}\n\nvoid qc_drop_clean",
);
