/* client_cert.c - certificate list/show/verify and the chain check every
 * download runs first (with the verified-hash cache). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "client_int.h"
#include "log.h"

mtl_err client_genesis_vk(const struct client *cl, uint8_t vk[MTL_GENESIS_VK_BYTES])
{
    const char *t = cl->genesis_vk_text;
    MTL_CHECK(t && *t, MTL_ERR_CONFIG,
              "no genesis verification key (--genesis-verification-key or "
              "GENESIS_VERIFICATION_KEY)");
    struct stat st;
    if (strlen(t) < 4096 && stat(t, &st) == 0 && S_ISREG(st.st_mode)) {
        uint8_t *data;
        size_t len;
        MTL_TRY(mtl_read_file(t, 4096, &data, &len));
        char *s = mtl_strndup((const char *)data, len);
        mtl_free(data);
        MTL_CHECK(s, MTL_ERR_NOMEM, "genesis key copy");
        mtl_err e = mtl_genesis_vkey_decode(vk, s);
        mtl_free(s);
        if (e != MTL_OK)
            return mtl_err_wrap(e, "genesis verification key file %s", t);
        return MTL_OK;
    }
    mtl_err e = mtl_genesis_vkey_decode(vk, t);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "genesis verification key");
    return MTL_OK;
}

static mtl_err fetch_cb(void *ctx, const char *hash, char **json, size_t *len)
{
    char route[128];
    snprintf(route, sizeof(route), "/certificate/%s", hash);
    return client_get(ctx, route, json, len);
}

struct progress {
    const struct client *cl;
    int print;
    json_t *arr;
};

static void progress_cb(void *ctx, const struct mtl_certificate *c, int from_cache)
{
    struct progress *p = ctx;
    struct mtl_signed_entity_type set;
    mtl_certificate_signed_entity(c, &set);
    const char *kind = mtl_certificate_is_genesis(c) ? "genesis" : "standard";
    log_info("certificate_checked", "hash=%s epoch=%llu kind=%s cached=%d", mtl_certificate_hash(c),
             (unsigned long long)mtl_certificate_epoch(c), kind, from_cache);
    if (p->arr) {
        json_array_append_new(p->arr,
                              json_pack("{s:s,s:I,s:s,s:s,s:b}", "hash", mtl_certificate_hash(c),
                                        "epoch", (json_int_t)mtl_certificate_epoch(c),
                                        "signed_entity_type", mtl_signed_entity_kind_name(set.kind),
                                        "kind", kind, "from_cache", from_cache));
    } else if (p->print) {
        printf("  %s  epoch %-5llu %-28s %s%s\n", mtl_certificate_hash(c),
               (unsigned long long)mtl_certificate_epoch(c), mtl_signed_entity_kind_name(set.kind),
               kind, from_cache ? " (verified before, cached)" : " ok");
        fflush(stdout);
    }
}

mtl_err client_mkdir_p(const char *dir, unsigned mode)
{
    char p[4096];
    size_t n = strlen(dir);
    MTL_CHECK(n > 0 && n < sizeof(p), MTL_ERR_INVALID_ARG, "directory path too long");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char saved = p[i];
            p[i] = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
                return mtl_seterr(MTL_ERR_IO, "mkdir %s: %s", p, strerror(errno));
            p[i] = saved;
        }
    }
    return MTL_OK;
}

mtl_err client_verify_chain(const struct client *cl, const char *hash, int print,
                            json_t *checked_json, size_t *count, struct mtl_certificate **verified)
{
    uint8_t vk[MTL_GENESIS_VK_BYTES];
    MTL_TRY(client_genesis_vk(cl, vk));
    char cache[4200];
    struct progress pr = {cl, print, checked_json};
    struct mtl_chain_verify_opts o = {
        .fetch = fetch_cb, .fetch_ctx = (void *)cl, .progress = progress_cb, .progress_ctx = &pr};
    if (cl->cache_dir && *cl->cache_dir) {
        MTL_TRY(client_mkdir_p(cl->cache_dir, 0700));
        MTL_TRY(mtl_path_fmt(cache, sizeof(cache), "%s/verified-certificates", cl->cache_dir));
        o.cache_path = cache;
    }
    size_t n = 0;
    mtl_err e = mtl_certificate_chain_verify_get(verified, hash, vk, &o, &n);
    if (count)
        *count = n;
    return e;
}

static int cert_list(struct client *cl)
{
    json_t *list;
    mtl_err e = client_get_json(cl, "/certificates", &list);
    if (e != MTL_OK)
        return client_fail(cl, e, "certificate list");
    if (!json_is_array(list)) {
        json_decref(list);
        return client_fail(cl, mtl_seterr(MTL_ERR_BAD_ENCODING, "/certificates: not an array"),
                           "certificate list");
    }
    if (cl->json) {
        client_print_json(list);
    } else {
        printf("%-64s  %-64s  %-6s  %-28s  %s\n", "Hash", "Previous Hash", "Epoch",
               "Signed Entity Type", "Sealed At");
        size_t i;
        json_t *it;
        json_array_foreach(list, i, it)
        {
            const char *set = "?";
            json_t *sj = json_object_get(it, "signed_entity_type");
            if (json_is_object(sj) && json_object_size(sj) > 0)
                set = json_object_iter_key(json_object_iter(sj));
            else if (json_is_string(sj))
                set = json_string_value(sj);
            const char *prev = json_string_value(json_object_get(it, "previous_hash"));
            const char *sealed =
                json_string_value(json_object_get(json_object_get(it, "metadata"), "sealed_at"));
            printf("%-64s  %-64s  %-6lld  %-28s  %s\n",
                   json_string_value(json_object_get(it, "hash")) ?: "?",
                   prev && *prev ? prev : "(genesis)",
                   (long long)json_integer_value(json_object_get(it, "epoch")), set,
                   sealed ? sealed : "");
        }
    }
    json_decref(list);
    return CLIENT_EXIT_OK;
}

void client_show_str(int width, const char *label, const json_t *o, const char *key)
{
    printf("%-*s %s\n", width, label, json_string_value(json_object_get(o, key)) ?: "?");
}

void client_show_int(int width, const char *label, const json_t *o, const char *key)
{
    printf("%-*s %lld\n", width, label, (long long)json_integer_value(json_object_get(o, key)));
}

static int cert_show(struct client *cl, const char *arg)
{
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err e = client_resolve_hash(cl, "/certificates", arg, hash);
    if (e != MTL_OK)
        return client_fail(cl, e, "certificate show");
    char route[128];
    snprintf(route, sizeof(route), "/certificate/%s", hash);
    json_t *j;
    if ((e = client_get_json(cl, route, &j)) != MTL_OK)
        return client_fail(cl, e, "certificate show");
    if (cl->json) {
        client_print_json(j);
    } else {
        json_t *md = json_object_get(j, "metadata");
        const char *prev = json_string_value(json_object_get(j, "previous_hash"));
        char *set = json_dumps(json_object_get(j, "signed_entity_type"), JSON_COMPACT);
        printf("Hash                %s\n", hash);
        printf("Previous Hash       %s\n", prev && *prev ? prev : "(genesis)");
        client_show_int(19, "Epoch", j, "epoch");
        printf("Signed Entity Type  %s\n", set ? set : "?");
        client_show_str(19, "Network", md, "network");
        client_show_str(19, "Initiated At", md, "initiated_at");
        client_show_str(19, "Sealed At", md, "sealed_at");
        client_show_int(19, "Total Signers", md, "total_signers");
        client_show_str(19, "Signed Message", j, "signed_message");
        const char *k;
        json_t *v;
        json_object_foreach(
            json_object_get(json_object_get(j, "protocol_message"), "message_parts"), k, v)
        {
            const char *s = json_string_value(v);
            size_t n = s ? strlen(s) : 0;
            printf("  %-36s %.64s%s\n", k, s ? s : "", n > 64 ? "..." : "");
        }
        free(set);
    }
    json_decref(j);
    return CLIENT_EXIT_OK;
}

static int cert_verify(struct client *cl, const char *arg)
{
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err e = client_resolve_hash(cl, "/certificates", arg, hash);
    if (e != MTL_OK)
        return client_fail(cl, e, "certificate verify");
    json_t *arr = cl->json ? json_array() : NULL;
    if (!cl->json)
        printf("Verifying the certificate chain from %s to genesis:\n", hash);
    size_t n = 0;
    e = client_verify_chain(cl, hash, 1, arr, &n, NULL);
    if (e != MTL_OK) {
        json_decref(arr);
        return client_fail(cl, e, "certificate chain verification failed");
    }
    if (cl->json) {
        json_t *doc = json_pack("{s:s,s:b,s:I,s:o}", "certificate_hash", hash, "verified", 1,
                                "certificates_checked", (json_int_t)n, "certificates", arr);
        client_print_json(doc);
        json_decref(doc);
    } else {
        printf("Certificate chain verified: %zu certificate(s) checked, %s is valid.\n", n, hash);
    }
    return CLIENT_EXIT_OK;
}

int cmd_certificate(struct client *cl, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "list") == 0 && argc == 1)
        return cert_list(cl);
    if (argc == 2 && strcmp(argv[0], "show") == 0)
        return cert_show(cl, argv[1]);
    if (argc == 2 && strcmp(argv[0], "verify") == 0)
        return cert_verify(cl, argv[1]);
    fprintf(stderr, "mithril-client: certificate: expected 'list', 'show <hash>' or "
                    "'verify <hash|latest>'\n");
    return CLIENT_EXIT_USAGE;
}
