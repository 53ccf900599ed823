/* tools/export/segset.c with --all over many segment files (segset.c is compiled in): files
 * appear and disappear between scrapes, and every scrape serves exactly the segments in the
 * directory, each once, in name order (rescan merges the sorted listing into the entries). */
#include "fixture.h"

#include "segset.h"

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <sys/wait.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* readdir as libc's, except that it returns the entry named `readdir_twice` a second time,
 * as POSIX allows for a file renamed during a listing (segset.c, compiled into this program,
 * calls this one). */
static const char *readdir_twice;

struct dirent *readdir(DIR *d)
{
    static struct dirent *(*real)(DIR *);
    static struct dirent again;
    static bool pending;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "readdir");
    if (pending) {
        pending = false;
        return &again;
    }
    struct dirent *de = real(d);
    if (de && readdir_twice && strcmp(de->d_name, readdir_twice) == 0) {
        again = *de;
        pending = true;
    }
    return de;
}

#define POOL 600  /* possible names s000..s599 */
#define START 500 /* files before the first scrape */
#define ROUNDS 8

static brrt_seg *segs[POOL];
static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static void name_of(int i, char *out, size_t n)
{
    snprintf(out, n, "s%03d", i);
}

static void create(int i)
{
    struct brrt_seg_opts o = fx_opts();
    o.heartbeat_ms = 0; /* 600 segments: no thread each */
    o.max_shards = 2;
    o.max_entries = 8;
    o.arena_bytes = 4096;
    o.shard_bytes = 4096;
    char name[16];
    name_of(i, name, sizeof name);
    int rc = brrt_seg_create(name, &o, &segs[i]);
    ck_assert_msg(rc == 0, "create %s: %s", name, brrt_strerror(rc));
}

static void destroy(int i)
{
    ck_assert_int_eq(brrt_seg_close(segs[i], BRRT_SEG_UNLINK), 0);
    segs[i] = NULL;
}

/* Scrapes and checks that the served segments (brrtstat_segment_up lines, in order) are
 * exactly the open ones, in name order. */
static void check_served(struct segset *ss, int round)
{
    struct brrt_buf out = {0};
    segset_scrape(ss, &out, SEGSET_TEXT);
    ck_assert(!out.failed);
    static const char key[] = "\nbrrtstat_segment_up{segment=\"";
    int served = 0, want = -1;
    char name[16];
    for (const char *p = out.data; (p = strstr(p, key)) != NULL; served++) {
        p += sizeof key - 1;
        for (want++; want < POOL && !segs[want]; want++)
            ;
        ck_assert_msg(want < POOL, "round %d: served %.8s, a gone segment or one twice", round, p);
        name_of(want, name, sizeof name);
        ck_assert_msg(strncmp(p, name, strlen(name)) == 0 && p[strlen(name)] == '"',
                      "round %d: served %.8s where %s is due", round, p, name);
    }
    int open = 0;
    for (int i = 0; i < POOL; i++)
        open += segs[i] != NULL;
    ck_assert_msg(served == open, "round %d: %d served, %d open", round, served, open);
    ck_assert_uint_eq(ss->n, (uint32_t)open);
    brrt_buf_free(&out);
}

START_TEST(all_serves_exactly_the_files_present)
{
    for (int i = 0; i < POOL; i++)
        if (next_rand() % POOL < START)
            create(i);
    struct segset ss;
    ck_assert_int_eq(segset_init(&ss, NULL, true), 0);
    check_served(&ss, 0);
    check_served(&ss, 0); /* unchanged directory */
    for (int round = 1; round <= ROUNDS; round++) {
        /* About a sixth of the open ones go and a sixth of the others come; round 4 empties
         * the directory, round 5 fills it again. */
        for (int i = 0; i < POOL; i++) {
            bool flip = round == 4 ? segs[i] != NULL : round == 5 ? segs[i] == NULL : next_rand() % 6 == 0;
            if (flip && segs[i])
                destroy(i);
            else if (flip)
                create(i);
        }
        check_served(&ss, round);
    }
    /* A name that leaves and comes back between two scrapes is a new writer's file: served. */
    if (!segs[7])
        create(7);
    check_served(&ss, ROUNDS + 1);
    destroy(7);
    create(7);
    check_served(&ss, ROUNDS + 2);
    segset_free(&ss);
    for (int i = 0; i < POOL; i++)
        if (segs[i])
            destroy(i);
}
END_TEST

/* /healthz follows the scrapes whatever their format: a Prometheus that negotiates protobuf
 * must not leave it at the state before the first scrape. */
START_TEST(health_follows_protobuf_scrapes)
{
    create(3);
    struct segset ss;
    ck_assert_int_eq(segset_init(&ss, NULL, true), 0);
    struct brrt_buf out = {0}, health = {0};
    segset_scrape(&ss, &out, SEGSET_PROTOBUF);
    ck_assert(!out.failed && out.len > 0);
    segset_health(&ss, &health);
    ck_assert_msg(health.data && strstr(health.data, "segment s003 up generation "),
                  "/healthz after a protobuf scrape: %s", health.data ? health.data : "(empty)");
    brrt_buf_free(&out);
    brrt_buf_free(&health);
    segset_free(&ss);
    destroy(3);
}
END_TEST

/* A listing that names a file twice still serves it once. */
START_TEST(a_name_listed_twice_is_served_once)
{
    create(1);
    create(2);
    struct segset ss;
    ck_assert_int_eq(segset_init(&ss, NULL, true), 0);
    readdir_twice = "s002";
    check_served(&ss, 0); /* first listing: s002 new and listed twice */
    destroy(1);
    check_served(&ss, 1); /* a later one that changes the set */
    readdir_twice = NULL;
    segset_free(&ss);
    destroy(2);
}
END_TEST

/* ---- the self-metrics and /healthz after each state change, in every format (27dbc10 keeps
 * their text between scrapes: what it shows must still be each scrape's) -------------------- */

/* The value of `name{segment="SEG"} ` in a text scrape of `ss` in `format`; NAN when absent. */
static double self_value(struct segset *ss, enum segset_format format, const char *name, const char *seg)
{
    struct brrt_buf out = {0};
    segset_scrape(ss, &out, format);
    ck_assert(!out.failed && out.data);
    char key[160];
    snprintf(key, sizeof key, "\n%s{segment=\"%s\"} ", name, seg);
    const char *p = strstr(out.data, key);
    double v = p ? strtod(p + strlen(key), NULL) : NAN;
    if (format == SEGSET_OPENMETRICS)
        ck_assert_msg(out.len >= 6 && strcmp(out.data + out.len - 6, "# EOF\n") == 0, "no # EOF at the end");
    brrt_buf_free(&out);
    return v;
}

static void health_says(struct segset *ss, const char *want)
{
    struct brrt_buf h = {0};
    segset_health(ss, &h);
    ck_assert_msg(h.data && strstr(h.data, want), "/healthz: %s, want %s", h.data ? h.data : "(none)", want);
    brrt_buf_free(&h);
}

/* Every segment row and /healthz after a scrape in `format`: up, generation. */
static void state_is(struct segset *ss, enum segset_format format, const char *seg, bool up, uint64_t gen)
{
    char want[96];
    if (format == SEGSET_PROTOBUF) { /* its rows are checked by the text scrape after it */
        struct brrt_buf out = {0};
        segset_scrape(ss, &out, format);
        ck_assert(!out.failed && out.len > 0);
        brrt_buf_free(&out);
    } else {
        ck_assert_msg(self_value(ss, format, "brrtstat_segment_up", seg) == (up ? 1 : 0), "format %d: up", format);
        ck_assert_msg(self_value(ss, format, "brrtstat_segment_generation", seg) == (double)gen,
                      "format %d: generation", format);
    }
    snprintf(want, sizeof want, "segment %s %s generation %" PRIu64 "\n", seg, up ? "up" : "down", gen);
    health_says(ss, want);
}

static brrt_seg *writer_up(const char *name)
{
    struct brrt_seg_opts o = fx_opts();
    o.heartbeat_ms = 0; /* the heartbeat moves only when the test says */
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create(name, &o, &seg), 0);
    return seg;
}

START_TEST(self_metrics_and_health_follow_every_state_in_every_format)
{
    static const enum segset_format order[][3] = {
        {SEGSET_TEXT, SEGSET_OPENMETRICS, SEGSET_PROTOBUF},
        {SEGSET_PROTOBUF, SEGSET_OPENMETRICS, SEGSET_TEXT},
        {SEGSET_OPENMETRICS, SEGSET_PROTOBUF, SEGSET_TEXT},
    };
    /* A writer in a child that dies (exits without closing: its lock goes, its state stays
     * RUNNING) when the test closes the pipe. */
    int go[2], ready[2];
    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(go[1]);
        struct brrt_seg_opts o = fx_opts();
        o.heartbeat_ms = 0;
        brrt_seg *seg;
        char c = 1, x;
        if (brrt_seg_create("w", &o, &seg) || write(ready[1], &c, 1) != 1)
            _exit(1);
        (void)!read(go[0], &x, 1); /* EOF: the test closed it */
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    struct segset ss;
    ck_assert_int_eq(segset_init(&ss, NULL, true), 0);
    for (int k = 0; k < 3; k++)
        state_is(&ss, order[0][k], "w", true, 1);
    /* Only the heartbeat age changes: each text format shows the age of its own scrape. */
    for (int f = SEGSET_TEXT; f <= SEGSET_OPENMETRICS; f++) {
        double a = self_value(&ss, (enum segset_format)f, "brrtstat_segment_heartbeat_age_seconds", "w");
        usleep(60 * 1000);
        double b = self_value(&ss, (enum segset_format)f, "brrtstat_segment_heartbeat_age_seconds", "w");
        ck_assert_msg(a >= 0 && b >= a + 0.05, "format %d: heartbeat age %g then %g, 60 ms later", f, a, b);
    }
    close(go[1]); /* the writer dies */
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    usleep((SEGSET_LIVENESS_TTL_MS + 20) * 1000); /* a crash is seen at most that late */
    for (int k = 0; k < 3; k++)
        state_is(&ss, order[1][k], "w", false, 1);
    brrt_seg *seg = writer_up("w"); /* a restart: generation 2 */
    for (int k = 0; k < 3; k++)
        state_is(&ss, order[2][k], "w", true, 2);
    /* A restart between two scrapes: up both times, only the generation changed. */
    ck_assert_int_eq(brrt_seg_close(seg, 0), 0);
    seg = writer_up("w");
    for (int k = 0; k < 3; k++)
        state_is(&ss, order[0][k], "w", true, 3);
    /* A second segment comes (the rows of both, in every format), then the first goes. */
    brrt_seg *other = writer_up("v");
    for (int k = 0; k < 3; k++) {
        state_is(&ss, order[1][k], "v", true, 1);
        state_is(&ss, order[1][k], "w", true, 3);
    }
    ck_assert_int_eq(brrt_seg_close(seg, BRRT_SEG_UNLINK), 0);
    for (int k = 0; k < 3; k++) {
        state_is(&ss, order[2][k], "v", true, 1);
        if (order[2][k] != SEGSET_PROTOBUF)
            ck_assert(isnan(self_value(&ss, order[2][k], "brrtstat_segment_up", "w"))); /* not served */
    }
    struct brrt_buf h = {0};
    segset_health(&ss, &h);
    ck_assert_msg(!strstr(h.data, "segment w "), "/healthz still names w: %s", h.data);
    brrt_buf_free(&h);
    /* A truncated file: down, in every format. */
    ck_assert_int_eq(truncate(fx_path("v"), 4096), 0);
    for (int k = 0; k < 3; k++)
        state_is(&ss, order[0][k], "v", false, 1);
    segset_free(&ss);
    ck_assert_int_eq(brrt_seg_close(other, BRRT_SEG_UNLINK), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("segset");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, all_serves_exactly_the_files_present);
    tcase_add_test(tc, health_follows_protobuf_scrapes);
    tcase_add_test(tc, a_name_listed_twice_is_served_once);
    tcase_add_test(tc, self_metrics_and_health_follow_every_state_in_every_format);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
