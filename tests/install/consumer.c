/* A downstream program built against the installed brrtstat (find_package and pkg-config). */
#include <brrtstat/brrtstat.h>
#include <brrtstat/reader.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.dir = dir;
    o.heartbeat_ms = 0;
    brrt_seg *seg;
    brrt_family *f;
    brrt_counter c;
    struct brrt_metric_def d = {.name = "consumer_total", .type = BRRT_COUNTER};
    if (brrt_seg_create("consumer", &o, &seg) || brrt_family_register(seg, &d, &f) ||
        brrt_counter_get(f, NULL, &c))
        return 1;
    brrt_counter_add(c, 41);
    brrt_counter_inc(c);
    char path[512], why[256];
    snprintf(path, sizeof path, "%s/consumer", dir);
    brrt_reader *r;
    struct brrt_snapshot *s;
    if (brrt_reader_open(path, &r, why, sizeof why) || brrt_reader_snapshot(r, &s)) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    unsigned long long v = s->series[0].u64;
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    /* The library loaded is the one the headers describe. */
    printf("consumer_total %llu (brrtstat %s, headers %s)\n", v, brrt_version(), BRRT_VERSION);
    return v == 42 && strcmp(brrt_version(), BRRT_VERSION) == 0 ? 0 : 1;
}
