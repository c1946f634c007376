/* client_download.c - the `cardano-db download` service: disk check,
 * certificate chain, artifact vs certificate, certified digests (Merkle
 * root), then the streaming restore in which every file is checked as it is
 * written, the whole DB checked, the ancillary files (signature first) and
 * the node markers. Differs from the reference in order only: the digests
 * are verified before the archives, so a tampered file is caught as it
 * arrives. Steps and warnings go out as events. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "client_services.h"
#include "log.h"

/* What the steps share. */
struct dl {
    const struct client *cl;
    const struct client_dl_request *rq;
    struct client_dl_result *res;
    char *body; /* the artifact as served (verified against its certificate) */
    size_t len;
    json_t *art;
    uint64_t last, lo, hi; /* the snapshot's last immutable number, the range */
    char db[4200], imm[4300], resume[4400];
    struct restore_digest *dg;
    size_t ndg;
    uint8_t *verified;
    uint64_t announced; /* bound on what the archives may declare */
};

static void step(const struct dl *d, int n, const char *msg)
{
    client_emitf(&d->cl->events, CLIENT_EVENT_STEP, n, "%s", msg);
}

/* A size field of the artifact (0 when absent), capped far below overflow. */
static uint64_t json_size(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v <= 0 ? 0 : (uint64_t)v > (1ull << 60) ? 1ull << 60 : (uint64_t)v;
}

/* Names in a directory (0 when it does not exist). */
static int dir_has_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

mtl_err client_immutable_range(long long start, long long end, uint64_t last, uint64_t *lo,
                               uint64_t *hi)
{
    *lo = start >= 0 ? (uint64_t)start : 0;
    *hi = end >= 0 ? (uint64_t)end : last;
    MTL_CHECK(*lo <= *hi && *hi <= last, MTL_ERR_INVALID_ARG,
              "range %llu..%llu is empty or outside 0..%llu", (unsigned long long)*lo,
              (unsigned long long)*hi, (unsigned long long)last);
    return MTL_OK;
}

mtl_err client_cardano_db_get(const struct client *cl, const char *hash, char **body, size_t *len,
                              json_t **art, uint64_t *last)
{
    char route[160];
    snprintf(route, sizeof(route), "/artifact/cardano-database/%s", hash);
    MTL_TRY(client_get(cl->endpoint, route, body, len));
    json_error_t je;
    *art = json_loadb(*body, *len, 0, &je);
    MTL_CHECK(*art, MTL_ERR_BAD_ENCODING, "%s: invalid JSON: %s", route, je.text);
    json_t *n = json_object_get(json_object_get(*art, "beacon"), "immutable_file_number");
    MTL_CHECK(json_is_integer(n) && json_integer_value(n) >= 0, MTL_ERR_BAD_ENCODING,
              "%s: beacon.immutable_file_number is not a number", route);
    *last = (uint64_t)json_integer_value(n);
    return MTL_OK;
}

/* The artifact fetched and parsed; the range checked against it. */
static mtl_err fetch_artifact(struct dl *d)
{
    MTL_TRY(client_cardano_db_get(d->cl, d->res->hash, &d->body, &d->len, &d->art, &d->last));
    MTL_TRY(client_immutable_range(d->rq->start, d->rq->end, d->last, &d->lo, &d->hi));
    MTL_CHECK(!d->rq->ancillary_vk || d->hi == d->last, MTL_ERR_INVALID_ARG,
              "--include-ancillary needs the range to end at the snapshot's last immutable file "
              "%llu",
              (unsigned long long)d->last);
    return MTL_OK;
}

/* Step 1: the target is ours to fill (or an interrupted run of the same
 * snapshot), with a warning when the disk looks too small. */
static mtl_err check_disk(struct dl *d)
{
    const struct client_dl_request *rq = d->rq;
    MTL_TRY(mtl_path_fmt(d->db, sizeof(d->db), "%s/db", rq->dir));
    MTL_TRY(mtl_path_fmt(d->imm, sizeof(d->imm), "%s/immutable", d->db));
    MTL_TRY(mtl_path_fmt(d->resume, sizeof(d->resume), "%s/.mithril-client-restore", d->db));
    MTL_TRY(client_mkdir_p(d->db, 0755));
    int resuming = 0;
    FILE *rf = fopen(d->resume, "r");
    if (rf) {
        char line[80] = "";
        int got = fgets(line, sizeof(line), rf) != NULL;
        fclose(rf);
        resuming = got && strncmp(line, d->res->hash, 64) == 0;
        line[strcspn(line, "\n")] = 0;
        MTL_CHECK(resuming || rq->allow_override, MTL_ERR_CONFLICT,
                  "%s holds an interrupted restore of another snapshot (%.64s); refusing to mix "
                  "it with %s (use another --download-dir)",
                  d->db, line, d->res->hash);
    }
    MTL_CHECK(resuming || rq->allow_override || !dir_has_entries(d->imm), MTL_ERR_CONFLICT,
              "%s is not empty (use --allow-override, or the download dir of an interrupted run "
              "of the same snapshot)",
              d->imm);
    uint64_t total = json_size(d->art, "total_db_size_uncompressed");
    if (rq->start >= 0 || rq->end >= 0)
        total = (d->hi - d->lo + 1) *
                json_size(json_object_get(d->art, "immutables"), "average_size_uncompressed") * 11 /
                10;
    struct statvfs vfs;
    if (statvfs(d->db, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < total)
        client_emitf(&d->cl->events, CLIENT_EVENT_WARNING, 1,
                     "%s has %llu bytes free, the snapshot needs about %llu.", d->db,
                     (unsigned long long)vfs.f_bavail * vfs.f_frsize, (unsigned long long)total);
    return MTL_OK;
}

/* Leftovers of interrupted runs (*.part) and every name of db/immutable
 * that is not a certified file are removed: nothing uncertified stays in
 * the restored DB, --allow-override or not. */
static void remove_uncertified(const struct dl *d)
{
    DIR *dir = opendir(d->imm);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!restore_digest_find(d->dg, d->ndg, e->d_name)) {
            char p[4600];
            snprintf(p, sizeof(p), "%s/%s", d->imm, e->d_name);
            unlink(p);
        }
    }
    closedir(dir);
}

/* Every certified file in the DB matches its digest: those of the range
 * were hashed as they were restored (or re-hashed when resumed); those
 * outside it (a partial restore over an existing DB) are hashed now. */
static mtl_err check_restored(const struct dl *d)
{
    for (size_t k = 0; k < d->ndg; k++) {
        uint64_t num = strtoull(d->dg[k].name, NULL, 10);
        char p[4600], hex[65];
        snprintf(p, sizeof(p), "%s/%s", d->imm, d->dg[k].name);
        if (num >= d->lo && num <= d->hi) {
            MTL_CHECK(d->verified[k], MTL_ERR_INTEGRITY,
                      "immutable file %s: not restored from a verified archive", d->dg[k].name);
            continue;
        }
        mtl_err e = client_sha256_file(p, hex);
        if (e == MTL_ERR_NOT_FOUND)
            continue;
        MTL_TRY(e);
        if (strcmp(hex, d->dg[k].digest) != 0) {
            unlink(p);
            return mtl_seterr(MTL_ERR_INTEGRITY,
                              "immutable file %s: already in the target with SHA-256 %s, not the "
                              "certified %s (removed)",
                              d->dg[k].name, hex, d->dg[k].digest);
        }
    }
    return MTL_OK;
}

/* Step 4: the archives of the range, each file checked as it is written. */
static mtl_err restore_archives(struct dl *d)
{
    const char *tpl[CLIENT_MAX_LOCATIONS];
    size_t ntpl = client_locations(d->art, "immutables", 1, tpl, CLIENT_MAX_LOCATIONS);
    MTL_CHECK(ntpl > 0, MTL_ERR_BAD_ENCODING, "cardano database %s: no immutables URI template",
              d->res->hash);
    /* The bound on what the archives may declare: the announced DB size,
     * which (as the reference computes it) leaves out the trio of file 0, so
     * with room for that trio. Sizes are not certified: this only stops a
     * small archive from writing more than the server itself announced. */
    d->announced =
        json_size(d->art, "total_db_size_uncompressed") +
        2 * json_size(json_object_get(d->art, "immutables"), "average_size_uncompressed") +
        (1u << 20);
    d->verified = mtl_calloc(d->ndg, 1);
    MTL_CHECK(d->verified, MTL_ERR_NOMEM, "restore: out of memory");
    struct restore_opts ro = {.url_templates = tpl,
                              .ntemplates = ntpl,
                              .max_bytes = d->announced,
                              .verified = d->verified,
                              .db_dir = d->db,
                              .first = d->lo,
                              .last = d->hi,
                              .digests = d->dg,
                              .ndigests = d->ndg,
                              .resume_path = d->resume,
                              .artifact_hash = d->res->hash,
                              .parallel = d->rq->parallel,
                              .events = &d->cl->events};
    mtl_err e = client_restore_immutables(&ro, &d->res->stats);
    remove_uncertified(d);
    return e;
}

/* The ancillary files, their manifest's signature checked first. */
static mtl_err restore_ancillary(struct dl *d)
{
    const char *urls[CLIENT_MAX_LOCATIONS];
    size_t n = client_locations(d->art, "ancillary", 0, urls, CLIENT_MAX_LOCATIONS);
    MTL_CHECK(n > 0, MTL_ERR_BAD_ENCODING, "cardano database %s: no ancillary location",
              d->res->hash);
    step(d, 5, "Downloading and verifying the ancillary files (IOG signature)");
    /* bounded by what the artifact announces (else the whole DB's size) */
    uint64_t anc_max = json_size(json_object_get(d->art, "ancillary"), "size_uncompressed");
    return client_ancillary_restore_any(urls, n, d->db, d->rq->ancillary_vk,
                                        anc_max ? anc_max : d->announced, &d->cl->events);
}

static int network_magic(const char *net)
{
    static const struct {
        const char *name;
        int magic;
    } nets[] = {{"mainnet", 764824073}, {"preprod", 1}, {"preview", 2}, {"devnet", 42}};
    for (size_t i = 0; net && i < sizeof(nets) / sizeof(*nets); i++)
        if (!strcmp(net, nets[i].name))
            return nets[i].magic;
    return -1;
}

/* Step 6: what cardano-node looks for in a DB it may open. */
static void write_markers(struct dl *d)
{
    char p[4400];
    snprintf(p, sizeof(p), "%s/clean", d->db);
    mtl_atomic_write(p, "", 0, 0644);
    int magic = network_magic(json_string_value(json_object_get(d->art, "network")));
    if (magic >= 0) {
        char m[16];
        int n = snprintf(m, sizeof(m), "%d", magic);
        snprintf(p, sizeof(p), "%s/protocolMagicId", d->db);
        mtl_atomic_write(p, m, (size_t)n, 0644);
    }
    unlink(d->resume);
}

/* Usage statistics like the reference (ancillary, complete or partial, then
 * the count); the aggregator may not serve them, failures are only logged. */
static void post_statistics(const struct dl *d)
{
    const struct client_dl_request *rq = d->rq;
    uint64_t n = d->res->stats.archives_done + d->res->stats.archives_skipped;
    char body[64];
    const char *routes[3] = {
        rq->ancillary_vk ? "/statistics/cardano-database/ancillary-files-restored" : NULL,
        rq->start >= 0 || rq->end >= 0 ? "/statistics/cardano-database/partial-restoration"
                                       : "/statistics/cardano-database/complete-restoration",
        n ? "/statistics/cardano-database/immutable-files-restored" : NULL};
    snprintf(body, sizeof(body), "{\"nb_immutable_files\":%llu}", (unsigned long long)n);
    for (int i = 0; i < 3; i++)
        if (routes[i] && client_post(d->cl->endpoint, routes[i], i == 2 ? body : NULL) != MTL_OK)
            log_info("statistics_not_sent", "route=%s error=\"%s\"", routes[i], mtl_err_detail());
}

static void fill_result(struct dl *d)
{
    struct client_dl_result *r = d->res;
    /* the path as given when it has no canonical form ("" when too long) */
    if (!realpath(d->db, r->db_dir) &&
        mtl_path_fmt(r->db_dir, sizeof(r->db_dir), "%s", d->db) != MTL_OK)
        log_warn("db_dir", "error=\"%s\"", mtl_err_detail());
    const char *net = json_string_value(json_object_get(d->art, "network"));
    const char *nodev = json_string_value(json_object_get(d->art, "cardano_node_version"));
    snprintf(r->network, sizeof(r->network), "%s", net ? net : "");
    snprintf(r->node_version, sizeof(r->node_version), "%s", nodev ? nodev : "");
}

static mtl_err run_steps(struct dl *d)
{
    MTL_TRY(fetch_artifact(d));
    step(d, 1, "Checking local disk info");
    MTL_TRY(check_disk(d));
    step(d, 2, "Fetching the certificate and verifying the certificate chain");
    MTL_TRY(client_verify_cardano_db(d->cl, d->body, d->len));
    step(d, 3, "Downloading and verifying digests");
    MTL_TRY(client_digests_fetch_certified(
        d->art, d->last, json_string_value(json_object_get(d->art, "merkle_root")), &d->cl->events,
        &d->dg, &d->ndg));
    step(d, 4, "Downloading, unpacking and verifying the immutable files");
    MTL_TRY(restore_archives(d));
    step(d, 5, "Verifying the cardano database");
    MTL_TRY(check_restored(d));
    if (d->rq->ancillary_vk)
        MTL_TRY(restore_ancillary(d));
    step(d, 6, "Writing the node markers");
    write_markers(d);
    post_statistics(d);
    fill_result(d);
    return MTL_OK;
}

mtl_err client_cardano_db_download(const struct client *cl, const struct client_dl_request *rq,
                                   struct client_dl_result *res)
{
    memset(res, 0, sizeof(*res));
    MTL_TRY(client_resolve_hash(cl->endpoint, "/artifact/cardano-database", rq->hash, res->hash));
    struct dl d = {.cl = cl, .rq = rq, .res = res};
    mtl_err e = run_steps(&d);
    mtl_free(d.verified);
    mtl_free(d.dg);
    json_decref(d.art);
    mtl_free(d.body);
    return e;
}
