/* aggregator_genesis.c - `genesis generate-keypair` and `tools
 * import-certificates` (load an existing chain into the store). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"

/* Remove "--name value" from argv (shifting), returning value or NULL. */
static const char *take_flag(int *argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < *argc; i++)
        if (strcmp(argv[i], name) == 0) {
            const char *v = argv[i + 1];
            memmove(&argv[i], &argv[i + 2], sizeof(char *) * (size_t)(*argc - i - 2));
            *argc -= 2;
            return v;
        }
    return NULL;
}

int agg_keypair_write(const char *dir, const char *name, const char *vk_suffix)
{
    uint8_t sk[MTL_GENESIS_SK_BYTES], vk[MTL_GENESIS_VK_BYTES];
    char *sk_txt = NULL, *vk_txt = NULL, path[4096], event[32];
    int rc = 1;
    mtl_genesis_keypair(sk, vk);
    if (mtl_genesis_key_encode(&sk_txt, sk) != MTL_OK ||
        mtl_genesis_key_encode(&vk_txt, vk) != MTL_OK)
        goto out;
    if (mtl_path_fmt(path, sizeof(path), "%s/%s.sk", dir, name) != MTL_OK ||
        mtl_atomic_write(path, sk_txt, strlen(sk_txt), 0600) != MTL_OK)
        goto out;
    if (mtl_path_fmt(path, sizeof(path), "%s/%s%s", dir, name, vk_suffix) != MTL_OK ||
        mtl_atomic_write(path, vk_txt, strlen(vk_txt), 0644) != MTL_OK)
        goto out;
    printf("%s verification key: %s\n", name, vk_txt);
    rc = 0;
out:
    if (rc) {
        snprintf(event, sizeof(event), "%s_keypair", name);
        log_error(event, "error=\"%s\"", mtl_err_detail());
    }
    mtl_memzero(sk, sizeof(sk));
    if (sk_txt)
        mtl_memzero(sk_txt, strlen(sk_txt));
    mtl_free(sk_txt);
    mtl_free(vk_txt);
    return rc;
}

/* `genesis generate-keypair` and `tools generate-ancillary-keypair` (cmd, in
 * the usage line): DIR/<name>.sk and DIR/<name>.vkey. */
static int write_keypair(int argc, char **argv, const char *cmd, const char *name)
{
    const char *dir = take_flag(&argc, argv, "--target-path");
    if (!dir || argc != 0) {
        fprintf(stderr, "usage: mithril-aggregator %s --target-path DIR\n", cmd);
        return 2;
    }
    return agg_keypair_write(dir, name, ".vkey");
}

/* What the genesis certificate of the current epoch e certifies (reference
 * tools/genesis): the AVK of the next signers (key e) and the parameters of
 * epoch e-1, for signed entity MithrilStakeDistribution(e). */
struct genesis_ctx {
    struct agg_config cfg;
    struct agg_store store;
    uint64_t epoch;
    struct mtl_stm_params params;
    struct agg_signers *next;
    struct mtl_protocol_message *pm;
    char signed_message[MTL_HASH_HEX_BYTES];
};

static void genesis_ctx_free(struct genesis_ctx *g)
{
    agg_signers_free(g->next);
    mtl_protocol_message_free(g->pm);
    agg_store_close(&g->store);
}

static mtl_err genesis_prepare(struct genesis_ctx *g, int argc, char **argv)
{
    memset(g, 0, sizeof(*g));
    struct agg_chain_state ch;
    MTL_TRY(agg_config_load(&g->cfg, argc, argv, 0));
    MTL_TRY(agg_store_open(&g->store, g->cfg.data_stores_directory));
    MTL_TRY(agg_chain_read(&g->cfg, &ch));
    g->epoch = ch.epoch;
    agg_chain_state_clear(&ch);
    MTL_CHECK(g->epoch > 0, MTL_ERR_CONFIG, "genesis: the chain is at epoch 0");
    mtl_err e = agg_store_params(&g->store, g->epoch - 1, &g->params);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "genesis: parameters of epoch %llu (has serve run through it?)",
                            (unsigned long long)g->epoch - 1);
    e = agg_signers_load(&g->store, g->epoch, &g->next);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "genesis: signers of epoch %llu (registered at epoch %llu)",
                            (unsigned long long)g->epoch, (unsigned long long)g->epoch - 1);
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION,
                                       .epoch = g->epoch};
    struct mtl_signed_entity_view v = {.next_avk = g->next->avk, .next_params = &g->params};
    MTL_TRY(mtl_signed_entity_message(&g->pm, &t, &v));
    mtl_protocol_message_hash(g->pm, g->signed_message);
    return MTL_OK;
}

mtl_err agg_genesis_vk(const struct agg_config *c, uint8_t vk[MTL_GENESIS_VK_BYTES])
{
    uint8_t *data = NULL;
    size_t len = 0;
    char *txt = NULL;
    const char *src = c->genesis_verification_key;
    MTL_CHECK(src[0], MTL_ERR_CONFIG, "GENESIS_VERIFICATION_KEY is not set");
    if (mtl_read_file(src, 4096, &data, &len) == MTL_OK) {
        txt = mtl_strndup((const char *)data, len);
        mtl_free(data);
        src = txt ? txt : "";
    } else
        mtl_err_clear();
    mtl_err e = mtl_genesis_vkey_decode(vk, src);
    mtl_free(txt);
    return e == MTL_OK ? e : mtl_err_wrap(e, "GENESIS_VERIFICATION_KEY");
}

/* Build the genesis certificate signed by sk (or carrying sig when given),
 * check it against GENESIS_VERIFICATION_KEY when set, and store it. */
static mtl_err genesis_store(struct genesis_ctx *g, const uint8_t *sk,
                             const uint8_t sig[MTL_GENESIS_SIG_BYTES])
{
    uint8_t tmp_sk[MTL_GENESIS_SK_BYTES], tmp_vk[MTL_GENESIS_VK_BYTES];
    struct mtl_certificate *c = NULL, *c2 = NULL;
    char *json = NULL;
    int64_t now = agg_now_ns();
    if (!sk)
        mtl_genesis_keypair(tmp_sk, tmp_vk); /* placeholder signature, replaced below */
    struct mtl_certificate_params cp = {
        .previous_hash = "",
        .epoch = g->epoch,
        .signed_entity = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = g->epoch},
        .network = g->cfg.network,
        .version = "0.1.0",
        .params = g->params,
        .initiated_at_ns = now,
        .sealed_at_ns = now,
        .message = g->pm,
        .avk_jsonhex = g->next->avk,
        .genesis_sk = sk ? sk : tmp_sk,
    };
    mtl_err e = mtl_certificate_build(&c, &cp);
    mtl_memzero(tmp_sk, sizeof(tmp_sk));
    if (e == MTL_OK)
        e = mtl_certificate_to_json(c, &json);
    if (e == MTL_OK && sig) {
        /* Imported signature: swap it in and recompute the hash. */
        char hex[2 * MTL_GENESIS_SIG_BYTES + 1], h[MTL_HASH_HEX_BYTES];
        mtl_hex_encode(hex, sizeof(hex), sig, MTL_GENESIS_SIG_BYTES);
        json_t *j = json_loads(json, JSON_PRESERVE_ORDER, NULL);
        json_object_set_new(j, "genesis_signature", json_string(hex));
        char *t1 = mtl_json_dumps(j, AGG_JSON_FLAGS);
        e = t1 ? mtl_certificate_from_json(&c2, t1, strlen(t1))
               : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
        free(t1);
        if (e == MTL_OK)
            e = mtl_certificate_compute_hash(c2, h);
        if (e == MTL_OK) {
            json_object_set_new(j, "hash", json_string(h));
            t1 = mtl_json_dumps(j, AGG_JSON_FLAGS);
            mtl_free(json);
            json = t1 ? mtl_strdup(t1) : NULL;
            free(t1);
            mtl_certificate_free(c);
            c = NULL;
            e = json ? mtl_certificate_from_json(&c, json, strlen(json))
                     : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
        }
        json_decref(j);
    }
    if (e == MTL_OK && g->cfg.genesis_verification_key[0]) {
        uint8_t vk[MTL_GENESIS_VK_BYTES];
        e = agg_genesis_vk(&g->cfg, vk);
        if (e == MTL_OK)
            e = mtl_certificate_verify_integrity(c, vk);
        if (e != MTL_OK)
            e = mtl_err_wrap(e, "genesis certificate does not verify with"
                                " GENESIS_VERIFICATION_KEY");
    }
    if (e == MTL_OK)
        e = agg_store_certify(&g->store, NULL, json, NULL);
    if (e == MTL_OK) {
        printf("genesis certificate %s (epoch %llu, %zu next signers)\n", mtl_certificate_hash(c),
               (unsigned long long)g->epoch, g->next->n);
        log_info("genesis_certificate", "hash=%s epoch=%llu", mtl_certificate_hash(c),
                 (unsigned long long)g->epoch);
    }
    mtl_free(json);
    mtl_certificate_free(c);
    mtl_certificate_free(c2);
    return e;
}

/* The genesis secret key from a file (JSON-hex, as generate-keypair writes
 * it); every copy is wiped. */
static mtl_err read_secret_key(const char *path, uint8_t sk[MTL_GENESIS_SK_BYTES])
{
    uint8_t *data = NULL;
    size_t len = 0;
    char *txt = NULL;
    mtl_err e = mtl_read_file(path, 4096, &data, &len);
    if (e == MTL_OK) {
        txt = mtl_strndup((const char *)data, len);
        mtl_memzero(data, len);
        e = txt ? mtl_genesis_vkey_decode(sk, txt) : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    }
    if (txt)
        mtl_memzero(txt, strlen(txt));
    mtl_free(txt);
    mtl_free(data);
    return e == MTL_OK ? MTL_OK : mtl_err_wrap(e, "genesis secret key %s", path);
}

/* bootstrap's key: --genesis-secret-key-path FILE, else the environment's
 * GENESIS_SECRET_KEY (the reference's name), else --genesis-secret-key (the
 * reference's flag, visible to every local user in ps: warned). */
static mtl_err bootstrap_key(const char *path, const char *hex, uint8_t sk[MTL_GENESIS_SK_BYTES])
{
    if (path)
        return read_secret_key(path, sk);
    if (hex)
        log_warn("secret_on_command_line",
                 "flag=--genesis-secret-key detail=\"other users can read it in ps: use "
                 "--genesis-secret-key-path or GENESIS_SECRET_KEY\"");
    else
        hex = getenv("GENESIS_SECRET_KEY");
    MTL_CHECK(hex && hex[0], MTL_ERR_CONFIG,
              "genesis bootstrap: --genesis-secret-key-path FILE or GENESIS_SECRET_KEY needed");
    mtl_err e = mtl_genesis_vkey_decode(sk, hex);
    return e == MTL_OK ? MTL_OK : mtl_err_wrap(e, "genesis secret key");
}

static int genesis_cmd(const char *sub, int argc, char **argv)
{
    struct genesis_ctx g;
    uint8_t sk[MTL_GENESIS_SK_BYTES], sig[MTL_GENESIS_SIG_BYTES];
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = 1;
    mtl_err e = MTL_OK;
    memset(&g, 0, sizeof(g));
    if (strcmp(sub, "sign") == 0) {
        /* Air-gapped: needs no store nor chain. */
        const char *in = take_flag(&argc, argv, "--to-sign-payload-path");
        const char *out = take_flag(&argc, argv, "--target-signed-payload-path");
        const char *key = take_flag(&argc, argv, "--genesis-secret-key-path");
        if (!in || !out || !key || argc) {
            fprintf(stderr, "usage: genesis sign --to-sign-payload-path F"
                            " --target-signed-payload-path G --genesis-secret-key-path K\n");
            return 2;
        }
        e = read_secret_key(key, sk);
        if (e == MTL_OK)
            e = mtl_read_file(in, 4096, &data, &len);
        if (e == MTL_OK)
            e = mtl_genesis_sign(sig, sk, data, len);
        if (e == MTL_OK)
            e = mtl_atomic_write(out, sig, sizeof(sig), 0644);
        mtl_memzero(sk, sizeof(sk));
        mtl_free(data);
        if (e != MTL_OK) {
            log_error("genesis_sign", "error=\"%s\"", mtl_err_detail());
            return 1;
        }
        printf("signed payload written to %s\n", out);
        return 0;
    }
    const char *target = NULL, *signed_path = NULL, *sk_hex = NULL, *sk_path = NULL;
    if (strcmp(sub, "export") == 0)
        target = take_flag(&argc, argv, "--target-path");
    else if (strcmp(sub, "import") == 0)
        signed_path = take_flag(&argc, argv, "--signed-payload-path");
    else {
        sk_path = take_flag(&argc, argv, "--genesis-secret-key-path");
        sk_hex = take_flag(&argc, argv, "--genesis-secret-key");
    }
    if (!target && !signed_path && strcmp(sub, "bootstrap") != 0) {
        fprintf(stderr, "mithril-aggregator genesis %s: missing argument (see --help)\n", sub);
        return 2;
    }
    /* The key first: a missing one is reported before the chain is read. */
    if (!target && !signed_path)
        e = bootstrap_key(sk_path, sk_hex, sk);
    if (e == MTL_OK)
        e = genesis_prepare(&g, argc, argv);
    if (e == MTL_OK && target) {
        e = mtl_atomic_write(target, g.signed_message, 64, 0644);
        if (e == MTL_OK)
            printf("payload to sign (epoch %llu) written to %s\n", (unsigned long long)g.epoch,
                   target);
    } else if (e == MTL_OK && signed_path) {
        if (!g.cfg.genesis_verification_key[0])
            e = mtl_seterr(MTL_ERR_CONFIG, "genesis import: GENESIS_VERIFICATION_KEY is needed"
                                           " to check the signed payload");
        if (e == MTL_OK)
            e = mtl_read_file(signed_path, 4096, &data, &len);
        if (e == MTL_OK && len != MTL_GENESIS_SIG_BYTES)
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: expected a %d-byte signature, got %zu",
                           signed_path, MTL_GENESIS_SIG_BYTES, len);
        if (e == MTL_OK) {
            memcpy(sig, data, sizeof(sig));
            e = genesis_store(&g, NULL, sig);
        }
    } else if (e == MTL_OK)
        e = genesis_store(&g, sk, NULL);
    mtl_memzero(sk, sizeof(sk));
    if (e == MTL_OK)
        rc = 0;
    else
        log_error("genesis", "command=%s error=\"%s\"", sub, mtl_err_detail());
    mtl_free(data);
    genesis_ctx_free(&g);
    return rc;
}

int agg_cmd_genesis(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "generate-keypair") == 0)
        return write_keypair(argc - 1, argv + 1, "genesis generate-keypair", "genesis");
    if (argc >= 1 && (strcmp(argv[0], "bootstrap") == 0 || strcmp(argv[0], "export") == 0 ||
                      strcmp(argv[0], "import") == 0 || strcmp(argv[0], "sign") == 0))
        return genesis_cmd(argv[0], argc - 1, argv + 1);
    fprintf(stderr, "mithril-aggregator genesis: unknown subcommand (generate-keypair, bootstrap,"
                    " export, sign, import)\n");
    return 2;
}

static const char *sealed_at(json_t *c)
{
    const char *s = json_string_value(json_object_get(json_object_get(c, "metadata"), "sealed_at"));
    return s ? s : "";
}

static int cmp_sealed(const void *a, const void *b)
{
    return strcmp(sealed_at(*(json_t *const *)a), sealed_at(*(json_t *const *)b));
}

static void sort_by_sealed_at(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    mtl_sort(v, n, sizeof(*v), cmp_sealed);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
}

/* Certificates from a file: an array, or an object keyed by hash (the
 * reference-data layout); inserted oldest epoch first so links exist. */
static int import_certificates(int argc, char **argv)
{
    const char *file = take_flag(&argc, argv, "--file");
    struct agg_config cfg;
    if (!file || agg_config_load(&cfg, argc, argv, 0) != MTL_OK) {
        fprintf(stderr, "usage: mithril-aggregator tools import-certificates --file F [opts]\n%s\n",
                mtl_err_detail());
        return 2;
    }
    json_error_t je;
    json_t *root = json_load_file(file, 0, &je);
    if (!root) {
        log_error("import", "file=%s error=\"invalid JSON: %s\"", file, je.text);
        return 1;
    }
    json_t *arr = json_array();
    if (json_is_array(root))
        json_array_extend(arr, root);
    else {
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v) json_array_append(arr, v);
    }
    /* Sealing order, so the store's order matches the original aggregator's. */
    sort_by_sealed_at(arr);
    size_t n = json_array_size(arr), done = 0;
    unsigned char *in = calloc(n ? n : 1, 1);
    struct agg_store st;
    int rc = 1;
    if (!in || agg_store_open(&st, cfg.data_stores_directory) != MTL_OK) {
        log_error("import", "error=\"%s\"", mtl_err_detail());
        free(in);
        json_decref(arr);
        json_decref(root);
        return 1;
    }
    /* Repeated passes: a certificate goes in once its previous one is in. */
    for (int progress = 1; progress && done < n;) {
        progress = 0;
        for (size_t i = 0; i < n; i++) {
            if (in[i])
                continue;
            json_t *c = json_array_get(arr, i);
            const char *prev = json_string_value(json_object_get(c, "previous_hash"));
            const char *hash = json_string_value(json_object_get(c, "hash"));
            char *have = NULL;
            int genesis = json_is_string(json_object_get(c, "genesis_signature")) &&
                          json_string_length(json_object_get(c, "genesis_signature")) > 0;
            if (!genesis && (!prev || agg_store_get_certificate(&st, prev, &have) != MTL_OK))
                continue;
            mtl_free(have);
            char *txt = mtl_json_dumps(c, AGG_JSON_FLAGS);
            mtl_err e = txt ? agg_store_put_certificate(&st, txt)
                            : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
            free(txt);
            if (e != MTL_OK && e != MTL_ERR_CONFLICT) {
                log_error("import", "hash=%s error=\"%s\"", hash ? hash : "?", mtl_err_detail());
                goto out;
            }
            in[i] = 1;
            done++;
            progress = 1;
        }
    }
    if (done != n) {
        log_error("import", "error=\"%zu certificates have no previous certificate in the file\"",
                  n - done);
        goto out;
    }
    printf("imported %zu certificates\n", n);
    rc = 0;
out:
    agg_store_close(&st);
    free(in);
    json_decref(arr);
    json_decref(root);
    return rc;
}

int agg_cmd_tools(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "import-certificates") == 0)
        return import_certificates(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "generate-ancillary-keypair") == 0)
        /* ancillary.sk: the seed for ANCILLARY_SECRET_KEY_PATH; ancillary.vkey:
         * the client's ANCILLARY_VERIFICATION_KEY. */
        return write_keypair(argc - 1, argv + 1, "tools generate-ancillary-keypair", "ancillary");
    fprintf(stderr, "mithril-aggregator tools: unknown subcommand (import-certificates,"
                    " generate-ancillary-keypair)\n");
    return 2;
}
