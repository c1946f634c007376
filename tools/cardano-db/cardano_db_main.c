/* cardano_db_main.c - mithril-cardano-db: the digests a signer or aggregator
 * would compute on a Cardano node database (certifiable immutable number,
 * legacy digest, v2 Merkle root) and the SHA-256 of every immutable file. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mithril/mithril.h"
#include "program.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fputs("Usage: mithril-cardano-db [-v...] COMMAND [OPTIONS]\n"
          "\n"
          "Commands:\n"
          "  digest --db DIR [--immutable-file-number N] [--network NAME] [--epoch E]\n"
          "         [--cache FILE] [--threads T] [--json]\n"
          "      Digests of immutable files 0..N (default N: the last certifiable number,\n"
          "      i.e. the highest number below the trio being written): the v2 Merkle\n"
          "      root (cardano_database_merkle_root) and, with --network, the legacy\n"
          "      snapshot digest (snapshot_digest) of beacon (E, N) (E default 0).\n"
          "  files --db DIR [--cache FILE] [--threads T] [--json]\n"
          "      SHA-256 of every immutable file (\"<sha256>  <name>\" lines).\n"
          "\n"
          "Options:\n"
          "  --db DIR        the node database (db/ or db/immutable/)\n"
          "  --cache FILE    digest cache (JSON; a file is re-hashed when its size or\n"
          "                  mtime changed; a corrupt cache is reported and ignored)\n"
          "  --threads T     hashing threads (default: online CPUs)\n"
          "  --json          JSON result on stdout (and JSON log lines on stderr)\n"
          "  -v              more logs on stderr (-vv debug)\n"
          "  -h, --help      this help\n"
          "\n"
          "JSON of digest: {\"immutable_file_number\",\"epoch\",\"network\",\"digest\",\n"
          "  \"merkle_root\",\"beacon_hash\",\"cardano_database_hash\",\"total_bytes\",\n"
          "  \"hashed\",\"from_cache\",\"files\":[{\"name\",\"digest\"}]}; digest is null\n"
          "  without --network.\n"
          "Exit codes: 0 ok, 1 failure, 2 usage error.\n",
          f);
}

struct args {
    const char *db, *network, *cache;
    uint64_t number, epoch;
    int has_number, json, verbosity;
    unsigned threads;
};

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* 0 ok, EXIT_USAGE on a bad flag (reported), -1 for --help (printed). */
static int parse_args(int argc, char **argv, struct args *a, int allow_beacon)
{
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            return -1;
        } else if (strcmp(o, "--json") == 0) {
            a->json = 1;
            takes = 0;
        } else if (o[0] == '-' && o[1] == 'v' && strspn(o + 1, "v") == strlen(o + 1)) {
            a->verbosity += (int)strlen(o + 1);
            takes = 0;
        } else if (!v) {
            fprintf(stderr, "mithril-cardano-db: %s: missing value or unknown option\n", o);
            return EXIT_USAGE;
        } else if (strcmp(o, "--db") == 0) {
            a->db = v;
        } else if (strcmp(o, "--cache") == 0) {
            a->cache = v;
        } else if (strcmp(o, "--threads") == 0) {
            uint64_t t;
            if (parse_u64(v, &t) != 0 || t < 1 || t > 256) {
                fprintf(stderr, "mithril-cardano-db: --threads: expected 1..256, got '%s'\n", v);
                return EXIT_USAGE;
            }
            a->threads = (unsigned)t;
        } else if (allow_beacon && strcmp(o, "--network") == 0) {
            a->network = v;
        } else if (allow_beacon && strcmp(o, "--epoch") == 0) {
            if (parse_u64(v, &a->epoch) != 0) {
                fprintf(stderr, "mithril-cardano-db: --epoch: not a number: '%s'\n", v);
                return EXIT_USAGE;
            }
        } else if (allow_beacon && strcmp(o, "--immutable-file-number") == 0) {
            if (parse_u64(v, &a->number) != 0) {
                fprintf(stderr, "mithril-cardano-db: --immutable-file-number: not a number: '%s'\n",
                        v);
                return EXIT_USAGE;
            }
            a->has_number = 1;
        } else {
            fprintf(stderr, "mithril-cardano-db: unknown option '%s' (see --help)\n", o);
            return EXIT_USAGE;
        }
        i += takes;
    }
    if (!a->db) {
        fprintf(stderr, "mithril-cardano-db: --db DIR is required (see --help)\n");
        return EXIT_USAGE;
    }
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The error goes to stderr as a structured log line (always shown). */
static int fail(const char *event, mtl_err e)
{
    log_error(event, "error=\"%s\" detail=\"%s\"", mtl_strerror(e), mtl_err_detail());
    return 1;
}

static int open_cache(const struct args *a, struct mtl_digest_cache **c)
{
    *c = NULL;
    if (!a->cache)
        return 0;
    mtl_err e = mtl_digest_cache_open(c, a->cache);
    if (e != MTL_OK)
        return fail("cache_open_failed", e);
    if (mtl_digest_cache_warning(*c))
        log_warn("cache_ignored", "detail=\"%s\"", mtl_digest_cache_warning(*c));
    else
        log_info("cache_loaded", "path=\"%s\" entries=%zu", a->cache, mtl_digest_cache_count(*c));
    return 0;
}

static void close_cache(struct mtl_digest_cache *c, const char *load_warning_seen)
{
    const char *w = mtl_digest_cache_warning(c);
    if (w && w != load_warning_seen)
        log_warn("cache_not_saved", "detail=\"%s\"", w);
    mtl_digest_cache_free(c);
}

static void log_rate(const struct mtl_db_digests *d, double secs)
{
    log_info("hashed",
             "files=%zu hashed=%zu from_cache=%zu bytes=%" PRIu64 " secs=%.3f "
             "mb_per_s=%.1f",
             d->count, d->hashed, d->from_cache, d->total_bytes, secs,
             secs > 0 ? (double)d->total_bytes / secs / 1e6 : 0.0);
}

static int print_json(json_t *o)
{
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : 1;
    fputc('\n', stdout);
    json_decref(o);
    return rc;
}

static int cmd_digest(const struct args *a)
{
    uint64_t n = a->number;
    mtl_err e;
    if (!a->has_number) {
        e = mtl_immutable_last_certifiable(a->db, &n);
        if (e != MTL_OK)
            return fail("certifiable_number_failed", e);
        log_info("certifiable_number", "immutable_file_number=%" PRIu64, n);
    }
    struct mtl_digest_cache *cache = NULL;
    if (open_cache(a, &cache) != 0)
        return 1;
    const char *load_warning = mtl_digest_cache_warning(cache);
    struct mtl_digest_opts o = {
        .network = a->network, .epoch = a->epoch, .threads = a->threads, .cache = cache};
    struct mtl_db_digests d;
    double t0 = now();
    e = mtl_cardano_db_digest(a->db, n, &o, &d);
    double secs = now() - t0;
    close_cache(cache, load_warning);
    if (e != MTL_OK)
        return fail("digest_failed", e);
    log_rate(&d, secs);

    char beacon[MTL_DIGEST_HEX_BYTES], dbhash[MTL_DIGEST_HEX_BYTES];
    mtl_cardano_db_beacon_hash(a->epoch, n, beacon);
    mtl_cardano_database_hash(a->epoch, d.merkle_root, dbhash);
    int rc = 0;
    if (a->json) {
        json_t *files = json_array();
        for (size_t i = 0; i < d.count; i++)
            json_array_append_new(files, json_pack("{s:s,s:s}", "name", d.files[i].name, "digest",
                                                   d.files[i].digest));
        json_t *out =
            json_pack("{s:I,s:I,s:o,s:o,s:s,s:s,s:s,s:I,s:I,s:I,s:o}", "immutable_file_number",
                      (json_int_t)n, "epoch", (json_int_t)a->epoch, "network",
                      a->network ? json_string(a->network) : json_null(), "digest",
                      a->network ? json_string(d.legacy_digest) : json_null(), "merkle_root",
                      d.merkle_root, "beacon_hash", beacon, "cardano_database_hash", dbhash,
                      "total_bytes", (json_int_t)d.total_bytes, "hashed", (json_int_t)d.hashed,
                      "from_cache", (json_int_t)d.from_cache, "files", files);
        rc = out ? print_json(out) : 1;
    } else {
        printf("immutable_file_number %" PRIu64 "\n", n);
        printf("epoch %" PRIu64 "\n", a->epoch);
        printf("digest %s\n", a->network ? d.legacy_digest : "(needs --network)");
        printf("merkle_root %s\n", d.merkle_root);
        printf("cardano_database_hash %s\n", dbhash);
        printf("files %zu (%" PRIu64 " bytes, %zu hashed, %zu from cache)\n", d.count,
               d.total_bytes, d.hashed, d.from_cache);
    }
    mtl_db_digests_free(&d);
    return rc;
}

static int cmd_files(const struct args *a)
{
    struct mtl_immutable_list l;
    mtl_err e = mtl_immutable_list_all(a->db, &l);
    if (e != MTL_OK)
        return fail("listing_failed", e);
    struct mtl_digest_cache *cache = NULL;
    if (open_cache(a, &cache) != 0) {
        mtl_immutable_list_free(&l);
        return 1;
    }
    const char *load_warning = mtl_digest_cache_warning(cache);
    struct mtl_digest_opts o = {.threads = a->threads, .cache = cache};
    struct mtl_db_digests d;
    double t0 = now();
    e = mtl_immutable_files_digest(&l, &o, &d);
    double secs = now() - t0;
    close_cache(cache, load_warning);
    mtl_immutable_list_free(&l);
    if (e != MTL_OK)
        return fail("digest_failed", e);
    log_rate(&d, secs);
    int rc = 0;
    if (a->json) {
        json_t *files = json_array();
        for (size_t i = 0; i < d.count; i++)
            json_array_append_new(files, json_pack("{s:s,s:I,s:I,s:s}", "name", d.files[i].name,
                                                   "number", (json_int_t)d.files[i].number, "size",
                                                   (json_int_t)d.files[i].size, "digest",
                                                   d.files[i].digest));
        rc = print_json(json_pack("{s:o}", "files", files));
    } else {
        for (size_t i = 0; i < d.count; i++)
            printf("%s  %s\n", d.files[i].digest, d.files[i].name);
    }
    mtl_db_digests_free(&d);
    return rc;
}

int main(int argc, char **argv)
{
    if (app_prog_version("mithril-cardano-db", argc, argv))
        return 0;
    int i = 1, verbosity = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (app_prog_verbose_flag(argv[i])) {
            verbosity += app_prog_verbose_flag(argv[i]);
        } else {
            fprintf(stderr, "mithril-cardano-db: unknown option '%s' (see --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[i];
    int is_digest = strcmp(cmd, "digest") == 0;
    if (!is_digest && strcmp(cmd, "files") != 0) {
        fprintf(stderr, "mithril-cardano-db: unknown command '%s' (digest, files)\n", cmd);
        return EXIT_USAGE;
    }
    struct args a = {.verbosity = verbosity};
    int rc = parse_args(argc - i - 1, argv + i + 1, &a, is_digest);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    app_log_setup("cardano-db", a.verbosity, a.json);
    if (mtl_init() != MTL_OK)
        return fail("init_failed", MTL_ERR_INTERNAL);
    return is_digest ? cmd_digest(&a) : cmd_files(&a);
}
