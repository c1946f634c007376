/* client_db_verify.c - the `cardano-db verify` service: a node's existing
 * DB checked against a certified snapshot without downloading it (the
 * reference's verify_cardano_database). The certified digests are obtained
 * and checked exactly as a restore does them; the local files are hashed
 * by libmithril's digester (the signer's code), in parallel. Files are
 * compared by name: a file is good only under its own certified name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_services.h"

#define VERIFY_STEPS 4

/* What the steps share. */
struct vf {
    const struct client *cl;
    const struct client_verify_request *rq;
    struct client_verify_result *res;
    struct mtl_immutable_list local;
    size_t lo_idx, hi_idx; /* local.files[lo_idx..hi_idx) are in the range */
    char *body;
    size_t len;
    json_t *art;
    uint64_t last;
    struct restore_digest *dg;
    size_t ndg;
};

static void step(const struct vf *v, int n, const char *msg)
{
    struct client_event e = {
        .kind = CLIENT_EVENT_STEP, .step = n, .total_steps = VERIFY_STEPS, .message = msg};
    client_emit(&v->cl->events, &e);
}

static mtl_err names_alloc(struct client_file_names *l, size_t cap)
{
    l->count = 0;
    l->name = mtl_calloc(cap ? cap : 1, sizeof(*l->name));
    MTL_CHECK(l->name, MTL_ERR_NOMEM, "cardano-db verify: out of memory");
    return MTL_OK;
}

static void names_add(struct client_file_names *l, const char *name)
{
    snprintf(l->name[l->count++], MTL_IMMUTABLE_NAME_BYTES, "%s", name);
}

/* The local immutable files (at least one, like the reference's
 * check_has_immutables) and the directory holding them. */
static mtl_err list_local(struct vf *v)
{
    MTL_TRY(mtl_immutable_list_all(v->rq->db_dir, &v->local));
    MTL_CHECK(v->local.count > 0, MTL_ERR_NOT_FOUND, "cardano-db verify: no immutable file in '%s'",
              v->rq->db_dir);
    const char *p = v->local.files[0].path, *slash = strrchr(p, '/');
    int n = slash ? (int)(slash - p) : 1;
    MTL_TRY(mtl_path_fmt(v->res->immutables_dir, sizeof(v->res->immutables_dir), "%.*s", n,
                         slash ? p : "."));
    return MTL_OK;
}

/* The local files of the range: a contiguous run of the sorted listing. */
static void select_range(struct vf *v)
{
    size_t i = 0;
    while (i < v->local.count && v->local.files[i].number < v->res->first)
        i++;
    v->lo_idx = i;
    while (i < v->local.count && v->local.files[i].number <= v->res->last)
        i++;
    v->hi_idx = i;
}

/* Every trio file of the range that is not listed locally. */
static void find_missing(struct vf *v)
{
    size_t j = v->lo_idx;
    for (uint64_t n = v->res->first; n <= v->res->last; n++) {
        while (j < v->hi_idx && v->local.files[j].number < n)
            j++;
        for (unsigned k = 0; k < MTL_IMMUTABLE_TRIO_FILES; k++) {
            char want[MTL_IMMUTABLE_NAME_BYTES];
            mtl_immutable_trio_name(want, n, k);
            int found = 0;
            for (size_t i = j; i < v->hi_idx && v->local.files[i].number == n && !found; i++)
                found = strcmp(v->local.files[i].name, want) == 0;
            if (!found)
                names_add(&v->res->missing, want);
        }
        if (n == UINT64_MAX)
            break;
    }
}

/* Hash the local files of the range and sort them into tampered and not
 * certified. */
static mtl_err compare_local(struct vf *v)
{
    struct mtl_immutable_list sel = {.files = v->local.files + v->lo_idx,
                                     .count = v->hi_idx - v->lo_idx};
    if (sel.count == 0)
        return MTL_OK;
    struct mtl_digest_opts o = {.threads = v->rq->threads};
    struct mtl_db_digests d;
    MTL_TRY(mtl_immutable_files_digest(&sel, &o, &d));
    for (size_t i = 0; i < d.count; i++) {
        const struct restore_digest *c = restore_digest_find(v->dg, v->ndg, d.files[i].name);
        if (!c)
            names_add(&v->res->non_verifiable, d.files[i].name);
        else if (strcmp(c->digest, d.files[i].digest) != 0)
            names_add(&v->res->tampered, d.files[i].name);
    }
    v->res->checked = d.count;
    v->res->bytes = d.total_bytes;
    mtl_db_digests_free(&d);
    return MTL_OK;
}

/* Up to 10 names of a list, as "a, b, c" (the error message's sample). */
static void sample(char *out, size_t cap, const struct client_file_names *l)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < l->count && i < 10 && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", l->name[i]);
    if (l->count > 10 && used < cap)
        snprintf(out + used, cap - used, ", ...");
}

static mtl_err verdict(const struct client_verify_result *r)
{
    size_t nm = r->missing.count, nt = r->tampered.count, nn = r->non_verifiable.count;
    if (nm + nt + nn == 0)
        return MTL_OK;
    char m[400], t[400], n[400];
    sample(m, sizeof(m), &r->missing);
    sample(t, sizeof(t), &r->tampered);
    sample(n, sizeof(n), &r->non_verifiable);
    return mtl_seterr(MTL_ERR_INTEGRITY,
                      "immutable files of %s: %zu missing%s%s%s, %zu tampered%s%s%s, %zu not "
                      "certified%s%s%s",
                      r->immutables_dir, nm, nm ? " (" : "", m, nm ? ")" : "", nt, nt ? " (" : "",
                      t, nt ? ")" : "", nn, nn ? " (" : "", n, nn ? ")" : "");
}

static mtl_err run_steps(struct vf *v)
{
    struct client_verify_result *r = v->res;
    MTL_TRY(list_local(v));
    MTL_TRY(
        client_resolve_hash(v->cl->endpoint, "/artifact/cardano-database", v->rq->hash, r->hash));
    MTL_TRY(client_cardano_db_get(v->cl, r->hash, &v->body, &v->len, &v->art, &v->last));
    MTL_TRY(client_immutable_range(v->rq->start, v->rq->end, v->last, &r->first, &r->last));
    if (v->rq->on_range)
        v->rq->on_range(v->rq->ctx, r->first, r->last);
    step(v, 1, "Fetching the certificate and verifying the certificate chain");
    MTL_TRY(client_verify_cardano_db(v->cl, v->body, v->len));
    step(v, 2, "Downloading and verifying digests");
    MTL_TRY(client_digests_fetch_certified(
        v->art, v->last, json_string_value(json_object_get(v->art, "merkle_root")), &v->cl->events,
        &v->dg, &v->ndg));
    select_range(v);
    uint64_t span = r->last - r->first + 1;
    MTL_CHECK(span <= 10000000, MTL_ERR_INVALID_ARG, "cardano-db verify: range of %llu files",
              (unsigned long long)span);
    size_t nlocal = v->hi_idx - v->lo_idx;
    MTL_TRY(names_alloc(&r->missing, v->rq->allow_missing ? 0 : (size_t)span * 3));
    MTL_TRY(names_alloc(&r->tampered, nlocal));
    MTL_TRY(names_alloc(&r->non_verifiable, nlocal));
    step(v, 3, "Hashing the local immutable files");
    if (!v->rq->allow_missing)
        find_missing(v);
    MTL_TRY(compare_local(v));
    step(v, 4, "Comparing them with the certified digests");
    return verdict(r);
}

void client_verify_result_free(struct client_verify_result *res)
{
    mtl_free(res->missing.name);
    mtl_free(res->tampered.name);
    mtl_free(res->non_verifiable.name);
    res->missing = res->tampered = res->non_verifiable = (struct client_file_names){0};
}

mtl_err client_cardano_db_verify(const struct client *cl, const struct client_verify_request *rq,
                                 struct client_verify_result *res)
{
    memset(res, 0, sizeof(*res));
    struct vf v = {.cl = cl, .rq = rq, .res = res};
    mtl_err e = run_steps(&v);
    if (e != MTL_OK && e != MTL_ERR_INTEGRITY)
        client_verify_result_free(res);
    /* an integrity error of the digests or the chain has empty lists */
    mtl_immutable_list_free(&v.local);
    mtl_free(v.dg);
    json_decref(v.art);
    mtl_free(v.body);
    return e;
}
