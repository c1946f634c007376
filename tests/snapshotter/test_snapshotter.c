/* test_snapshotter.c - the Cardano Database v2 snapshotter against a small
 * simulated node DB: archive contents byte for byte (unpacked with tar), the
 * signed ancillary manifest (our client's verifier, tampering rejected), the
 * digests file, the artifact JSON (openapi schema), archive reuse, crash
 * safety (temp + rename), download names, and an end-to-end restore over
 * HTTP with the client's own digests/restore/ancillary code. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client_services.h"
#include "harness.h"
#include "httpd.h"
#include "snapshotter.h"

static char root[256], db[300], out[300];
static uint8_t sk[32], vk[32];
static struct app_httpd *srv;
static char base_url[128];

/* ---- helpers ------------------------------------------------------------ */

static void write_file(const char *path, size_t size, unsigned seed)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    /* half text-like (compressible), half pseudo-random */
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        int c = (i / 512) % 2 ? (int)(x >> 24) : "cardano block "[i % 14];
        fputc(c, f);
    }
    fclose(f);
}

static void mkdirs(const char *p)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
    if (system(cmd) != 0)
        exit(2);
}

static void make_trio(uint64_t n)
{
    static const char *ext[] = {"chunk", "primary", "secondary"};
    static const size_t sizes[] = {40000, 1200, 3000};
    for (int i = 0; i < 3; i++) {
        char p[400];
        snprintf(p, sizeof(p), "%s/immutable/%05llu.%s", db, (unsigned long long)n, ext[i]);
        write_file(p, sizes[i] + n * 100, (unsigned)(n * 3 + (unsigned)i));
    }
}

static void make_ledger(const char *slot, int legacy, const char *backend)
{
    char p[400];
    if (legacy) {
        snprintf(p, sizeof(p), "%s/ledger/%s", db, slot);
        write_file(p, 5000, 99);
        return;
    }
    snprintf(p, sizeof(p), "%s/ledger/%s", db, slot);
    mkdirs(p);
    snprintf(p, sizeof(p), "%s/ledger/%s/meta", db, slot);
    FILE *f = fopen(p, "w");
    fprintf(f, "{\"backend\":\"%s\",\"checksum\":123,\"tablesCodecVersion\":1}", backend);
    fclose(f);
    snprintf(p, sizeof(p), "%s/ledger/%s/state", db, slot);
    write_file(p, 20000, 7);
    snprintf(p, sizeof(p), "%s/ledger/%s/tables", db, slot);
    write_file(p, 30000, 8);
}

static int sha256_file(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    uint8_t buf[65536], md[32];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        EVP_DigestUpdate(c, buf, n);
    fclose(f);
    unsigned l;
    EVP_DigestFinal_ex(c, md, &l);
    EVP_MD_CTX_free(c);
    return mtl_hex_encode(hex, 65, md, 32) == MTL_OK ? 0 : -1;
}

/* The digests of files 0..=n as the digest helper would give them. */
static void fill_digests(uint64_t n, struct mtl_db_digests *d)
{
    memset(d, 0, sizeof(*d));
    d->count = 3 * (n + 1);
    d->files = calloc(d->count, sizeof(*d->files));
    static const char *ext[] = {"chunk", "primary", "secondary"};
    const char **leaves = calloc(d->count, sizeof(char *));
    for (uint64_t i = 0; i <= n; i++)
        for (int k = 0; k < 3; k++) {
            struct mtl_file_digest *f = &d->files[i * 3 + (uint64_t)k];
            f->number = i;
            snprintf(f->name, sizeof(f->name), "%05llu.%s", (unsigned long long)i, ext[k]);
            char p[400];
            snprintf(p, sizeof(p), "%s/immutable/%s", db, f->name);
            struct stat st;
            stat(p, &st);
            d->total_bytes += (uint64_t)st.st_size;
            if (sha256_file(p, f->digest) != 0)
                exit(2);
            leaves[i * 3 + (uint64_t)k] = f->digest;
        }
    if (mtl_cardano_db_merkle_root(leaves, d->count, d->merkle_root) != MTL_OK)
        exit(2);
    free(leaves);
}

static int files_equal(const char *a, const char *b)
{
    char cmd[1000];
    TH_FMT(cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static struct snap_config config(void)
{
    struct snap_config c = {.db_dir = db,
                            .out_dir = out,
                            .base_url = base_url,
                            .network = "devnet",
                            .zstd_level = 9,
                            .ancillary_sk = sk,
                            .cardano_node_version = "10.5.1"};
    return c;
}

static ino_t inode_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_ino : 0;
}

static void on_request(void *ctx, const char *method, const char *path, const char *body,
                       size_t body_len, struct app_http_response *resp)
{
    static const char pfx[] = "/aggregator/cardano-database-download/";
    const struct snap_config *c = ctx;
    if (strncmp(path, pfx, sizeof(pfx) - 1) == 0)
        snap_serve_download(c, path + sizeof(pfx) - 1, resp);
    else
        app_http_error(resp, 404, "not_found", "no route");
}

/* ---- tests -------------------------------------------------------------- */

static char *art_json;
static char art_hash[65];
static struct mtl_db_digests dg3;
static struct snap_config cfg;

TEST(keys_roundtrip)
{
    char *skc = NULL, *vkt = NULL;
    CHECK_OK(snap_ancillary_keypair_text(sk, vk, &skc, &vkt));
    CHECK(strstr(skc, "\"type\":\"secret-key\"") != NULL);
    uint8_t sk2[32], vk2[32];
    CHECK_OK(snap_ancillary_signer_config_parse(sk2, skc));
    CHECK_MEM(sk2, sk, 32);
    CHECK_OK(mtl_genesis_vkey_decode(vk2, vkt)); /* ancillary.vkey text */
    CHECK_MEM(vk2, vk, 32);
    CHECK_ERR(
        snap_ancillary_signer_config_parse(sk2, "{\"type\":\"gcp-kms\",\"resource_name\":\"x\"}"),
        MTL_ERR_CONFIG);
    CHECK_ERR(
        snap_ancillary_signer_config_parse(sk2, "{\"type\":\"secret-key\",\"secret_key\":\"00\"}"),
        MTL_ERR_CONFIG);
    mtl_memzero(skc, strlen(skc));
    mtl_free(skc);
    mtl_free(vkt);
}

TEST(refuses_bad_input)
{
    char *j = NULL, h[65];
    CHECK_ERR(snap_cardano_database(&cfg, 7, 0, &dg3, "ab", &j, h), MTL_ERR_INVALID_ARG);
    struct snap_config c = cfg;
    c.network = "../x";
    CHECK_ERR(snap_cardano_database(&c, 7, 3, &dg3, "ab", &j, h), MTL_ERR_CONFIG);
    /* a DB without any ledger snapshot: error naming the ledger dir, no archive left */
    char nodb[400];
    snprintf(nodb, sizeof(nodb), "%s/noledger", root);
    char cmd[1000];
    TH_FMT(cmd, "mkdir -p %s/ledger && cp -r %s/immutable %s/", nodb, db, nodb);
    CHECK(run(cmd) == 0);
    c = cfg;
    c.db_dir = nodb;
    char o2[400];
    snprintf(o2, sizeof(o2), "%s/out-noledger", root);
    c.out_dir = o2;
    CHECK_ERR(snap_cardano_database(&c, 7, 3, &dg3, "ab", &j, h), MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), "ledger") != NULL);
    snprintf(cmd, sizeof(cmd), "ls -A %s/ancillary | grep -q .", o2);
    CHECK(run(cmd) != 0); /* neither final nor temp file */
    /* no in-progress trio N+1 to ship: an error naming the file */
    c = cfg;
    snprintf(o2, sizeof(o2), "%s/out-notrio", root);
    c.out_dir = o2;
    CHECK_ERR(snap_cardano_database(&c, 7, 4, &dg3, "ab", &j, h), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "digests cover 12 files") != NULL);
    struct mtl_db_digests d4;
    fill_digests(4, &d4);
    CHECK_ERR(snap_cardano_database(&c, 7, 4, &d4, "ab", &j, h), MTL_ERR_IO);
    free(d4.files);
    CHECK(strstr(mtl_err_detail(), "00005.chunk") != NULL);
    CHECK(strstr(mtl_err_detail(), "ancillary") != NULL);
    snprintf(cmd, sizeof(cmd), "ls -A %s/ancillary | grep -q .", o2);
    CHECK(run(cmd) != 0);
    CHECK(j == NULL);
}

TEST(build_artifact)
{
    const char *cert = "557c7445aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaade15";
    CHECK_OK(snap_cardano_database(&cfg, 7, 3, &dg3, cert, &art_json, art_hash));
    char p[600];
    for (int i = 0; i <= 3; i++) {
        snprintf(p, sizeof(p), "%s/immutable/%05d.tar.zst", out, i);
        CHECK(inode_of(p) != 0);
    }
    snprintf(p, sizeof(p), "%s/immutable/00004.tar.zst", out);
    CHECK(inode_of(p) == 0); /* the in-progress trio is not an immutable archive */
    /* the artifact hash: SHA-256(be64(epoch) || merkle_root hex) */
    uint8_t buf[8 + 64] = {0, 0, 0, 0, 0, 0, 0, 7}, md[32];
    memcpy(buf + 8, dg3.merkle_root, 64);
    unsigned l;
    EVP_Digest(buf, sizeof(buf), md, &l, EVP_sha256(), NULL);
    char want[65];
    CHECK_OK(mtl_hex_encode(want, sizeof(want), md, 32));
    CHECK_EQ_STR(art_hash, want);
}

TEST(immutable_archives_match_db)
{
    for (int i = 0; i <= 3; i++) {
        char dir[400], cmd[1200];
        snprintf(dir, sizeof(dir), "%s/unpack-imm-%d", root, i);
        mkdirs(dir);
        snprintf(cmd, sizeof(cmd), "tar --zstd -xf %s/immutable/%05d.tar.zst -C %s", out, i, dir);
        CHECK(run(cmd) == 0);
        /* exactly the trio, as regular files under immutable/ */
        snprintf(cmd, sizeof(cmd),
                 "test \"$(tar --zstd -tf %s/immutable/%05d.tar.zst | sort | tr '\\n' ' ')\" = "
                 "'immutable/%05d.chunk immutable/%05d.primary immutable/%05d.secondary '",
                 out, i, i, i, i);
        CHECK(run(cmd) == 0);
        static const char *ext[] = {"chunk", "primary", "secondary"};
        for (int k = 0; k < 3; k++) {
            char a[500], b[500];
            snprintf(a, sizeof(a), "%s/immutable/%05d.%s", dir, i, ext[k]);
            snprintf(b, sizeof(b), "%s/immutable/%05d.%s", db, i, ext[k]);
            CHECK(files_equal(a, b));
        }
    }
}

TEST(ancillary_archive_and_manifest)
{
    char dir[400], cmd[1200], a[600], b[600];
    snprintf(dir, sizeof(dir), "%s/unpack-anc", root);
    mkdirs(dir);
    snprintf(cmd, sizeof(cmd), "tar --zstd -xf %s/ancillary/devnet-e7-i3.ancillary.tar.zst -C %s",
             out, dir);
    CHECK(run(cmd) == 0);
    static const char *files[] = {"immutable/00004.chunk",     "immutable/00004.primary",
                                  "immutable/00004.secondary", "ledger/200/meta",
                                  "ledger/200/state",          "ledger/200/tables"};
    for (size_t i = 0; i < 6; i++) {
        snprintf(a, sizeof(a), "%s/%s", dir, files[i]);
        snprintf(b, sizeof(b), "%s/%s", db, files[i]);
        CHECK(files_equal(a, b));
    }
    /* only the latest valid snapshot (node >= 10.4.1); no volatile, no older ledger */
    TH_FMT(cmd,
           "test ! -e %s/ledger/100 -a ! -e %s/ledger/150 -a ! -e %s/volatile "
           "-a ! -e %s/ledger/300 -a ! -e %s/immutable/00003.chunk",
           dir, dir, dir, dir, dir);
    CHECK(run(cmd) == 0);
    size_t listed = 0;
    CHECK_OK(client_ancillary_verify_dir(dir, vk, &listed));
    CHECK_EQ_INT(listed, 6);
    /* the manifest is compact JSON, data keys sorted */
    snprintf(a, sizeof(a), "%s/ancillary_manifest.json", dir);
    uint8_t *m = NULL;
    size_t ml = 0;
    CHECK_OK(mtl_read_file(a, 1 << 20, &m, &ml));
    static const char head[] = "{\"data\":{\"immutable/00004.chunk\":\"";
    CHECK(strncmp((char *)m, head, sizeof(head) - 1) == 0);
    CHECK(strstr((char *)m, "\"ledger/200/tables\":\"") != NULL);
    CHECK(strstr((char *)m, "},\"signature\":\"") != NULL);
    CHECK(strchr((char *)m, ' ') == NULL);
    /* another key does not verify */
    uint8_t sk2[32], vk2[32];
    mtl_genesis_keypair(sk2, vk2);
    CHECK_ERR(client_ancillary_verify_dir(dir, vk2, NULL), MTL_ERR_VERIFY_FAIL);
    /* a flipped byte of a listed file is found */
    snprintf(b, sizeof(b), "%s/ledger/200/state", dir);
    FILE *f = fopen(b, "r+b");
    CHECK(f);
    int ch = fgetc(f);
    fseek(f, 0, SEEK_SET);
    fputc(ch ^ 1, f);
    fclose(f);
    CHECK_ERR(client_ancillary_verify_dir(dir, vk, NULL), MTL_ERR_INTEGRITY);
    f = fopen(b, "r+b");
    fputc(ch, f);
    fclose(f);
    CHECK_OK(client_ancillary_verify_dir(dir, vk, NULL));
    /* a flipped signature byte does not verify */
    char *sig = strstr((char *)m, "\"signature\":\"") + 13;
    *sig = *sig == '0' ? '1' : '0';
    CHECK_OK(mtl_atomic_write(a, m, ml, 0644));
    CHECK_ERR(client_ancillary_verify_dir(dir, vk, NULL), MTL_ERR_VERIFY_FAIL);
    mtl_free(m);
}

TEST(digests_archive)
{
    char dir[400], cmd[1200], p[600];
    snprintf(dir, sizeof(dir), "%s/unpack-dig", root);
    mkdirs(dir);
    snprintf(cmd, sizeof(cmd), "tar --zstd -xf %s/digests/devnet-e7-i3.digests.tar.zst -C %s", out,
             dir);
    CHECK(run(cmd) == 0);
    snprintf(p, sizeof(p), "%s/devnet-e7-i3.digests.json", dir);
    uint8_t *t = NULL;
    size_t tl = 0;
    CHECK_OK(mtl_read_file(p, 1 << 20, &t, &tl));
    CHECK_EQ_INT(tl,
                 4 * 345 + 11 + 2); /* compact: 345 bytes a trio + commas + [] (1741 for 5 trios) */
    /* the expected text, from the DB files' own SHA-256 (spec cardano-db.md:
     * [{"immutable_file_name":..,"digest":..},..] sorted by name) */
    static const char *ext[] = {"chunk", "primary", "secondary"};
    char want[4 * 345 + 11 + 3] = "[", hex[65], f[500];
    for (int i = 0; i <= 3; i++)
        for (int k = 0; k < 3; k++) {
            snprintf(f, sizeof(f), "%s/immutable/%05d.%s", db, i, ext[k]);
            CHECK(sha256_file(f, hex) == 0);
            size_t w = strlen(want);
            snprintf(want + w, sizeof(want) - w,
                     "%s{\"immutable_file_name\":\"%05d.%s\",\"digest\":\"%s\"}", i + k ? "," : "",
                     i, ext[k], hex);
        }
    strcat(want, "]");
    CHECK_EQ_INT(strlen(want), tl);
    CHECK_MEM(want, t, tl);
    char *route = NULL; /* what GET /artifact/cardano-database/digests serves */
    size_t rl = 0;
    CHECK_OK(snap_digests_json(&dg3, &route, &rl));
    CHECK_EQ_INT(rl, tl);
    CHECK_MEM(route, want, tl);
    CHECK(route[rl] == 0);
    mtl_free(route);
    struct restore_digest *d = NULL;
    size_t n = 0;
    CHECK_OK(client_digests_parse((char *)t, tl, 3, &d, &n));
    CHECK_EQ_INT(n, 12);
    CHECK_OK(client_digests_check_root(d, n, dg3.merkle_root));
    mtl_free(d);
    json_t *art = json_loads(art_json, 0, NULL);
    CHECK_EQ_INT(
        json_integer_value(json_object_get(json_object_get(art, "digests"), "size_uncompressed")),
        tl);
    json_decref(art);
    mtl_free(t);
}

TEST(artifact_json_shape)
{
    json_t *a = json_loads(art_json, JSON_PRESERVE_ORDER, NULL);
    CHECK(a);
    static const char *order[] = {"hash",
                                  "merkle_root",
                                  "network",
                                  "beacon",
                                  "certificate_hash",
                                  "total_db_size_uncompressed",
                                  "digests",
                                  "immutables",
                                  "ancillary",
                                  "cardano_node_version",
                                  "created_at"};
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v)
    {
        CHECK(i < 11);
        CHECK_EQ_STR(k, order[i]);
        i++;
    }
    CHECK_EQ_INT(i, 11);
    CHECK_EQ_STR(json_string_value(json_object_get(a, "hash")), art_hash);
    CHECK_EQ_STR(json_string_value(json_object_get(a, "merkle_root")), dg3.merkle_root);
    /* sizes: immutables total over trios 1..=3 (reference rule), average over 3 */
    uint64_t trios = 0;
    for (int n = 1; n <= 3; n++)
        trios += 40000 + 1200 + 3000 + 3 * 100 * (uint64_t)n;
    json_t *imm = json_object_get(a, "immutables");
    CHECK_EQ_INT(json_integer_value(json_object_get(imm, "average_size_uncompressed")), trios / 3);
    json_t *anc = json_object_get(a, "ancillary");
    uint64_t anc_size = (uint64_t)json_integer_value(json_object_get(anc, "size_uncompressed"));
    char p[600];
    snprintf(p, sizeof(p), "%s/unpack-anc/ancillary_manifest.json", root);
    struct stat st;
    CHECK(stat(p, &st) == 0);
    /* trio 4 + state + tables + meta + manifest */
    snprintf(p, sizeof(p), "%s/ledger/200/meta", db);
    struct stat sm;
    CHECK(stat(p, &sm) == 0);
    CHECK_EQ_INT(anc_size, 40000 + 1200 + 3000 + 300 * 4 + 20000 + 30000 + (uint64_t)sm.st_size +
                               (uint64_t)st.st_size);
    CHECK_EQ_INT(json_integer_value(json_object_get(a, "total_db_size_uncompressed")),
                 anc_size + trios);
    char want[300];
    snprintf(want, sizeof(want),
             "%s/cardano-database-download/immutable/{immutable_file_number}.tar.zst", base_url);
    CHECK_EQ_STR(json_string_value(json_object_get(
                     json_object_get(json_array_get(json_object_get(imm, "locations"), 0), "uri"),
                     "Template")),
                 want);
    CHECK(strstr(art_json, "\"type\":\"aggregator\",\"uri\":\"") != NULL);
    CHECK(strstr(art_json, "/artifact/cardano-database/digests\"}") != NULL);
    const char *created = json_string_value(json_object_get(a, "created_at"));
    CHECK(created && strlen(created) == 30 && created[29] == 'Z');
    json_decref(a);

    /* the openapi schema (reference data), when available */
    const char *shared = getenv("MTL_SHARED_DIR"), *src = getenv("MTL_SOURCE_DIR");
    char spec[600], cmd[2000];
    snprintf(spec, sizeof(spec), "%s/reference-data/openapi.yaml", shared ? shared : "/none");
    if (!src || access(spec, R_OK) != 0) {
        printf("(openapi schema check skipped: no reference data)\n");
        return;
    }
    snprintf(p, sizeof(p), "%s/artifact.json", root);
    CHECK_OK(mtl_atomic_write(p, art_json, strlen(art_json), 0644));
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 %s/tests/aggregator/openapi_check.py %s "
             "CardanoDatabaseSnapshotMessage %s",
             src, spec, p);
    CHECK(run(cmd) == 0);
    /* and the check does catch a wrong shape */
    TH_FMT(cmd,
           "sed 's/\"beacon\":{\"epoch\":7/\"beacon\":{\"epoch\":\"7\"/' %s > %s.bad && "
           "/usr/bin/python3 %s/tests/aggregator/openapi_check.py %s "
           "CardanoDatabaseSnapshotMessage %s.bad >/dev/null",
           p, p, src, spec, p);
    CHECK(run(cmd) == 1);
}

TEST(second_call_reuses_immutable_archives)
{
    ino_t before[4];
    char p[600];
    for (int i = 0; i <= 3; i++) {
        snprintf(p, sizeof(p), "%s/immutable/%05d.tar.zst", out, i);
        before[i] = inode_of(p);
    }
    char *j = NULL, h[65];
    CHECK_OK(snap_cardano_database(&cfg, 7, 3, &dg3, "ab", &j, h));
    mtl_free(j);
    make_trio(5); /* 4 completes, 5 is in progress */
    struct mtl_db_digests d4;
    fill_digests(4, &d4);
    CHECK_OK(snap_cardano_database(&cfg, 8, 4, &d4, "cd", &j, h));
    mtl_free(j);
    free(d4.files);
    for (int i = 0; i <= 3; i++) {
        snprintf(p, sizeof(p), "%s/immutable/%05d.tar.zst", out, i);
        CHECK(inode_of(p) == before[i]); /* not rewritten */
    }
    snprintf(p, sizeof(p), "%s/immutable/00004.tar.zst", out);
    CHECK(inode_of(p) != 0);
    snprintf(p, sizeof(p), "%s/ancillary/devnet-e8-i4.ancillary.tar.zst", out);
    CHECK(inode_of(p) != 0);
    bool created = true;
    CHECK_OK(snap_immutable_archive(&cfg, 2, &created));
    CHECK(!created);
}

static void die_on_write(void *ctx, const char *tmp, uint64_t bytes)
{
    (void)ctx;
    if (strstr(tmp, ".00005.tar.zst.tmp.") && bytes > 0)
        raise(SIGKILL); /* a crash in the middle of writing archive 00005 */
}

TEST(crash_leaves_no_half_archive)
{
    make_trio(6);
    struct mtl_db_digests d5;
    fill_digests(5, &d5);
    pid_t pid = fork();
    if (pid == 0) {
        struct snap_config c = cfg;
        c.on_write = die_on_write;
        char *j = NULL, h[65];
        snap_cardano_database(&c, 9, 5, &d5, "ef", &j, h);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char p[600];
    snprintf(p, sizeof(p), "%s/immutable/00005.tar.zst", out);
    CHECK(inode_of(p) == 0); /* never under the final name */
    /* the half archive is only a temp file: .00005.tar.zst.tmp.<pid>.<seq> */
    char want[64], tmpname[300] = "";
    snprintf(want, sizeof(want), ".00005.tar.zst.tmp.%ld.", (long)pid);
    snprintf(p, sizeof(p), "%s/immutable", out);
    DIR *dir = opendir(p);
    CHECK(dir);
    struct dirent *de;
    while ((de = readdir(dir)) != NULL)
        if (strncmp(de->d_name, want, strlen(want)) == 0)
            snprintf(tmpname, sizeof(tmpname), "%s", de->d_name);
    closedir(dir);
    CHECK(tmpname[0]);
    CHECK(snprintf(p, sizeof(p), "%s/immutable/%s", out, tmpname) < (int)sizeof(p));
    CHECK(inode_of(p) != 0);
    /* and it is not downloadable */
    struct app_http_response r = {0};
    char sub[400];
    snprintf(sub, sizeof(sub), "immutable/%s", tmpname);
    snap_serve_download(&cfg, sub, &r);
    CHECK_EQ_INT(r.status, 404);
    mtl_free(r.body);
    /* the next run removes the dead process's temp and builds the archive */
    char *j = NULL, h[65];
    CHECK_OK(snap_cardano_database(&cfg, 9, 5, &d5, "ef", &j, h));
    mtl_free(j);
    CHECK(inode_of(p) == 0);
    snprintf(p, sizeof(p), "%s/immutable/00005.tar.zst", out);
    CHECK(inode_of(p) != 0);
    free(d5.files);
}

TEST(download_names)
{
    static const struct {
        const char *sub;
        int status;
    } cases[] = {
        {"immutable/00001.tar.zst", 200},
        {"/immutable/00001.tar.zst?x=1", 200},
        {"ancillary/devnet-e7-i3.ancillary.tar.zst", 200},
        {"digests/devnet-e7-i3.digests.tar.zst", 200},
        {"immutable/99999.tar.zst", 404}, /* well-formed, absent */
        {"immutable/../immutable/00001.tar.zst", 404},
        {"../immutable/00001.tar.zst", 404},
        {"immutable/../../../etc/passwd", 404},
        {"immutable/00001.tar.gz", 404},
        {"immutable/0001.tar.zst", 404},
        {"immutable/00001.tar.zst/", 404},
        {"digests/devnet-e7-i3.ancillary.tar.zst", 404}, /* wrong kind */
        {"ancillary/../devnet-e7-i3.ancillary.tar.zst", 404},
        {"ancillary/a/../devnet-e7-i3.ancillary.tar.zst", 404},
        {"snapshots/x.tar.zst", 404},
        {"", 404},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct app_http_response r = {0};
        snap_serve_download(&cfg, cases[i].sub, &r);
        if (r.status != cases[i].status)
            TH_FAIL("%s: status %d, want %d", cases[i].sub, r.status, cases[i].status);
        if (r.status == 200)
            CHECK(r.file_path && strstr(r.file_path, out) == r.file_path);
        else
            CHECK(r.file_path == NULL);
        mtl_free(r.body);
    }
}

/* Our client restores the artifact over HTTP: digests (tar.zst location,
 * Merkle root), immutable archives (template, every file hashed), ancillary
 * (manifest verified with the vkey, files moved into the DB). */
TEST(client_restores_over_http)
{
    json_t *art = json_loads(art_json, 0, NULL);
    CHECK(art);
    struct restore_digest *d = NULL;
    size_t n = 0;
    CHECK_OK(client_digests_fetch(art, 3, &d, &n));
    CHECK_EQ_INT(n, 12);
    CHECK_OK(
        client_digests_check_root(d, n, json_string_value(json_object_get(art, "merkle_root"))));
    char rdb[400];
    snprintf(rdb, sizeof(rdb), "%s/restored/db", root);
    mkdirs(rdb);
    const char *tpl = json_string_value(json_object_get(
        json_object_get(
            json_array_get(json_object_get(json_object_get(art, "immutables"), "locations"), 0),
            "uri"),
        "Template"));
    struct restore_opts ro = {.url_template = tpl,
                              .db_dir = rdb,
                              .first = 0,
                              .last = 3,
                              .digests = d,
                              .ndigests = n,
                              .parallel = 2};
    struct restore_stats st;
    CHECK_OK(client_restore_immutables(&ro, &st));
    CHECK_EQ_INT(st.archives_done, 4);
    const char *anc = json_string_value(json_object_get(
        json_array_get(json_object_get(json_object_get(art, "ancillary"), "locations"), 0), "uri"));
    CHECK(anc);
    CHECK_OK(client_ancillary_restore(anc, rdb, vk, 0));
    char cmd[1200];
    /* the restored DB holds the same immutable files 0..=4 and ledger as the node's */
    TH_FMT(cmd,
           "cd %s && for f in immutable/0000[0-4].* ledger/200/meta ledger/200/state "
           "ledger/200/tables; do cmp -s $f %s/$f || exit 1; done && test ! -e %s/ledger/100",
           db, rdb, rdb);
    CHECK(run(cmd) == 0);
    /* with the wrong verification key the ancillary is refused */
    uint8_t sk2[32], vk2[32];
    mtl_genesis_keypair(sk2, vk2);
    char rdb2[400];
    snprintf(rdb2, sizeof(rdb2), "%s/restored2/db", root);
    mkdirs(rdb2);
    CHECK_ERR(client_ancillary_restore(anc, rdb2, vk2, 0), MTL_ERR_VERIFY_FAIL);
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", rdb2);
    CHECK(run(cmd) == 0); /* nothing moved in, temp dir removed */
    mtl_free(d);
    json_decref(art);
}

TEST(no_ancillary_key)
{
    struct snap_config c = cfg;
    char o2[400];
    snprintf(o2, sizeof(o2), "%s/out-noanc", root);
    c.out_dir = o2;
    c.ancillary_sk = NULL;
    char *j = NULL, h[65];
    CHECK_OK(snap_cardano_database(&c, 7, 3, &dg3, "ab", &j, h));
    CHECK(strstr(j, "\"ancillary\":{\"size_uncompressed\":0,\"locations\":[]}") != NULL);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s/ancillary)\"", o2);
    CHECK(run(cmd) == 0);
    mtl_free(j);
}

/* Node < 10.4.1: the two latest ledger snapshots; the <= 10.6 in-memory layout
 * (tables/tvar) and the legacy single-file layout are both shipped whole. */
TEST(old_node_ships_two_ledgers)
{
    char db2[400], o2[400], cmd[1500], p[500];
    snprintf(db2, sizeof(db2), "%s/db-old", root);
    snprintf(o2, sizeof(o2), "%s/out-old", root);
    snprintf(cmd, sizeof(cmd), "cp -r %s %s && mkdir -p %s/ledger/250/tables", db, db2, db2);
    CHECK(run(cmd) == 0);
    snprintf(p, sizeof(p), "%s/ledger/250/meta", db2);
    CHECK_OK(mtl_atomic_write(p, "{\"backend\":\"utxohd-mem\"}", 24, 0644));
    snprintf(p, sizeof(p), "%s/ledger/250/state", db2);
    write_file(p, 777, 3);
    snprintf(p, sizeof(p), "%s/ledger/250/tables/tvar", db2);
    write_file(p, 888, 4);
    struct snap_config c = cfg;
    c.db_dir = db2;
    c.out_dir = o2;
    c.cardano_node_version = "10.3.1";
    char *j = NULL, h[65];
    CHECK_OK(snap_cardano_database(&c, 7, 3, &dg3, "ab", &j, h));
    mtl_free(j);
    snprintf(cmd, sizeof(cmd),
             "test \"$(tar --zstd -tf %s/ancillary/devnet-e7-i3.ancillary.tar.zst | grep ledger | "
             "sort | tr '\\n' ' ')\" = 'ledger/200/meta ledger/200/state ledger/200/tables "
             "ledger/250/meta ledger/250/state ledger/250/tables/tvar '",
             o2);
    CHECK(run(cmd) == 0);
    /* 10.4.1 and later: only the newest */
    c.cardano_node_version = "10.4.1";
    CHECK_OK(snap_cardano_database(&c, 7, 3, &dg3, "ab", &j, h));
    mtl_free(j);
    snprintf(cmd, sizeof(cmd),
             "test \"$(tar --zstd -tf %s/ancillary/devnet-e7-i3.ancillary.tar.zst | grep ledger | "
             "sort | tr '\\n' ' ')\" = 'ledger/250/meta ledger/250/state ledger/250/tables/tvar '",
             o2);
    CHECK(run(cmd) == 0);
    /* a legacy single-file snapshot as the newest */
    snprintf(p, sizeof(p), "%s/ledger/400", db2);
    write_file(p, 999, 5);
    CHECK_OK(snap_cardano_database(&c, 7, 3, &dg3, "ab", &j, h));
    mtl_free(j);
    snprintf(cmd, sizeof(cmd),
             "test \"$(tar --zstd -tf %s/ancillary/devnet-e7-i3.ancillary.tar.zst | grep ledger | "
             "tr '\\n' ' ')\" = 'ledger/400 '",
             o2);
    CHECK(run(cmd) == 0);
}

/* The real immutable fragment of the reference's test data (trios 0-3):
 * archives restore byte for byte; prints the compression ratio of real blocks. */
TEST(real_cardano_immutables)
{
    const char *shared = getenv("MTL_SHARED_DIR");
    char src[500], db2[400], o2[400], cmd[1500];
    snprintf(src, sizeof(src), "%s/reference-data/cardano-node-samples/immutable",
             shared ? shared : "/none");
    if (access(src, R_OK) != 0) {
        printf("(real immutables skipped: no reference data)\n");
        return;
    }
    snprintf(db2, sizeof(db2), "%s/db-real", root);
    snprintf(o2, sizeof(o2), "%s/out-real", root);
    TH_FMT(cmd, "mkdir -p %s/immutable %s/ledger && cp %s/* %s/immutable/ && chmod -R u+w %s", db2,
           db2, src, db2, db2);
    CHECK(run(cmd) == 0);
    char p[500];
    snprintf(p, sizeof(p), "%s/ledger/1234", db2);
    write_file(p, 1000, 1);
    char *saved = strdup(db);
    TH_FMT(db, "%s", db2);
    struct mtl_db_digests d;
    fill_digests(2, &d);
    snprintf(db, sizeof(db), "%s", saved);
    free(saved);
    struct snap_config c = cfg;
    c.db_dir = db2;
    c.out_dir = o2;
    char *j = NULL, h[65];
    CHECK_OK(snap_cardano_database(&c, 3, 2, &d, "ab", &j, h));
    mtl_free(j);
    TH_FMT(cmd,
           "mkdir -p %s/unpack && for i in 00000 00001 00002; do tar --zstd -xf "
           "%s/immutable/$i.tar.zst -C %s/unpack || exit 1; done && "
           "for f in %s/unpack/immutable/*; do cmp -s $f %s/immutable/$(basename $f) || exit 1; "
           "done && "
           "test $(ls %s/unpack/immutable | wc -l) = 9",
           o2, o2, o2, o2, db2, o2);
    CHECK(run(cmd) == 0);
    snprintf(cmd, sizeof(cmd), "du -sb --apparent-size %s/immutable", o2);
    FILE *pp = popen(cmd, "r");
    unsigned long long comp = 0;
    if (pp) {
        if (fscanf(pp, "%llu", &comp) != 1)
            comp = 0;
        pclose(pp);
    }
    printf(
        "figure: real immutables 00000-00002: %llu bytes -> %llu bytes zstd-9 tar (ratio %.2f)\n",
        (unsigned long long)d.total_bytes, comp, comp ? (double)d.total_bytes / (double)comp : 0.0);
    free(d.files);
}

/* The artifact hash of the reference's devnet artifacts (fake-aggregator
 * data): same epoch and merkle root give the same hash. */
TEST(artifact_hash_matches_reference)
{
    const char *shared = getenv("MTL_SHARED_DIR");
    char path[600];
    snprintf(path, sizeof(path),
             "%s/reference-data/aggregator-fake-2026-05-21/cardano-databases.json",
             shared ? shared : "/none");
    json_t *all = json_load_file(path, 0, NULL);
    if (!all) {
        printf("(reference artifact hash skipped: no reference data)\n");
        return;
    }
    const char *k;
    json_t *a;
    int checked = 0;
    struct snap_config c = cfg;
    char o2[400];
    snprintf(o2, sizeof(o2), "%s/out-refhash", root);
    c.out_dir = o2;
    c.ancillary_sk = NULL;
    json_object_foreach(all, k, a)
    {
        struct mtl_db_digests d = dg3;
        snprintf(d.merkle_root, sizeof(d.merkle_root), "%s",
                 json_string_value(json_object_get(a, "merkle_root")));
        uint64_t epoch =
            (uint64_t)json_integer_value(json_object_get(json_object_get(a, "beacon"), "epoch"));
        char *j = NULL, h[65];
        CHECK_OK(snap_cardano_database(&c, epoch, 3, &d, "ab", &j, h));
        mtl_free(j);
        CHECK_EQ_STR(h, json_string_value(json_object_get(a, "hash")));
        checked++;
    }
    CHECK(checked > 0);
    json_decref(all);
}

/* The reference's key encodings (golden Ed25519 pair of mithril-common's
 * crypto_helper/ed25519.rs): its secret key in ANCILLARY_FILES_SIGNER_CONFIG
 * signs manifests that its verification key accepts. */
TEST(reference_key_format)
{
    static const char golden_sk[] =
        "5b34332c3133322c3232312c3138382c3235332c3132372c3235352c38362c3136322c3133312c3233332c31"
        "31362c3134322c3233352c3131312c3133332c3134312c3138332c302c33392c3132302c3139372c39322c3133"
        "302c3233342c34362c3135372c32352c3133322c31352c3234312c3235345d";
    static const char golden_vk[] =
        "5b32332c32372c3131322c362c35372c38342c3138302c342c3135302c3233322c3233372c3132362c313139"
        "2c3231342c33352c35342c38312c3230382c3231372c39392c3137302c3233312c3133392c362c3132322c3934"
        "2c39322c3137322c32332c3130322c3135372c3136375d";
    char conf[400];
    snprintf(conf, sizeof(conf), "{\"type\": \"secret-key\", \"secret_key\": \"%s\"}", golden_sk);
    uint8_t gsk[32], gvk[32];
    CHECK_OK(snap_ancillary_signer_config_parse(gsk, conf));
    CHECK_OK(mtl_genesis_vkey_decode(gvk, golden_vk));
    struct snap_config c = cfg;
    char o2[400], dir[400], cmd[1200];
    snprintf(o2, sizeof(o2), "%s/out-golden", root);
    snprintf(dir, sizeof(dir), "%s/unpack-golden", root);
    c.out_dir = o2;
    c.ancillary_sk = gsk;
    char *j = NULL, h[65];
    CHECK_OK(snap_cardano_database(&c, 7, 3, &dg3, "ab", &j, h));
    mtl_free(j);
    TH_FMT(cmd, "mkdir -p %s && tar --zstd -xf %s/ancillary/devnet-e7-i3.ancillary.tar.zst -C %s",
           dir, o2, dir);
    CHECK(run(cmd) == 0);
    CHECK_OK(client_ancillary_verify_dir(dir, gvk, NULL));
    CHECK_ERR(client_ancillary_verify_dir(dir, vk, NULL), MTL_ERR_VERIFY_FAIL);
    mtl_memzero(gsk, sizeof(gsk));
}

/* Figures for the report: archive time and compression ratio of this DB. */
TEST(figures)
{
    struct snap_config c = cfg;
    char o2[400];
    snprintf(o2, sizeof(o2), "%s/out-figures", root);
    c.out_dir = o2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *j = NULL, h[65];
    CHECK_OK(snap_cardano_database(&c, 7, 3, &dg3, "ab", &j, h));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    mtl_free(j);
    char cmd[800];
    TH_FMT(cmd, "du -sb --apparent-size %s/immutable %s/ancillary | awk '{s+=$1} END {print s}'",
           o2, o2);
    FILE *p = popen(cmd, "r");
    unsigned long long comp = 0;
    if (p) {
        if (fscanf(p, "%llu", &comp) != 1)
            comp = 0;
        pclose(p);
    }
    printf("figure: archived %llu bytes in %.3f s, compressed %llu bytes (ratio %.2f)\n",
           (unsigned long long)dg3.total_bytes,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, comp,
           comp ? (double)dg3.total_bytes / (double)comp : 0.0);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

int main(void)
{
    mtl_init();
    snprintf(root, sizeof(root), "/tmp/test_snapshotter.XXXXXX");
    if (!mkdtemp(root))
        return 2;
    snprintf(db, sizeof(db), "%s/db", root);
    snprintf(out, sizeof(out), "%s/snapshots", root);
    char p[400];
    snprintf(p, sizeof(p), "%s/immutable", db);
    mkdirs(p);
    snprintf(p, sizeof(p), "%s/volatile", db);
    mkdirs(p);
    snprintf(p, sizeof(p), "%s/volatile/blocks-0.dat", db);
    write_file(p, 100, 1);
    for (uint64_t i = 0; i <= 4; i++) /* 0..3 complete, 4 in progress */
        make_trio(i);
    make_ledger("100", 0, "utxohd-mem");
    make_ledger("150", 1, NULL);
    make_ledger("200", 0, "utxohd-mem");
    make_ledger("300", 0, "utxohd-lmdb"); /* not an in-memory snapshot: ignored */
    fill_digests(3, &dg3);
    cfg = config();
    if (app_httpd_start(&srv, "127.0.0.1", 0, 1 << 16, on_request, &cfg) != MTL_OK) {
        fprintf(stderr, "httpd: %s\n", mtl_err_detail());
        return 1;
    }
    snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%u/aggregator",
             (unsigned)app_httpd_port(srv));

    RUN(keys_roundtrip);
    RUN(refuses_bad_input);
    RUN(build_artifact);
    RUN(immutable_archives_match_db);
    RUN(ancillary_archive_and_manifest);
    RUN(digests_archive);
    RUN(artifact_json_shape);
    RUN(download_names);
    RUN(client_restores_over_http);
    RUN(second_call_reuses_immutable_archives);
    RUN(crash_leaves_no_half_archive);
    RUN(no_ancillary_key);
    RUN(old_node_ships_two_ledgers);
    RUN(real_cardano_immutables);
    RUN(artifact_hash_matches_reference);
    RUN(reference_key_format);
    RUN(figures);

    app_httpd_stop(srv);
    mtl_free(art_json);
    free(dg3.files);
    int rc = DONE();
    if (rc == 0)
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
