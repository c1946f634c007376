/* restore_fixture.c - see restore_fixture.h. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mithril/cardano_db.h"
#include "common/common_int.h"
#include "mithril/certificate.h"
#include "restore_fixture.h"

#define BASE "http://localhost:8080/aggregator"

static mtl_err mkdirs(const char *p)
{
    char b[4096];
    snprintf(b, sizeof(b), "%s", p);
    for (char *s = b + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(b, 0755);
            *s = '/';
        }
    MTL_CHECK(mkdir(b, 0755) == 0 || errno == EEXIST, MTL_ERR_IO, "mkdir %s: %s", b,
              strerror(errno));
    return MTL_OK;
}

static mtl_err write_pseudo(const char *path, uint64_t size, uint64_t seed)
{
    FILE *f = fopen(path, "wb");
    MTL_CHECK(f, MTL_ERR_IO, "open %s: %s", path, strerror(errno));
    uint8_t buf[65536];
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    while (size > 0) {
        size_t n = size < sizeof(buf) ? (size_t)size : sizeof(buf);
        for (size_t i = 0; i < n; i += 8) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* half the bytes random, half small: compresses about 2x like chain data */
            for (size_t k = 0; k < 8 && i + k < n; k++)
                buf[i + k] = (k & 1) ? (uint8_t)(x >> (8 * k)) : (uint8_t)((x >> (8 * k)) & 7);
        }
        if (fwrite(buf, 1, n, f) != n) {
            fclose(f);
            return mtl_seterr(MTL_ERR_IO, "write %s", path);
        }
        size -= n;
    }
    MTL_CHECK(fclose(f) == 0, MTL_ERR_IO, "close %s", path);
    return MTL_OK;
}

mtl_err fixture_make_db(const char *db, uint64_t last, uint64_t chunk_bytes)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/immutable", db);
    MTL_TRY(mkdirs(dir));
    for (uint64_t i = 0; i <= last; i++) {
        char p[4200];
        snprintf(p, sizeof(p), "%s/%05llu.chunk", dir, (unsigned long long)i);
        MTL_TRY(write_pseudo(p, chunk_bytes + (i * 7919) % 4096, i * 3 + 1));
        snprintf(p, sizeof(p), "%s/%05llu.primary", dir, (unsigned long long)i);
        MTL_TRY(write_pseudo(p, 401, 7)); /* identical primaries, as on a real node */
        snprintf(p, sizeof(p), "%s/%05llu.secondary", dir, (unsigned long long)i);
        MTL_TRY(write_pseudo(p, 56 * (1 + i % 50), i * 3 + 3));
    }
    return MTL_OK;
}

static mtl_err sha256_file(const char *path, char hex[65], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    MTL_CHECK(f, MTL_ERR_IO, "open %s: %s", path, strerror(errno));
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    uint8_t buf[65536], md[32];
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        EVP_DigestUpdate(c, buf, n);
        *size += n;
    }
    fclose(f);
    unsigned int l;
    EVP_DigestFinal_ex(c, md, &l);
    EVP_MD_CTX_free(c);
    return mtl_hex_encode(hex, 65, md, 32);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* tar.zst of the given files (paths relative to root), entry names as given */
static mtl_err write_archive(const char *out, const char *root, const char *const *names, size_t n,
                             const char *mem_name, const char *mem, size_t mem_len)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_gnutar(a);
    archive_write_add_filter_zstd(a);
    archive_write_set_filter_option(a, "zstd", "compression-level", "3");
    mtl_err e = MTL_OK;
    if (archive_write_open_filename(a, out) != ARCHIVE_OK) {
        e = mtl_seterr(MTL_ERR_IO, "archive %s: %s", out, archive_error_string(a));
        goto out;
    }
    for (size_t i = 0; i <= n; i++) {
        const char *name = i < n ? names[i] : mem_name;
        if (!name)
            break;
        char p[4200];
        snprintf(p, sizeof(p), "%s/%s", root, name);
        struct stat st = {0};
        if (i < n && stat(p, &st) != 0) {
            e = mtl_seterr(MTL_ERR_IO, "stat %s", p);
            goto out;
        }
        struct archive_entry *en = archive_entry_new();
        archive_entry_set_pathname(en, name);
        archive_entry_set_size(en, i < n ? st.st_size : (la_int64_t)mem_len);
        archive_entry_set_filetype(en, AE_IFREG);
        archive_entry_set_perm(en, 0644);
        archive_write_header(a, en);
        archive_entry_free(en);
        if (i == n) {
            archive_write_data(a, mem, mem_len);
            continue;
        }
        FILE *f = fopen(p, "rb");
        char buf[65536];
        size_t k;
        while (f && (k = fread(buf, 1, sizeof(buf), f)) > 0)
            archive_write_data(a, buf, k);
        if (f)
            fclose(f);
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        e = mtl_seterr(MTL_ERR_IO, "archive %s: %s", out, archive_error_string(a));
out:
    archive_write_free(a);
    return e;
}

static mtl_err dump(const char *dir, const char *name, json_t *j)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    MTL_CHECK(json_dump_file(j, p, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0, MTL_ERR_IO, "write %s",
              p);
    return MTL_OK;
}

/* Ancillary archive: the in-progress trio last+1 and a ledger file, with a
 * manifest signed by a fresh ancillary key (its vkey goes to data_dir). */
static mtl_err make_ancillary(const char *data_dir, const char *files_dir, const char *stem,
                              uint64_t last)
{
    char stage[4200], p[4400];
    snprintf(stage, sizeof(stage), "%s/ancillary-stage", data_dir);
    snprintf(p, sizeof(p), "%s/immutable", stage);
    MTL_TRY(mkdirs(p));
    snprintf(p, sizeof(p), "%s/ledger", stage);
    MTL_TRY(mkdirs(p));
    char names[4][64];
    snprintf(names[0], 64, "immutable/%05llu.chunk", (unsigned long long)last + 1);
    snprintf(names[1], 64, "immutable/%05llu.primary", (unsigned long long)last + 1);
    snprintf(names[2], 64, "immutable/%05llu.secondary", (unsigned long long)last + 1);
    snprintf(names[3], 64, "ledger/%llu", (unsigned long long)(last * 100 + 42));
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    json_t *data = json_object();
    for (int i = 0; i < 4; i++) { /* names are already in sorted order */
        MTL_TRY(mtl_path_fmt(p, sizeof(p), "%s/%s", stage, names[i]));
        MTL_TRY(write_pseudo(p, 3000 + 1000 * (uint64_t)i, 1000 + (uint64_t)i));
        char hex[65];
        uint64_t sz;
        MTL_TRY(sha256_file(p, hex, &sz));
        json_object_set_new(data, names[i], json_string(hex));
        EVP_DigestUpdate(h, names[i], strlen(names[i]));
        EVP_DigestUpdate(h, hex, 64);
    }
    uint8_t md[32], sk[32], vk[32], sig[64];
    unsigned int l;
    EVP_DigestFinal_ex(h, md, &l);
    EVP_MD_CTX_free(h);
    mtl_genesis_keypair(sk, vk);
    mtl_err e = mtl_genesis_sign(sig, sk, md, 32);
    mtl_memzero(sk, sizeof(sk));
    MTL_TRY(e);
    char sighex[129], *vktext;
    mtl_hex_encode(sighex, sizeof(sighex), sig, 64);
    json_t *m = json_pack("{s:o,s:s}", "data", data, "signature", sighex);
    char *mj = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(m);
    MTL_TRY(mtl_genesis_key_encode(&vktext, vk));
    snprintf(p, sizeof(p), "%s/ancillary.vkey", data_dir);
    e = mtl_atomic_write(p, vktext, strlen(vktext), 0644);
    mtl_free(vktext);
    MTL_TRY(e);
    snprintf(p, sizeof(p), "%s/ancillary", files_dir);
    MTL_TRY(mkdirs(p));
    snprintf(p, sizeof(p), "%s/ancillary/%s.ancillary.tar.zst", files_dir, stem);
    const char *list[] = {names[0], names[1], names[2], names[3]};
    e = write_archive(p, stage, list, 4, "ancillary_manifest.json", mj, strlen(mj));
    free(mj);
    return e;
}

mtl_err fixture_publish(const char *db, const char *data_dir, const char *files_dir, uint64_t epoch)
{
    char imm[4096];
    snprintf(imm, sizeof(imm), "%s/immutable", db);
    DIR *d = opendir(imm);
    MTL_CHECK(d, MTL_ERR_IO, "opendir %s: %s", imm, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(char *));
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmp_str);
    MTL_TRY(mkdirs(data_dir));
    char sub[4200];
    snprintf(sub, sizeof(sub), "%s/immutable", files_dir);
    MTL_TRY(mkdirs(sub));
    snprintf(sub, sizeof(sub), "%s/digests", files_dir);
    MTL_TRY(mkdirs(sub));

    json_t *digests = json_array();
    char(*hex)[65] = calloc(n + 1, 65);
    const char **leaves = calloc(n + 1, sizeof(char *));
    uint64_t last = 0, total = 0, sz = 0;
    for (size_t i = 0; i < n; i++) {
        char p[4400];
        snprintf(p, sizeof(p), "%s/%s", imm, names[i]);
        MTL_TRY(sha256_file(p, hex[i], &sz));
        total += sz;
        leaves[i] = hex[i];
        json_array_append_new(
            digests, json_pack("{s:s,s:s}", "immutable_file_name", names[i], "digest", hex[i]));
        uint64_t num = strtoull(names[i], NULL, 10);
        if (num > last)
            last = num;
    }
    char root[65];
    MTL_TRY(mtl_cardano_db_merkle_root(leaves, n, root));

    /* archives: one per number, plus the digests */
    for (uint64_t k = 0; k <= last; k++) {
        char a[4400], e0[40], e1[40], e2[40];
        snprintf(e0, sizeof(e0), "immutable/%05llu.chunk", (unsigned long long)k);
        snprintf(e1, sizeof(e1), "immutable/%05llu.primary", (unsigned long long)k);
        snprintf(e2, sizeof(e2), "immutable/%05llu.secondary", (unsigned long long)k);
        const char *trio[] = {e0, e1, e2};
        snprintf(a, sizeof(a), "%s/immutable/%05llu.tar.zst", files_dir, (unsigned long long)k);
        MTL_TRY(write_archive(a, db, trio, 3, NULL, NULL, 0));
    }
    char *dj = json_dumps(digests, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char stem[128], a[4400];
    snprintf(stem, sizeof(stem), "devnet-e%llu-i%llu", (unsigned long long)epoch,
             (unsigned long long)last);
    snprintf(a, sizeof(a), "%s/digests/%s.digests.tar.zst", files_dir, stem);
    char mem_name[160];
    snprintf(mem_name, sizeof(mem_name), "%s.digests.json", stem);
    MTL_TRY(write_archive(a, files_dir, NULL, 0, mem_name, dj, strlen(dj)));
    MTL_TRY(make_ancillary(data_dir, files_dir, stem, last));
    char anc_url[512];
    snprintf(anc_url, sizeof(anc_url),
             BASE "/cardano-database-download/ancillary/%s.ancillary.tar.zst", stem);

    /* genesis certificate over the CardanoDatabase message */
    uint8_t sk[32], vk[32];
    mtl_genesis_keypair(sk, vk);
    char *vktext;
    MTL_TRY(mtl_genesis_key_encode(&vktext, vk));
    char p[4400];
    snprintf(p, sizeof(p), "%s/genesis.vkey", data_dir);
    MTL_TRY(mtl_atomic_write(p, vktext, strlen(vktext), 0644));
    mtl_free(vktext);
    struct mtl_stm_params params = {.m = 100, .k = 5, .phi_f = 0.65};
    const char *avk_json =
        "{\"mt_commitment\":{\"root\":[1,2,3],\"nr_leaves\":1},\"total_stake\":1}";
    char *avk;
    MTL_TRY(mtl_jsonhex_encode(&avk, avk_json, strlen(avk_json)));
    struct mtl_signed_entity_type entity = {
        .kind = MTL_SET_CARDANO_DATABASE, .epoch = epoch, .a = last};
    struct mtl_signed_entity_view view = {
        .next_avk = avk, .next_params = &params, .merkle_root = root};
    struct mtl_protocol_message *pm = NULL;
    mtl_err e = mtl_signed_entity_message(&pm, &entity, &view);
    if (e != MTL_OK) {
        mtl_memzero(sk, sizeof(sk));
        mtl_free(avk);
        return e;
    }
    int64_t now = (int64_t)time(NULL) * 1000000000ll;
    struct mtl_certificate_params cp = {
        .previous_hash = "",
        .epoch = epoch,
        .signed_entity = entity,
        .network = "devnet",
        .version = "0.1.0",
        .params = params,
        .initiated_at_ns = now,
        .sealed_at_ns = now,
        .message = pm,
        .avk_jsonhex = avk,
        .genesis_sk = sk};
    struct mtl_certificate *cert;
    e = mtl_certificate_build(&cert, &cp);
    mtl_memzero(sk, sizeof(sk));
    mtl_protocol_message_free(pm);
    mtl_free(avk);
    MTL_TRY(e);
    char *cj;
    MTL_TRY(mtl_certificate_to_json(cert, &cj));
    json_t *certj = json_loads(cj, JSON_PRESERVE_ORDER, NULL);
    mtl_free(cj);
    json_t *certs = json_object();
    json_object_set(certs, mtl_certificate_hash(cert), certj);
    json_t *clist = json_array();
    json_array_append(clist, certj);
    MTL_TRY(dump(data_dir, "certificates.json", certs));
    MTL_TRY(dump(data_dir, "certificates-list.json", clist));

    /* artifact: hash = SHA-256(be64(epoch) || merkle_root) */
    uint8_t hb[8 + 64], md[32];
    mtl_be64_put(hb, epoch);
    memcpy(hb + 8, root, 64);
    unsigned int mdl;
    EVP_Digest(hb, sizeof(hb), md, &mdl, EVP_sha256(), NULL);
    char ah[65];
    mtl_hex_encode(ah, sizeof(ah), md, 32);
    char dg_url[512];
    snprintf(dg_url, sizeof(dg_url), BASE "/cardano-database-download/digests/%s.digests.tar.zst",
             stem);
    json_t *art = json_pack(
        "{s:s,s:s,s:s,s:{s:I,s:I},s:s,s:I,"
        "s:{s:I,s:[{s:s,s:s,s:s},{s:s,s:s}]},"
        "s:{s:I,s:[{s:s,s:{s:s},s:s}]},"
        "s:{s:I,s:[{s:s,s:s,s:s}]},"
        "s:s,s:s}",
        "hash", ah, "merkle_root", root, "network", "devnet", "beacon", "epoch", (json_int_t)epoch,
        "immutable_file_number", (json_int_t)last, "certificate_hash", mtl_certificate_hash(cert),
        "total_db_size_uncompressed", (json_int_t)total, "digests", "size_uncompressed",
        (json_int_t)strlen(dj), "locations", "type", "cloud_storage", "uri", dg_url,
        "compression_algorithm", "zstandard", "type", "aggregator", "uri",
        BASE "/artifact/cardano-database/digests", "immutables", "average_size_uncompressed",
        (json_int_t)(total / (last + 1)), "locations", "type", "cloud_storage", "uri", "Template",
        BASE "/cardano-database-download/immutable/{immutable_file_number}.tar.zst",
        "compression_algorithm", "zstandard", "ancillary", "size_uncompressed", (json_int_t)18000,
        "locations", "type", "cloud_storage", "uri", anc_url, "compression_algorithm", "zstandard",
        "cardano_node_version", "10.4.1", "created_at", "2026-05-21T14:42:20.981765764Z");
    json_t *arts = json_object(), *alist = json_array();
    json_object_set(arts, ah, art);
    json_array_append_new(alist, json_pack("{s:s,s:s,s:O,s:s,s:I,s:s,s:s}", "hash", ah,
                                           "merkle_root", root, "beacon",
                                           json_object_get(art, "beacon"), "certificate_hash",
                                           mtl_certificate_hash(cert), "total_db_size_uncompressed",
                                           (json_int_t)total, "cardano_node_version", "10.4.1",
                                           "created_at", "2026-05-21T14:42:20.981765764Z"));
    MTL_TRY(dump(data_dir, "cardano-databases.json", arts));
    MTL_TRY(dump(data_dir, "cardano-databases-list.json", alist));
    MTL_TRY(dump(data_dir, "cardano-database-digests.json", digests));
    json_decref(art);
    json_decref(arts);
    json_decref(alist);
    json_decref(certj);
    json_decref(certs);
    json_decref(clist);
    json_decref(digests);
    mtl_certificate_free(cert);
    free(dj);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(hex);
    free(leaves);
    return MTL_OK;
}
