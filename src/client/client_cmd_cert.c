/* client_cmd_cert.c - `certificate list|show|verify`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_cli.h"

static void print_cert_row(json_t *it)
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
           (long long)json_integer_value(json_object_get(it, "epoch")), set, sealed ? sealed : "");
}

static void cert_header(void)
{
    printf("%-64s  %-64s  %-6s  %-28s  %s\n", "Hash", "Previous Hash", "Epoch",
           "Signed Entity Type", "Sealed At");
}

static void print_cert(const char *hash, json_t *j)
{
    json_t *md = json_object_get(j, "metadata");
    const char *prev = json_string_value(json_object_get(j, "previous_hash"));
    char *set = json_dumps(json_object_get(j, "signed_entity_type"), JSON_COMPACT);
    printf("Hash                %s\n", hash);
    printf("Previous Hash       %s\n", prev && *prev ? prev : "(genesis)");
    out_show_int(19, "Epoch", j, "epoch");
    printf("Signed Entity Type  %s\n", set ? set : "?");
    out_show_str(19, "Network", md, "network");
    out_show_str(19, "Initiated At", md, "initiated_at");
    out_show_str(19, "Sealed At", md, "sealed_at");
    out_show_int(19, "Total Signers", md, "total_signers");
    out_show_str(19, "Signed Message", j, "signed_message");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(json_object_get(j, "protocol_message"), "message_parts"), k,
                        v)
    {
        const char *s = json_string_value(v);
        size_t n = s ? strlen(s) : 0;
        printf("  %-36s %.64s%s\n", k, s ? s : "", n > 64 ? "..." : "");
    }
    free(set);
}

static int cert_show(struct cli *c, const char *arg)
{
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err e = client_resolve_hash(c->cl.endpoint, "/certificates", arg, hash);
    if (e != MTL_OK)
        return out_fail(c, e, "certificate show");
    char route[128];
    snprintf(route, sizeof(route), "/certificate/%s", hash);
    json_t *j;
    if ((e = client_get_json(c->cl.endpoint, route, &j)) != MTL_OK)
        return out_fail(c, e, "certificate show");
    if (c->json)
        out_json(j);
    else
        print_cert(hash, j);
    json_decref(j);
    return CLIENT_EXIT_OK;
}

static int cert_verify(struct cli *c, const char *arg)
{
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err e = client_resolve_hash(c->cl.endpoint, "/certificates", arg, hash);
    if (e != MTL_OK)
        return out_fail(c, e, "certificate verify");
    c->certificates = c->json ? json_array() : NULL;
    c->print_certificates = 1;
    if (!c->json)
        printf("Verifying the certificate chain from %s to genesis:\n", hash);
    size_t n = 0;
    e = client_verify_chain(&c->cl, hash, &n, NULL);
    json_t *arr = c->certificates;
    c->certificates = NULL;
    c->print_certificates = 0;
    if (e != MTL_OK) {
        json_decref(arr);
        return out_fail(c, e, "certificate chain verification failed");
    }
    if (c->json) {
        json_t *doc = json_pack("{s:s,s:b,s:I,s:o}", "certificate_hash", hash, "verified", 1,
                                "certificates_checked", (json_int_t)n, "certificates", arr);
        out_json(doc);
        json_decref(doc);
    } else {
        printf("Certificate chain verified: %zu certificate(s) checked, %s is valid.\n", n, hash);
    }
    return CLIENT_EXIT_OK;
}

int cmd_certificate(struct cli *c, int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return out_list(c, "/certificates", "certificate list", cert_header, print_cert_row);
    if (argc == 2 && strcmp(argv[0], "show") == 0)
        return cert_show(c, argv[1]);
    if (argc == 2 && strcmp(argv[0], "verify") == 0)
        return cert_verify(c, argv[1]);
    return out_usage("certificate: expected 'list', 'show <hash>' or 'verify <hash|latest>'");
}
