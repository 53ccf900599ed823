/* Test fixtures: an isolated segment directory per test process, and helpers. */
#ifndef BRRT_TEST_FIXTURE_H
#define BRRT_TEST_FIXTURE_H

#include "brrtstat/brrtstat.h"
#include "brrtstat/reader.h"

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Creates a fresh private directory and points BRRT_STAT_DIR at it. Returns its path. */
const char *fx_dir(void);
/* Removes the directory made by fx_dir (and the files in it). */
void fx_cleanup(void);
/* Path of segment `name` in fx_dir(). Static buffer. */
const char *fx_path(const char *name);
/* Options with small geometry for fast tests. */
struct brrt_seg_opts fx_opts(void);
/* Runs a Check suite with CK_ENV behaviour; returns the process exit code. */
int fx_run(Suite *s);
/* Copies a file; returns 0 on success. */
int fx_copy(const char *from, const char *to);
/* Reads/writes `len` bytes at `off` of file `path`. */
int fx_pread(const char *path, void *buf, size_t len, long off);
int fx_pwrite(const char *path, const void *buf, size_t len, long off);
/* A snapshot of segment `name` (opened and closed here: snapshots outlive their reader);
 * fails the test if the segment does not open. Free with brrt_snapshot_free. */
struct brrt_snapshot *fx_snapshot(const char *name);
/* The series of family `fam` whose label values equal `values` (NULL for none). */
const struct brrt_snap_series *fx_series(const struct brrt_snapshot *s, const char *fam,
                                         const char *const *values);

#endif
