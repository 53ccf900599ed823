#include "brrtstat/shm_path.h"

#include "brrtstat/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *brrt_shm_dir(void)
{
    const char *env = getenv(BRRT_SHM_DIR_ENV);
    return (env && *env) ? env : BRRT_SHM_DEFAULT_DIR;
}

bool brrt_shm_name_valid(const char *name)
{
    if (!name || !*name || name[0] == '.')
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok || n >= BRRT_SHM_NAME_MAX)
            return false;
    }
    return true;
}

int brrt_shm_resolve(const char *name_or_path, char *out, size_t outlen)
{
    if (!name_or_path || !*name_or_path || !out)
        return BRRT_E_INVAL;
    int n;
    if (strchr(name_or_path, '/')) {
        n = snprintf(out, outlen, "%s", name_or_path);
    } else {
        if (!brrt_shm_name_valid(name_or_path))
            return BRRT_E_INVAL;
        n = snprintf(out, outlen, "%s/%s", brrt_shm_dir(), name_or_path);
    }
    return (n < 0 || (size_t)n >= outlen) ? BRRT_E_NOMEM : 0;
}

int brrt_shm_check_file(const struct stat *st, bool must_own, char *why, size_t whylen)
{
    if (!S_ISREG(st->st_mode)) {
        snprintf(why, whylen, "not a regular file");
        return BRRT_E_INSECURE;
    }
    if (st->st_mode & S_IWOTH) {
        snprintf(why, whylen, "file is world-writable (mode %04o)", (unsigned)(st->st_mode & 07777));
        return BRRT_E_INSECURE;
    }
    if (must_own && st->st_uid != geteuid()) {
        snprintf(why, whylen, "file is owned by uid %u, not %u", (unsigned)st->st_uid,
                 (unsigned)geteuid());
        return BRRT_E_INSECURE;
    }
    return 0;
}

int brrt_shm_open_file(const char *path, bool must_own, struct stat *st, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, whylen, "%s", e == ELOOP ? "is a symbolic link" : strerror(e));
        return e == ENOENT ? BRRT_E_NOENT : (e == ELOOP ? BRRT_E_INSECURE : BRRT_E_SYSTEM);
    }
    int rc = 0;
    if (fstat(fd, st) != 0) {
        snprintf(why, whylen, "fstat: %s", strerror(errno));
        rc = BRRT_E_SYSTEM;
    } else {
        rc = brrt_shm_check_file(st, must_own, why, whylen);
    }
    int fl = rc ? -1 : fcntl(fd, F_GETFL);
    if (!rc && (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)) {
        snprintf(why, whylen, "fcntl: %s", strerror(errno));
        rc = BRRT_E_SYSTEM;
    }
    if (rc) {
        close(fd);
        return rc;
    }
    return fd;
}

int brrt_shm_prepare_dir(const char *dir, char *why, size_t whylen)
{
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "mkdir %s: %s", dir, strerror(errno));
        return BRRT_E_SYSTEM;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, whylen, "open %s: %s", dir, strerror(e));
        return (e == ELOOP || e == ENOTDIR) ? BRRT_E_INSECURE : BRRT_E_SYSTEM;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        snprintf(why, whylen, "stat %s: %s", dir, strerror(errno));
        rc = BRRT_E_SYSTEM;
    } else if (st.st_uid != geteuid() && st.st_uid != 0) {
        snprintf(why, whylen, "%s is owned by uid %u", dir, (unsigned)st.st_uid);
        rc = BRRT_E_INSECURE;
    } else if (st.st_mode & S_IWOTH) {
        snprintf(why, whylen, "%s is world-writable", dir);
        rc = BRRT_E_INSECURE;
    }
    close(fd);
    return rc;
}
