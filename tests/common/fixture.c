#include "fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

const char *fx_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/brrt-test-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        chmod(dir, 0750);
        setenv("BRRT_STAT_DIR", dir, 1);
    }
    return dir;
}

void fx_cleanup(void)
{
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
    dir[0] = '\0';
}

const char *fx_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", fx_dir(), name);
    return p;
}

struct brrt_seg_opts fx_opts(void)
{
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.dir = fx_dir();
    o.max_shards = 16;
    o.shard_bytes = 64 * 1024;
    o.max_entries = 512;
    o.arena_bytes = 64 * 1024;
    o.heartbeat_ms = 100;
    return o;
}

int fx_run(Suite *s)
{
    fx_dir();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    fx_cleanup();
    return failed ? 1 : 0;
}

int fx_copy(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    int rc = (a && b) ? 0 : -1;
    char buf[65536];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n)
            rc = -1;
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    if (rc == 0)
        chmod(to, 0640);
    return rc;
}

int fx_pread(const char *path, void *buf, size_t len, long off)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, buf, len, off);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

int fx_pwrite(const char *path, const void *buf, size_t len, long off)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t n = pwrite(fd, buf, len, off);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

const struct brrt_snap_series *fx_series(const struct brrt_snapshot *s, const char *fam,
                                         const char *const *values)
{
    const struct brrt_snap_family *f = brrt_snapshot_family(s, fam);
    if (!f)
        return NULL;
    for (uint32_t i = 0; i < f->n_series; i++) {
        const struct brrt_snap_series *x = &s->series[f->first_series + i];
        uint32_t k = 0;
        while (k < f->nlabels && strcmp(x->label_values[k], values[k]) == 0)
            k++;
        if (k == f->nlabels)
            return x;
    }
    return NULL;
}

struct brrt_snapshot *fx_snapshot(const char *name)
{
    brrt_reader *r;
    char why[256];
    int rc = brrt_reader_open(name, &r, why, sizeof why);
    ck_assert_msg(rc == 0, "%s", why);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    brrt_reader_close(r);
    return s;
}
