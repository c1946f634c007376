/* e2e_impostor_body.c - the /register-signer body of an impostor claiming a
 * victim pool's party id, for the end-to-end test (tests/e2e/e2e_devnet.sh):
 *   e2e_impostor_body MODE EPOCH VICTIM_PARTY KES_PERIOD IMPOSTOR_DIR VICTIM_DIR
 * prints the JSON body (reference RegisterSignerMessage field order) with a
 * fresh Mithril key, where MODE is
 *   own-cold-key  the impostor's own opcert and KES signature (another pool)
 *   victim-opcert the victim's opcert, the KES signature by the impostor's key
 *   no-credentials no opcert, no KES signature
 * The *_DIR are SPO directories written by cardano-node-sim (kes.skey,
 * opcert.cert, pool.id). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signer_int.h"

static int die(const char *what)
{
    fprintf(stderr, "e2e_impostor_body: %s: %s\n", what, mtl_err_detail());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: e2e_impostor_body own-cold-key|victim-opcert|no-credentials "
                        "EPOCH VICTIM_PARTY KES_PERIOD IMPOSTOR_DIR VICTIM_DIR\n");
        return 2;
    }
    const char *mode = argv[1], *victim = argv[3], *idir = argv[5], *vdir = argv[6];
    uint64_t epoch = strtoull(argv[2], NULL, 10), period = strtoull(argv[4], NULL, 10);
    if (mtl_init() != MTL_OK)
        return die("init");
    struct mtl_stm_params params = {.m = 105, .k = 70, .phi_f = 0.95};
    struct mtl_stm_initializer *init = NULL;
    char *vk = NULL;
    if (mtl_stm_initializer_new(&init, &params, 1, NULL) != MTL_OK ||
        mtl_stm_initializer_vk_jsonhex(init, &vk) != MTL_OK)
        return die("Mithril key");
    mtl_stm_initializer_free(init);
    json_t *body = json_pack("{s:I,s:s,s:s}", "epoch", (json_int_t)epoch, "party_id", victim,
                             "verification_key", vk);
    if (strcmp(mode, "no-credentials") != 0) {
        char kes[4200], opcert[4200], pool[MTL_POOL_ID_MAX];
        snprintf(kes, sizeof kes, "%s/kes.skey", idir);
        snprintf(opcert, sizeof opcert, "%s/opcert.cert", idir);
        struct signer_credentials_out out;
        if (signer_credentials_load(kes, opcert, pool) != MTL_OK ||
            signer_credentials_sign(kes, opcert, pool, period, vk, &out) != MTL_OK)
            return die("impostor's KES signature");
        json_object_set_new(body, "verification_key_signature", json_string(out.signature));
        if (strcmp(mode, "victim-opcert") == 0) {
            struct mtl_opcert oc;
            char *hex = NULL;
            snprintf(opcert, sizeof opcert, "%s/opcert.cert", vdir);
            if (mtl_opcert_read_file(&oc, opcert) != MTL_OK ||
                mtl_opcert_to_jsonhex(&oc, &hex) != MTL_OK)
                return die("victim's opcert");
            json_object_set_new(body, "operational_certificate", json_string(hex));
            mtl_free(hex);
        } else {
            json_object_set_new(body, "operational_certificate", json_string(out.opcert));
        }
        json_object_set_new(body, "kes_period", json_integer((json_int_t)out.kes_evolutions));
        signer_credentials_out_free(&out);
    }
    char *txt = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    puts(txt);
    free(txt);
    json_decref(body);
    mtl_free(vk);
    return 0;
}
