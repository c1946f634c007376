/* client_cmd_db_verify.c - `cardano-db verify <hash|latest> --db-dir D
 * [--start N] [--end M] [--allow-missing]`: the verify service
 * (client_db_verify.c) and its report, printed as the reference's
 * cardano_db/verify.rs prints it (JSON lines on stdout with --json, the
 * report file immutables_verification_error-<unix time>.json in the
 * current directory), every failing file named. Unlike the reference,
 * which prints the report and exits 0, a DB that fails exits 1. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_cli.h"

static int parse_args(int argc, char **argv, struct client_verify_request *rq)
{
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--db-dir") && v)
            rq->db_dir = v, i++;
        else if (!strcmp(s, "--start") && v && cli_parse_num(v, &rq->start) == 0)
            i++;
        else if (!strcmp(s, "--end") && v && cli_parse_num(v, &rq->end) == 0)
            i++;
        else if (!strcmp(s, "--allow-missing"))
            rq->allow_missing = 1;
        else if (s[0] != '-' && !rq->hash)
            rq->hash = s;
        else
            return out_usage("cardano-db verify: bad argument '%s'", s);
    }
    if (!rq->hash)
        return out_usage("cardano-db verify: missing <hash|latest>");
    if (!rq->db_dir)
        return out_usage("cardano-db verify: missing --db-dir");
    return CLIENT_EXIT_OK;
}

/* One compact JSON line on stdout (the reference's println!("{json}")). */
static void print_line(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    printf("%s\n", s ? s : "{}");
    fflush(stdout);
    free(s);
    json_decref(j);
}

static void on_range(void *ctx, uint64_t first, uint64_t last)
{
    const struct cli *c = ctx;
    char ts[40];
    out_timestamp(ts);
    if (c->json)
        print_line(json_pack("{s:s,s:{s:I,s:I}}", "timestamp", ts,
                             "local_immutable_range_to_verify", "start", (json_int_t)first, "end",
                             (json_int_t)last));
    else
        out_note("Verifying local immutable files from number %llu to %llu",
                 (unsigned long long)first, (unsigned long long)last);
}

static json_t *names_json(const struct client_file_names *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->count; i++)
        json_array_append_new(a, json_string(l->name[i]));
    return a;
}

/* The reference's report file; its name, or "" when it could not be written. */
static void write_report(const struct client_verify_result *r, const char *ts, char *path,
                         size_t cap)
{
    snprintf(path, cap, "immutables_verification_error-%lld.json", (long long)time(NULL));
    json_t *j =
        json_pack("{s:s,s:s,s:o,s:o,s:o}", "timestamp", ts, "immutables_dir", r->immutables_dir,
                  "missing-files", names_json(&r->missing), "tampered-files",
                  names_json(&r->tampered), "non-verifiable-files", names_json(&r->non_verifiable));
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (!s || mtl_atomic_write(path, s, strlen(s), 0644) != MTL_OK) {
        out_note("Warning: could not save the error report file %s: %s", path,
                 s ? mtl_err_detail() : "out of memory");
        path[0] = 0;
    }
    free(s);
    json_decref(j);
}

static void print_names(const char *label, const char *dir, const struct client_file_names *l)
{
    if (l->count == 0)
        return;
    printf("Number of %s immutable files: %zu\n", label, l->count);
    for (size_t i = 0; i < l->count; i++)
        printf("  %s/%s\n", dir, l->name[i]);
}

static void print_failure(const struct cli *c, const struct client_verify_result *r)
{
    const char *msg = "Verifying immutables files has failed";
    char ts[40], report[128];
    out_timestamp(ts);
    write_report(r, ts, report, sizeof(report));
    if (c->json) {
        print_line(json_pack("{s:s,s:{s:s,s:o,s:s,s:I,s:I,s:I}}", "timestamp", ts, "verify_error",
                             "message", msg, "immutables_verification_error_file",
                             report[0] ? json_string(report) : json_null(), "immutables_dir",
                             r->immutables_dir, "missing_files_count", (json_int_t)r->missing.count,
                             "tampered_files_count", (json_int_t)r->tampered.count,
                             "non_verifiable_files_count", (json_int_t)r->non_verifiable.count));
        return;
    }
    printf("%s\n", msg);
    if (report[0])
        printf("See the lists of all missing, tampered and non verifiable files in %s\n", report);
    else
        printf("(Detailed error report could not be saved to disk)\n");
    print_names("missing", r->immutables_dir, &r->missing);
    print_names("tampered", r->immutables_dir, &r->tampered);
    print_names("non verifiable", r->immutables_dir, &r->non_verifiable);
}

static void print_success(const struct cli *c, const struct client_verify_request *rq,
                          const struct client_verify_result *r)
{
    if (c->json) {
        char ts[40], real[PATH_MAX];
        out_timestamp(ts);
        print_line(json_pack("{s:s,s:s}", "timestamp", ts, "verified_db_directory",
                             realpath(rq->db_dir, real) ? real : rq->db_dir));
        return;
    }
    printf("Cardano database snapshot '%s' archives have been successfully verified. Immutable "
           "files have been successfully verified with Mithril.\n",
           r->hash);
    printf("(%zu files, %llu bytes, immutable files %llu to %llu)\n", r->checked,
           (unsigned long long)r->bytes, (unsigned long long)r->first, (unsigned long long)r->last);
}

int cmd_cardano_db_verify(struct cli *c, int argc, char **argv)
{
    struct client_verify_request rq = {.start = -1, .end = -1, .on_range = on_range, .ctx = c};
    int rc = parse_args(argc, argv, &rq);
    if (rc != CLIENT_EXIT_OK)
        return rc;
    struct client_verify_result res;
    mtl_err e = client_cardano_db_verify(&c->cl, &rq, &res);
    char why[1024];
    snprintf(why, sizeof(why), "%s", mtl_err_detail());
    if (e == MTL_OK)
        print_success(c, &rq, &res);
    else if (res.missing.count + res.tampered.count + res.non_verifiable.count > 0)
        print_failure(c, &res);
    client_verify_result_free(&res);
    if (e == MTL_OK)
        return CLIENT_EXIT_OK;
    return out_fail(c, mtl_seterr(e, "%s", why), "cardano-db verify");
}
