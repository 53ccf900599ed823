/* Exposition plan: grouping by name and name-collision checks (see expo_plan.h). */
#include "expo_plan.h"
#include "reader_tests.h"
#include "render_text.h"

#include "brrtstat/shm_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open-addressing string set/map over offsets into one growing buffer (no malloc per name). */
struct strmap {
    struct brrt_buf arena;
    uint32_t *slot_off;  /* 1 + offset of the key in arena, 0 = empty */
    uint32_t *slot_val;
    uint32_t cap, n;
};

/* The FNV-1a the writer indexes names with (shm_names.h), as one label value. */
static uint32_t hash_str(const char *s)
{
    return (uint32_t)brrt_shm_labels_hash(BRRT_SHM_FNV_OFFSET, &s, 1);
}

static int map_init(struct strmap *m, uint32_t expect)
{
    memset(m, 0, sizeof *m);
    uint32_t cap = 64;
    while (cap < expect * 2u && cap < (1u << 30))
        cap *= 2;
    m->slot_off = calloc(cap, sizeof *m->slot_off);
    m->slot_val = calloc(cap, sizeof *m->slot_val);
    m->cap = cap;
    return m->slot_off && m->slot_val ? 0 : -1;
}

static void map_free(struct strmap *m)
{
    brrt_buf_free(&m->arena);
    free(m->slot_off);
    free(m->slot_val);
}

/* Finds `key`: returns its slot; *found says whether it is there. */
static uint32_t map_find(const struct strmap *m, const char *key, bool *found)
{
    uint32_t mask = m->cap - 1, h = hash_str(key) & mask;
    for (; m->slot_off[h]; h = (h + 1) & mask)
        if (strcmp(m->arena.data + m->slot_off[h] - 1, key) == 0) {
            *found = true;
            return h;
        }
    *found = false;
    return h;
}

static int map_grow(struct strmap *m)
{
    uint32_t cap = m->cap * 2, *off = calloc(cap, sizeof *off), *val = calloc(cap, sizeof *val);
    if (!off || !val) {
        free(off);
        free(val);
        return -1;
    }
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->slot_off[i])
            continue;
        uint32_t h = hash_str(m->arena.data + m->slot_off[i] - 1) & (cap - 1);
        while (off[h])
            h = (h + 1) & (cap - 1);
        off[h] = m->slot_off[i];
        val[h] = m->slot_val[i];
    }
    free(m->slot_off);
    free(m->slot_val);
    m->slot_off = off;
    m->slot_val = val;
    m->cap = cap;
    return 0;
}

/* Inserts key -> val at slot h (from a map_find that did not find it). */
static int map_put(struct strmap *m, uint32_t h, const char *key, uint32_t val)
{
    uint32_t off = (uint32_t)m->arena.len + 1;
    brrt_buf_add(&m->arena, key, strlen(key) + 1);
    if (m->arena.failed)
        return -1;
    m->slot_off[h] = off;
    m->slot_val[h] = val;
    if (++m->n * 2 > m->cap)
        return map_grow(m);
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Claims every name of a family for owner `group`; false if one is owned by another group. */
static int claim(struct strmap *claims, const char *name, bool counter, bool histogram, uint32_t group,
                 bool *clash)
{
    char names[BRRT_EXPO_NAMES][BRRT_EXPO_NAME_MAX];
    int k = brrt_shm_expo_names(name, counter, histogram, names);
    *clash = false;
    for (int i = 0; i < k; i++) {
        bool found;
        uint32_t h = map_find(claims, names[i], &found);
        if (found && claims->slot_val[h] != group) {
            *clash = true;
            return 0;
        }
    }
    for (int i = 0; i < k; i++) {
        bool found;
        uint32_t h = map_find(claims, names[i], &found);
        if (!found && map_put(claims, h, names[i], group))
            return -1;
    }
    return 0;
}

int expo_plan_build(struct brrt_expo_plan *p, const struct brrt_snapshot *const *snaps, uint32_t n,
                    const struct brrt_prom_opts *o)
{
    memset(p, 0, sizeof *p);
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += snaps[i]->n_families;
    struct brrt_expo_item *flat = calloc(total + 1, sizeof *flat);
    uint32_t *next = malloc((total + 1) * sizeof *next), *tail = malloc((total + 1) * sizeof *tail);
    p->items = calloc(total + 1, sizeof *p->items);
    struct strmap groups, claims;
    int rc = map_init(&groups, total) | map_init(&claims, total * 5 + 16);
    if (rc || !flat || !next || !tail || !p->items)
        goto fail;
    /* Group by name, in order of first appearance. */
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < snaps[i]->n_families; j++) {
            const struct brrt_snap_family *f = &snaps[i]->families[j];
            if (o->filter && !o->filter(f, o->filter_arg))
                continue;
            flat[m] = (struct brrt_expo_item){i, j, false};
            next[m] = UINT32_MAX;
            bool found;
            uint32_t h = map_find(&groups, f->name, &found);
            if (found) {
                uint32_t head = groups.slot_val[h];
                next[tail[head]] = m;
                tail[head] = m;
            } else {
                flat[m].head = true;
                tail[m] = m;
                if (map_put(&groups, h, f->name, m))
                    goto fail;
            }
            m++;
        }
    uint32_t group = 0;
    for (const char *const *r = o->reserved_names; r && *r; r++) {
        bool clash;
        if (claim(&claims, *r, ends_with(*r, "_total"), false, UINT32_MAX - 1, &clash))
            goto fail;
    }
    for (uint32_t k = 0; k < m; k++) {
        if (!flat[k].head)
            continue;
        const struct brrt_snap_family *f = &snaps[flat[k].snap]->families[flat[k].fam];
        bool clash;
        if (claim(&claims, f->name, f->type == BRRT_SHM_COUNTER, f->type == BRRT_SHM_HISTOGRAM, group++,
                  &clash))
            goto fail;
        for (uint32_t x = k; x != UINT32_MAX; x = next[x]) {
            const struct brrt_snap_family *g = &snaps[flat[x].snap]->families[flat[x].fam];
            if (!clash && g->type == f->type)
                p->items[p->n++] = flat[x];
            else if (o->dropped)
                o->dropped[flat[x].snap]++;
        }
    }
    free(flat);
    free(next);
    free(tail);
    map_free(&groups);
    map_free(&claims);
    return 0;
fail:
    free(flat);
    free(next);
    free(tail);
    map_free(&groups);
    map_free(&claims);
    expo_plan_free(p);
    return -1;
}

void expo_plan_free(struct brrt_expo_plan *p)
{
    free(p->items);
    p->items = NULL;
    p->n = 0;
}

/* What a cached plan was built from: per snapshot its family count, then each family's type
 * and name; then the reserved names. */
struct brrt_prom_cache {
    struct brrt_expo_plan plan;
    struct brrt_buf key;
    uint32_t *dropped; /* per snapshot: what the plan leaves out */
    bool valid;
    struct prom_text *text; /* render_prom.c's text for this plan, or NULL */
    /* The snapshots' layouts when the key was written, and where its family part ends:
     * snapshots of the same layouts list the same families, whose names need no compare. */
    uint64_t *layouts;
    uint32_t n_layouts;
    size_t fam_end;
    uint64_t builds; /* plans built into it (reader_tests.h) */
};

uint64_t rd_prom_cache_builds(const struct brrt_prom_cache *c)
{
    return c->builds;
}

void rd_prom_cache_hist_heads(struct brrt_prom_cache *c, uint32_t *whole, uint32_t *le)
{
    rp_text_hist_heads(c->text, whole, le);
}

struct prom_text **expo_plan_text(struct brrt_prom_cache *c)
{
    return &c->text;
}

struct key_walk {
    struct brrt_buf *key;
    bool write;
    bool differs;
    size_t pos;
};

static void key_put(struct key_walk *w, const void *p, size_t n)
{
    if (w->write) {
        brrt_buf_add(w->key, p, n);
        return;
    }
    if (w->differs || w->pos + n > w->key->len || memcmp(w->key->data + w->pos, p, n) != 0)
        w->differs = true;
    w->pos += n;
}

/* Were these snapshots' layouts those the key was last checked with? */
static bool same_layouts(const struct brrt_prom_cache *c, const struct brrt_snapshot *const *snaps, uint32_t n)
{
    if (c->n_layouts != n || !c->layouts)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!snaps[i]->layout || snaps[i]->layout != c->layouts[i])
            return false;
    return true;
}

/* Writes the key of (snaps, o) into c->key, or compares it with c->key: true when equal. */
static bool key_walk(struct brrt_prom_cache *c, const struct brrt_snapshot *const *snaps, uint32_t n,
                     const struct brrt_prom_opts *o, bool write)
{
    struct key_walk w = {&c->key, write, false, 0};
    key_put(&w, &n, sizeof n);
    bool skip = !write && same_layouts(c, snaps, n) && c->fam_end <= c->key.len;
    if (skip) {
        w.pos = c->fam_end;
    } else {
        for (uint32_t i = 0; i < n && !w.differs; i++) {
            key_put(&w, &snaps[i]->n_families, sizeof snaps[i]->n_families);
            for (uint32_t j = 0; j < snaps[i]->n_families && !w.differs; j++) {
                const struct brrt_snap_family *f = &snaps[i]->families[j];
                unsigned char type = (unsigned char)f->type;
                key_put(&w, &type, 1);
                key_put(&w, f->name, strlen(f->name) + 1);
            }
        }
    }
    if (write)
        c->fam_end = c->key.len;
    if (!skip && !w.differs) { /* the families are the key's: remember these layouts */
        free(c->layouts);
        c->layouts = malloc((n + 1) * sizeof *c->layouts);
        c->n_layouts = c->layouts ? n : 0;
        for (uint32_t i = 0; c->layouts && i < n; i++)
            c->layouts[i] = snaps[i]->layout;
    }
    for (const char *const *r = o->reserved_names; r && *r && !w.differs; r++)
        key_put(&w, *r, strlen(*r) + 1);
    key_put(&w, "", 1); /* the end of the reserved names */
    return !w.differs && w.pos == c->key.len;
}

static void add_dropped(const struct brrt_prom_cache *c, uint32_t n, const struct brrt_prom_opts *o)
{
    for (uint32_t i = 0; o->dropped && i < n; i++)
        o->dropped[i] += c->dropped[i];
}

int expo_plan_get(struct brrt_expo_plan *own, const struct brrt_snapshot *const *snaps, uint32_t n,
                  const struct brrt_prom_opts *o, const struct brrt_expo_plan **out)
{
    struct brrt_prom_cache *c = o->filter ? NULL : o->cache;
    if (!c) {
        *out = own;
        return expo_plan_build(own, snaps, n, o);
    }
    if (c->valid && key_walk(c, snaps, n, o, false)) {
        add_dropped(c, n, o);
        *out = &c->plan;
        return 0;
    }
    c->valid = false;
    prom_text_free(c->text);
    c->text = NULL;
    expo_plan_free(&c->plan);
    brrt_buf_reset(&c->key);
    free(c->dropped);
    c->dropped = calloc(n + 1, sizeof *c->dropped);
    struct brrt_prom_opts built = *o;
    built.dropped = c->dropped;
    if (!c->dropped || expo_plan_build(&c->plan, snaps, n, &built) != 0)
        return -1;
    c->builds++;
    key_walk(c, snaps, n, o, true);
    c->valid = !c->key.failed; /* without its key the plan serves this render only */
    add_dropped(c, n, o);
    *out = &c->plan;
    return 0;
}

struct brrt_prom_cache *brrt_prom_cache_new(void)
{
    return calloc(1, sizeof(struct brrt_prom_cache));
}

void brrt_prom_cache_free(struct brrt_prom_cache *c)
{
    if (!c)
        return;
    expo_plan_free(&c->plan);
    prom_text_free(c->text);
    brrt_buf_free(&c->key);
    free(c->dropped);
    free(c->layouts);
    free(c);
}
