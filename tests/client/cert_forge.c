/* cert_forge.c - what a lying aggregator would serve, for the adversarial
 * client tests: a certificate with some protocol message parts replaced and
 * its signed_message recomputed, its hash field kept (or recomputed with
 * --rehash), optionally with another certificate's multi-signature.
 *   cert-forge CERT.json [--part KEY=VALUE]... [--avk-of MSD.json]
 *              [--multisig-from OTHER.json] [--rehash]      > FORGED.json
 * --avk-of sets next_aggregate_verification_key to the AVK of a stake
 * distribution artifact's signers (so a forged distribution "matches").
 * Prints the forged certificate JSON on stdout.
 *   cert-forge --merkle-root DIGESTS.json
 * prints the Merkle root of a digests list (for a forged root). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/cardano_db.h"
#include "mithril/certificate.h"
#include "mithril/stm.h"
#include "mithril/util.h"

static int die(const char *what)
{
    fprintf(stderr, "cert-forge: %s: %s\n", what, mtl_err_detail());
    return 1;
}

/* AVK (JSON-hex) of the signers of a MithrilStakeDistribution message. */
static mtl_err msd_avk(const char *path, char **avk)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: %s", path, je.text);
    struct mtl_stm_keyreg *reg = NULL;
    struct mtl_stm_closed_reg *closed = NULL;
    mtl_err e = mtl_stm_keyreg_new(&reg);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(j, "signers"), i, s)
    {
        if (e == MTL_OK)
            e = mtl_stm_keyreg_register_jsonhex(
                reg, (uint64_t)json_integer_value(json_object_get(s, "stake")),
                json_string_value(json_object_get(s, "verification_key")));
    }
    if (e == MTL_OK)
        e = mtl_stm_keyreg_close(reg, &closed);
    if (e == MTL_OK)
        e = mtl_stm_closed_reg_avk_jsonhex(closed, avk);
    mtl_stm_closed_reg_free(closed);
    mtl_stm_keyreg_free(reg);
    json_decref(j);
    return e;
}

/* Merkle root of a digests list [{"immutable_file_name","digest"}...]. */
static int print_root(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        fprintf(stderr, "cert-forge: %s: %s\n", path, je.text);
        return 1;
    }
    size_t n = json_array_size(j);
    const char **leaves = mtl_calloc(n + 1, sizeof(char *));
    for (size_t i = 0; leaves && i < n; i++)
        leaves[i] = json_string_value(json_object_get(json_array_get(j, i), "digest"));
    char root[MTL_DIGEST_HEX_BYTES];
    mtl_err e = leaves ? mtl_cardano_db_merkle_root(leaves, n, root) : MTL_ERR_NOMEM;
    if (e == MTL_OK)
        printf("%s\n", root);
    mtl_free(leaves);
    json_decref(j);
    return e == MTL_OK ? 0 : die("merkle root");
}

/* Parse the JSON as a certificate to recompute signed_message or hash. */
static mtl_err recompute(json_t *c, int hash)
{
    char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct mtl_certificate *cert;
    mtl_err e = mtl_certificate_from_json(&cert, s, strlen(s));
    free(s);
    if (e != MTL_OK)
        return e;
    char h[MTL_HASH_HEX_BYTES];
    if (hash) {
        e = mtl_certificate_compute_hash(cert, h);
        json_object_set_new(c, "hash", json_string(h));
    } else {
        mtl_protocol_message_hash(mtl_certificate_protocol_message(cert), h);
        json_object_set_new(c, "signed_message", json_string(h));
    }
    mtl_certificate_free(cert);
    return e;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cert-forge CERT.json [--part K=V]... [--avk-of MSD.json] "
                        "[--multisig-from OTHER.json] [--rehash]\n");
        return 2;
    }
    mtl_init();
    if (argc == 3 && !strcmp(argv[1], "--merkle-root"))
        return print_root(argv[2]);
    json_error_t je;
    json_t *c = json_load_file(argv[1], JSON_PRESERVE_ORDER, &je);
    if (!c) {
        fprintf(stderr, "cert-forge: %s: %s\n", argv[1], je.text);
        return 1;
    }
    json_t *parts = json_object_get(json_object_get(c, "protocol_message"), "message_parts");
    int rehash = 0, rc = 0;
    for (int i = 2; i < argc && rc == 0; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--rehash")) {
            rehash = 1;
        } else if (!strcmp(argv[i], "--part") && v && strchr(v, '=')) {
            const char *eq = strchr(v, '=');
            char key[128];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - v), v);
            json_object_set_new(parts, key, json_string(eq + 1));
            i++;
        } else if (!strcmp(argv[i], "--avk-of") && v) {
            char *avk;
            if (msd_avk(v, &avk) != MTL_OK)
                rc = die(v);
            else {
                json_object_set_new(parts, "next_aggregate_verification_key", json_string(avk));
                mtl_free(avk);
            }
            i++;
        } else if (!strcmp(argv[i], "--multisig-from") && v) {
            json_t *o = json_load_file(v, 0, &je);
            if (!o) {
                fprintf(stderr, "cert-forge: %s: %s\n", v, je.text);
                rc = 1;
            } else {
                json_object_set(c, "multi_signature", json_object_get(o, "multi_signature"));
                json_decref(o);
            }
            i++;
        } else {
            fprintf(stderr, "cert-forge: bad argument '%s'\n", argv[i]);
            rc = 2;
        }
    }
    if (rc == 0 && recompute(c, 0) != MTL_OK)
        rc = die("signed_message");
    if (rc == 0 && rehash && recompute(c, 1) != MTL_OK)
        rc = die("hash");
    if (rc == 0) {
        char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
    }
    json_decref(c);
    return rc;
}
