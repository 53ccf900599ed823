/* Where segments live and how they are opened safely. Shared by the writer and the readers. */
#ifndef BRRTSTAT_SHM_PATH_H
#define BRRTSTAT_SHM_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BRRT_SHM_DEFAULT_DIR "/dev/shm/brrtstat"
#define BRRT_SHM_DIR_ENV "BRRT_STAT_DIR"
#define BRRT_SHM_NAME_MAX 64
#define BRRT_SHM_PATH_MAX 4096

/* The segment directory: $BRRT_STAT_DIR if set and non-empty, else the default. */
__attribute__((visibility("default"))) const char *brrt_shm_dir(void);

/* A segment name is 1..64 of [A-Za-z0-9_.-], not starting with '.'. */
__attribute__((visibility("default"))) bool brrt_shm_name_valid(const char *name);

/* `name_or_path` containing a '/' is used as a path; otherwise it is a name in brrt_shm_dir().
 * Returns 0, BRRT_E_INVAL (bad name) or BRRT_E_NOMEM (path too long). */
__attribute__((visibility("default"))) int brrt_shm_resolve(const char *name_or_path, char *out,
                                                      size_t outlen);

/* Checks an opened segment file: a regular file, not writable by others, and (when
 * `must_own`) owned by the effective uid. Returns 0 or BRRT_E_INSECURE with `why` filled. */
int brrt_shm_check_file(const struct stat *st, bool must_own, char *why, size_t whylen);

/* Opens the segment file at `path` read-only without ever blocking: O_NONBLOCK | O_NOFOLLOW
 * (a FIFO or device planted at a segment name must not hang a reader or a writer), then
 * fstat and brrt_shm_check_file. Returns the descriptor (O_NONBLOCK cleared again), with
 * `*st` filled, or a negative code: BRRT_E_NOENT, BRRT_E_INSECURE (a symbolic link, not a
 * regular file, unsafe mode or owner) or BRRT_E_SYSTEM, with `why` filled. */
int brrt_shm_open_file(const char *path, bool must_own, struct stat *st, char *why, size_t whylen);

/* Creates (mode 0750) or checks the segment directory: a real directory (not a symlink),
 * owned by the effective uid or root, not writable by others. Returns 0, BRRT_E_INSECURE
 * or BRRT_E_SYSTEM. */
int brrt_shm_prepare_dir(const char *dir, char *why, size_t whylen);


#ifdef __cplusplus
}
#endif

#endif
