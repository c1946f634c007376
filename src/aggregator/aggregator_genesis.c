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

static int generate_keypair(int argc, char **argv)
{
    const char *dir = take_flag(&argc, argv, "--target-path");
    if (!dir || argc != 0) {
        fprintf(stderr, "usage: mithril-aggregator genesis generate-keypair --target-path DIR\n");
        return 2;
    }
    uint8_t sk[MTL_GENESIS_SK_BYTES], vk[MTL_GENESIS_VK_BYTES];
    char *sk_txt = NULL, *vk_txt = NULL, path[4096];
    int rc = 1;
    mtl_genesis_keypair(sk, vk);
    if (mtl_genesis_key_encode(&sk_txt, sk) != MTL_OK ||
        mtl_genesis_key_encode(&vk_txt, vk) != MTL_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/genesis.sk", dir);
    if (mtl_atomic_write(path, sk_txt, strlen(sk_txt), 0600) != MTL_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/genesis.vkey", dir);
    if (mtl_atomic_write(path, vk_txt, strlen(vk_txt), 0644) != MTL_OK)
        goto out;
    printf("genesis verification key: %s\n", vk_txt);
    rc = 0;
out:
    if (rc)
        log_error("genesis_keypair", "error=\"%s\"", mtl_err_detail());
    mtl_memzero(sk, sizeof(sk));
    if (sk_txt)
        mtl_memzero(sk_txt, strlen(sk_txt));
    mtl_free(sk_txt);
    mtl_free(vk_txt);
    return rc;
}

int agg_cmd_genesis(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "generate-keypair") == 0)
        return generate_keypair(argc - 1, argv + 1);
    fprintf(stderr, "mithril-aggregator genesis: unknown subcommand (generate-keypair)\n");
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
    qsort(v, n, sizeof(*v), cmp_sealed);
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
            char *txt = json_dumps(c, AGG_JSON_FLAGS);
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
    fprintf(stderr, "mithril-aggregator tools: unknown subcommand (import-certificates)\n");
    return 2;
}
