/* client_download.c - `cardano-db download`: disk check, certificate chain,
 * artifact vs certificate, certified digests (Merkle root), then the
 * streaming restore in which every file is checked as it is written.
 * Differs from the reference in order only: the digests are verified before
 * the archives, so a tampered file is caught as it arrives. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "client_ancillary.h"
#include "client_digests.h"
#include "client_int.h"
#include "log.h"

struct dl_args {
    const char *hash, *dir, *ancillary_vk;
    long long start, end;
    int ancillary, allow_override, parallel;
};

static void step(const struct client *cl, int n, const char *msg)
{
    if (cl->json) {
        char ts[40];
        time_t t = time(NULL);
        struct tm tmv;
        gmtime_r(&t, &tmv);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tmv);
        fprintf(stderr,
                "{\"timestamp\":\"%s\",\"step_num\":%d,\"total_steps\":6,\"message\":\"%s\"}\n", ts,
                n, msg);
    } else {
        fprintf(stderr, "%d/6 - %s\n", n, msg);
    }
}

/* Names in db/immutable other than our resume record. */
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

/* Remove leftovers of interrupted runs (*.part) and every name of
 * db/immutable that is not a certified file: nothing uncertified stays in
 * the restored DB, --allow-override or not. */
static mtl_err remove_uncertified(const char *imm, const struct restore_digest *dg, size_t ndg)
{
    DIR *d = opendir(imm);
    if (!d)
        return MTL_OK;
    struct dirent *e;
    mtl_err err = MTL_OK;
    while (err == MTL_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!restore_digest_find(dg, ndg, e->d_name)) {
            char p[4400];
            err = mtl_path_fmt(p, sizeof(p), "%s/%s", imm, e->d_name);
            if (err == MTL_OK)
                unlink(p);
        }
    }
    closedir(d);
    return err == MTL_OK ? MTL_OK : mtl_err_wrap(err, "uncertified file left in %s", imm);
}

/* Every certified file in the DB matches its digest: those of the range
 * were hashed as they were restored (or re-hashed when resumed); those
 * outside it (a partial restore over an existing DB) are hashed now. */
static mtl_err check_restored(const char *imm, const struct restore_digest *dg, size_t ndg,
                              const uint8_t *verified, uint64_t lo, uint64_t hi)
{
    for (size_t k = 0; k < ndg; k++) {
        uint64_t num = strtoull(dg[k].name, NULL, 10);
        char p[4400], hex[65];
        MTL_TRY(mtl_path_fmt(p, sizeof(p), "%s/%s", imm, dg[k].name));
        if (num >= lo && num <= hi) {
            MTL_CHECK(verified[k], MTL_ERR_INTEGRITY,
                      "immutable file %s: not restored from a verified archive", dg[k].name);
            continue;
        }
        mtl_err e = restore_sha256_file(p, hex);
        if (e == MTL_ERR_NOT_FOUND)
            continue;
        MTL_TRY(e);
        if (strcmp(hex, dg[k].digest) != 0) {
            unlink(p);
            return mtl_seterr(MTL_ERR_INTEGRITY,
                              "immutable file %s: already in the target with SHA-256 %s, not the "
                              "certified %s (removed)",
                              dg[k].name, hex, dg[k].digest);
        }
    }
    return MTL_OK;
}

/* A size field of the artifact (0 when absent), capped far below overflow. */
static uint64_t json_size(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v <= 0 ? 0 : (uint64_t)v > (1ull << 60) ? 1ull << 60 : (uint64_t)v;
}

static int network_magic(const char *net)
{
    if (!net)
        return -1;
    if (!strcmp(net, "mainnet"))
        return 764824073;
    if (!strcmp(net, "preprod"))
        return 1;
    if (!strcmp(net, "preview"))
        return 2;
    if (!strcmp(net, "devnet"))
        return 42;
    return -1;
}

/* Usage statistics like the reference (ancillary, complete or partial, then
 * the count); the aggregator may not serve them, failures are only logged. */
static void post_statistics(const struct client *cl, int ancillary, int partial, uint64_t n)
{
    char body[64];
    const char *routes[3] = {ancillary ? "/statistics/cardano-database/ancillary-files-restored"
                                       : NULL,
                             partial ? "/statistics/cardano-database/partial-restoration"
                                     : "/statistics/cardano-database/complete-restoration",
                             n ? "/statistics/cardano-database/immutable-files-restored" : NULL};
    snprintf(body, sizeof(body), "{\"nb_immutable_files\":%llu}", (unsigned long long)n);
    for (int i = 0; i < 3; i++)
        if (routes[i] && client_post(cl, routes[i], i == 2 ? body : NULL) != MTL_OK)
            log_info("statistics_not_sent", "route=%s error=\"%s\"", routes[i], mtl_err_detail());
}

static mtl_err verify_artifact(struct client *cl, const char *body, size_t len, json_t *art)
{
    const char *ch = json_string_value(json_object_get(art, "certificate_hash"));
    MTL_CHECK(ch && strlen(ch) == 64, MTL_ERR_BAD_ENCODING,
              "cardano database: no valid 'certificate_hash'");
    char cert_hash[MTL_HASH_HEX_BYTES];
    memcpy(cert_hash, ch, 65);
    struct mtl_certificate *cert;
    MTL_TRY(client_verify_chain(cl, cert_hash, 0, NULL, NULL, &cert));
    mtl_err e = mtl_cardano_database_verify(body, len, cert);
    mtl_certificate_free(cert);
    return e;
}

static int download(struct client *cl, const struct dl_args *a)
{
    const char *what = "cardano-db download";
    uint8_t anc_vk[32];
    if (a->ancillary) {
        struct client tmp = *cl;
        tmp.genesis_vk_text = a->ancillary_vk; /* same key text format (JSON-hex, file or text) */
        if (!a->ancillary_vk)
            return client_fail(
                cl,
                mtl_seterr(MTL_ERR_CONFIG,
                           "--include-ancillary needs "
                           "--ancillary-verification-key or ANCILLARY_VERIFICATION_KEY"),
                what);
        mtl_err ke = client_genesis_vk(&tmp, anc_vk);
        if (ke != MTL_OK)
            return client_fail(cl, mtl_err_wrap(ke, "ancillary verification key"), what);
        fprintf(stderr, "Warning: ancillary files (ledger state, in-progress immutable files) are "
                        "signed by an IOG key, not certified by Mithril.\n");
    } else {
        fprintf(stderr, "Warning: without --include-ancillary the node will rebuild its ledger "
                        "state from genesis (slow start).\n");
    }
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err e = client_resolve_hash(cl, "/artifact/cardano-database", a->hash, hash);
    if (e != MTL_OK)
        return client_fail(cl, e, what);
    char route[160], *body = NULL;
    size_t len;
    json_t *art = NULL;
    struct restore_digest *dg = NULL;
    uint8_t *verified = NULL;
    size_t ndg = 0;
    int rc = CLIENT_EXIT_FAIL;
    snprintf(route, sizeof(route), "/artifact/cardano-database/%s", hash);
    if ((e = client_get(cl, route, &body, &len)) != MTL_OK)
        goto fail;
    json_error_t je;
    if (!(art = json_loadb(body, len, 0, &je))) {
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: invalid JSON: %s", route, je.text);
        goto fail;
    }
    json_t *beacon = json_object_get(art, "beacon");
    uint64_t last = (uint64_t)json_integer_value(json_object_get(beacon, "immutable_file_number"));
    uint64_t lo = a->start >= 0 ? (uint64_t)a->start : 0,
             hi = a->end >= 0 ? (uint64_t)a->end : last;
    if (lo > hi || hi > last) {
        e = mtl_seterr(MTL_ERR_INVALID_ARG, "range %llu..%llu is empty or outside 0..%llu",
                       (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)last);
        goto fail;
    }

    if (a->ancillary && hi != last) {
        e = mtl_seterr(MTL_ERR_INVALID_ARG,
                       "--include-ancillary needs the range to end at the "
                       "snapshot's last immutable file %llu",
                       (unsigned long long)last);
        goto fail;
    }
    /* 1: disk */
    step(cl, 1, "Checking local disk info");
    char db[4200], imm[4300], resume[4400];
    if ((e = mtl_path_fmt(db, sizeof(db), "%s/db", a->dir)) != MTL_OK ||
        (e = mtl_path_fmt(imm, sizeof(imm), "%s/immutable", db)) != MTL_OK ||
        (e = mtl_path_fmt(resume, sizeof(resume), "%s/.mithril-client-restore", db)) != MTL_OK ||
        (e = client_mkdir_p(db, 0755)) != MTL_OK)
        goto fail;
    int resuming = 0;
    FILE *rf = fopen(resume, "r");
    if (rf) {
        char line[80] = "";
        int got = fgets(line, sizeof(line), rf) != NULL;
        fclose(rf);
        resuming = got && strncmp(line, hash, 64) == 0;
        line[strcspn(line, "\n")] = 0;
        if (!resuming && !a->allow_override) {
            e = mtl_seterr(MTL_ERR_CONFLICT,
                           "%s holds an interrupted restore of another snapshot (%.64s); "
                           "refusing to mix it with %s (use another --download-dir)",
                           db, line, hash);
            goto fail;
        }
    }
    if (!resuming && !a->allow_override && dir_has_entries(imm)) {
        e = mtl_seterr(MTL_ERR_CONFLICT,
                       "%s is not empty (use --allow-override, or the "
                       "download dir of an interrupted run of the same snapshot)",
                       imm);
        goto fail;
    }
    uint64_t total =
        (uint64_t)json_integer_value(json_object_get(art, "total_db_size_uncompressed"));
    if (a->start >= 0 || a->end >= 0) {
        uint64_t avg = (uint64_t)json_integer_value(
            json_object_get(json_object_get(art, "immutables"), "average_size_uncompressed"));
        total = (hi - lo + 1) * avg * 11 / 10;
    }
    struct statvfs vfs;
    if (statvfs(db, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < total)
        fprintf(stderr, "Warning: %s has %llu bytes free, the snapshot needs about %llu.\n", db,
                (unsigned long long)vfs.f_bavail * vfs.f_frsize, (unsigned long long)total);

    /* 2: certificate chain + artifact */
    step(cl, 2, "Fetching the certificate and verifying the certificate chain");
    if ((e = verify_artifact(cl, body, len, art)) != MTL_OK)
        goto fail;

    /* 3: certified digests */
    step(cl, 3, "Downloading and verifying digests");
    if ((e = client_digests_fetch(art, last, &dg, &ndg)) != MTL_OK ||
        (e = client_digests_check_root(
             dg, ndg, json_string_value(json_object_get(art, "merkle_root")))) != MTL_OK)
        goto fail;

    /* 4: archives, each file checked as it is written */
    step(cl, 4, "Downloading, unpacking and verifying the immutable files");
    const char *tpl = NULL;
    size_t i;
    json_t *loc;
    json_array_foreach(json_object_get(json_object_get(art, "immutables"), "locations"), i, loc)
    {
        const char *t = json_string_value(json_object_get(json_object_get(loc, "uri"), "Template"));
        if (t && !tpl)
            tpl = t;
    }
    if (!tpl) {
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "cardano database %s: no immutables URI template",
                       hash);
        goto fail;
    }
    /* The bound on what the archives may declare: the announced DB size,
     * which (as the reference computes it) leaves out the trio of file 0, so
     * with room for that trio. Sizes are not certified: this only stops a
     * small archive from writing more than the server itself announced. */
    uint64_t announced =
        json_size(art, "total_db_size_uncompressed") +
        2 * json_size(json_object_get(art, "immutables"), "average_size_uncompressed") + (1u << 20);
    if (!(verified = mtl_calloc(ndg, 1))) {
        e = mtl_seterr(MTL_ERR_NOMEM, "restore: out of memory");
        goto fail;
    }
    struct restore_opts ro = {.url_template = tpl,
                              .max_bytes = announced,
                              .verified = verified,
                              .db_dir = db,
                              .first = lo,
                              .last = hi,
                              .digests = dg,
                              .ndigests = ndg,
                              .resume_path = resume,
                              .artifact_hash = hash,
                              .parallel = a->parallel,
                              .json_progress = cl->json,
                              .tty_progress = !cl->json && isatty(2)};
    struct restore_stats st;
    e = client_restore_immutables(&ro, &st);
    mtl_err removed = remove_uncertified(imm, dg, ndg);
    if (e == MTL_OK)
        e = removed;
    if (e != MTL_OK)
        goto fail;

    /* 5: every file in the DB is a certified one with its certified digest */
    step(cl, 5, "Verifying the cardano database");
    if ((e = check_restored(imm, dg, ndg, verified, lo, hi)) != MTL_OK)
        goto fail;
    if (a->ancillary) {
        const char *url = NULL;
        json_array_foreach(json_object_get(json_object_get(art, "ancillary"), "locations"), i, loc)
        {
            const char *u = json_string_value(json_object_get(loc, "uri"));
            if (u && !url)
                url = u;
        }
        if (!url) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "cardano database %s: no ancillary location",
                           hash);
            goto fail;
        }
        step(cl, 5, "Downloading and verifying the ancillary files (IOG signature)");
        /* bounded by what the artifact announces (else the whole DB's size) */
        uint64_t anc_max = json_size(json_object_get(art, "ancillary"), "size_uncompressed");
        if ((e = client_ancillary_restore(url, db, anc_vk, anc_max ? anc_max : announced)) !=
            MTL_OK)
            goto fail;
    }
    step(cl, 6, "Writing the node markers");
    char p[4400];
    snprintf(p, sizeof(p), "%s/clean", db);
    mtl_atomic_write(p, "", 0, 0644);
    const char *net = json_string_value(json_object_get(art, "network"));
    int magic = network_magic(net);
    if (magic >= 0) {
        char m[16];
        int n = snprintf(m, sizeof(m), "%d", magic);
        snprintf(p, sizeof(p), "%s/protocolMagicId", db);
        mtl_atomic_write(p, m, (size_t)n, 0644);
    }
    unlink(resume);
    post_statistics(cl, a->ancillary, a->start >= 0 || a->end >= 0,
                    st.archives_done + st.archives_skipped);
    char canon[PATH_MAX];
    const char *shown = realpath(db, canon) ? canon : db;
    const char *nodev = json_string_value(json_object_get(art, "cardano_node_version"));
    char docker[8192];
    snprintf(docker, sizeof(docker),
             "docker run -v cardano-node-ipc:/ipc -v cardano-node-data:/data --mount "
             "type=bind,source=\"%s\",target=/data/db/ -e NETWORK=%s "
             "ghcr.io/intersectmbo/cardano-node:%s",
             shown, net ? net : "private", nodev ? nodev : "latest");
    if (cl->json) {
        char ts[40];
        time_t t = time(NULL);
        struct tm tmv;
        gmtime_r(&t, &tmv);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tmv);
        json_t *doc =
            json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "timestamp", ts, "db_directory", shown,
                      "run_docker_cmd", docker, "archives_restored", (json_int_t)st.archives_done,
                      "archives_resumed", (json_int_t)st.archives_skipped, "files",
                      (json_int_t)st.files, "bytes", (json_int_t)st.bytes);
        char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(doc);
    } else {
        printf("Cardano database snapshot '%s' archives have been successfully unpacked. Immutable "
               "files have been successfully verified with Mithril.\n\n"
               "    Files in the directory '%s' can be used to run a Cardano node with version >= "
               "%s.\n\nIf you are using the Cardano Docker image, you can restore a Cardano node "
               "with:\n\n    %s\n\n",
               hash, shown, nodev ? nodev : "?", docker);
        printf("(%llu archive(s) restored, %llu already restored by an earlier run, %llu files, "
               "%llu bytes)\n",
               (unsigned long long)st.archives_done, (unsigned long long)st.archives_skipped,
               (unsigned long long)st.files, (unsigned long long)st.bytes);
    }
    rc = CLIENT_EXIT_OK;
    goto out;
fail:
    rc = client_fail(cl, e, what);
out:
    mtl_free(verified);
    mtl_free(dg);
    json_decref(art);
    mtl_free(body);
    return rc;
}

static int parse_num(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0)
        return -1;
    *out = v;
    return 0;
}

int cmd_cardano_db_download(struct client *cl, int argc, char **argv)
{
    struct dl_args a = {.dir = ".",
                        .start = -1,
                        .end = -1,
                        .parallel = 4,
                        .ancillary_vk = getenv("ANCILLARY_VERIFICATION_KEY")};
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long n;
        if (!strcmp(s, "--download-dir") && v)
            a.dir = v, i++;
        else if (!strcmp(s, "--start") && v && parse_num(v, &a.start) == 0)
            i++;
        else if (!strcmp(s, "--end") && v && parse_num(v, &a.end) == 0)
            i++;
        else if (!strcmp(s, "--parallel") && v && parse_num(v, &n) == 0 && n >= 1 && n <= 64)
            a.parallel = (int)n, i++;
        else if (!strcmp(s, "--include-ancillary"))
            a.ancillary = 1;
        else if (!strcmp(s, "--ancillary-verification-key") && v)
            a.ancillary_vk = v, i++;
        else if (!strcmp(s, "--allow-override"))
            a.allow_override = 1;
        else if (s[0] != '-' && !a.hash)
            a.hash = s;
        else {
            fprintf(stderr, "mithril-client: cardano-db download: bad argument '%s'\n", s);
            return CLIENT_EXIT_USAGE;
        }
    }
    if (!a.hash) {
        fprintf(stderr, "mithril-client: cardano-db download: missing <hash|latest>\n");
        return CLIENT_EXIT_USAGE;
    }
    return download(cl, &a);
}
