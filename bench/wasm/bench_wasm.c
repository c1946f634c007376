/* bench_wasm.c - libmithril in WebAssembly against native: the time to
 * verify one certificate with 1000 signers (m=16948, k=1944, phi_f=0.2, the
 * mainnet parameters of bench_stm) and the reference's 43-certificate chain,
 * and the size of mithril.wasm. The native side runs here; the certificate is
 * made here too (build/bench/wasm-cert-1000.json, kept for later runs), then
 * bench_wasm.mjs times mithril.mjs on the same inputs and prints the ratios.
 *   bench_wasm [--json] [SHARED_DIR]   (skips the WASM side without node or
 *   build/wasm/pkg/mithril.mjs: make wasm) */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>

#include "bench_certs.h"
#include "bench_util.h"
#include "mithril/mithril.h"

#define NPARTIES 1000
static const struct mtl_stm_params P = {16948, 1944, 0.2};

/* The certificate of epoch 2 signed by every party that wins an index. */
static struct mtl_certificate *make_cert(void)
{
    struct mtl_stm_initializer **init = calloc(NPARTIES, sizeof(*init));
    struct mtl_party_stake *st = calloc(NPARTIES, sizeof(*st));
    char **sigs = calloc(NPARTIES, sizeof(*sigs)), *avk = NULL, *ms = NULL, sm[65];
    char(*ids)[32] = calloc(NPARTIES, sizeof(*ids));
    struct mtl_stm_keyreg *reg = NULL;
    struct mtl_stm_closed_reg *closed = NULL;
    struct mtl_certificate *c = NULL;
    struct mtl_protocol_message *pm = NULL;
    size_t ns = 0;
    mtl_stm_keyreg_new(&reg);
    for (size_t i = 0; i < NPARTIES; i++) {
        char *vk;
        if (mtl_stm_initializer_new(&init[i], &P, 1000 + randombytes_uniform(1000000), NULL) ||
            mtl_stm_initializer_vk_jsonhex(init[i], &vk))
            goto out;
        mtl_err rc = mtl_stm_keyreg_register_jsonhex(reg, mtl_stm_initializer_stake(init[i]), vk);
        mtl_free(vk);
        if (rc != MTL_OK)
            goto out;
    }
    if (mtl_stm_keyreg_close(reg, &closed) || mtl_stm_closed_reg_avk_jsonhex(closed, &avk))
        goto out;
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = 2};
    struct mtl_signed_entity_view v = {.next_avk = avk, .next_params = &P};
    if (mtl_signed_entity_message(&pm, &t, &v) != MTL_OK)
        goto out;
    mtl_protocol_message_hash(pm, sm);
    for (size_t i = 0; i < NPARTIES; i++) {
        if (mtl_stm_sign(init[i], closed, (const uint8_t *)sm, 64, &sigs[ns], NULL) != MTL_OK)
            continue;
        snprintf(ids[ns], sizeof(ids[ns]), "pool%zu", i);
        st[ns].party_id = ids[ns];
        st[ns].stake = mtl_stm_initializer_stake(init[i]);
        ns++;
    }
    if (mtl_stm_aggregate_jsonhex(closed, &P, (const char *const *)sigs, ns, (const uint8_t *)sm,
                                  64, &ms) != MTL_OK)
        goto out;
    struct mtl_certificate_params cp = {
        .previous_hash = "0000000000000000000000000000000000000000000000000000000000000000",
        .epoch = 2,
        .signed_entity = t,
        .network = "devnet",
        .version = "0.1.0",
        .params = P,
        .initiated_at_ns = 1700000000000000000LL,
        .sealed_at_ns = 1700000001000000000LL,
        .signers = st,
        .nsigners = ns,
        .message = pm,
        .avk_jsonhex = avk,
        .multisig_jsonhex = ms};
    if (mtl_certificate_build(&c, &cp) != MTL_OK)
        c = NULL;
out:
    for (size_t i = 0; i < NPARTIES; i++) {
        mtl_stm_initializer_free(init[i]);
        mtl_free(sigs[i]);
    }
    free(init), free(st), free(sigs), free(ids);
    mtl_free(avk), mtl_free(ms);
    mtl_protocol_message_free(pm);
    mtl_stm_closed_reg_free(closed);
    mtl_stm_keyreg_free(reg);
    return c;
}

/* The certificate file, made once. */
static struct mtl_certificate *load_or_make(const char *path)
{
    uint8_t *data;
    size_t len;
    struct mtl_certificate *c = NULL;
    if (mtl_read_file(path, 64u << 20, &data, &len) == MTL_OK) {
        mtl_err rc = mtl_certificate_from_json(&c, (const char *)data, len);
        mtl_free(data);
        if (rc == MTL_OK)
            return c;
    }
    fprintf(stderr, "bench_wasm: making a certificate with %d signers (once)\n", NPARTIES);
    c = make_cert();
    char *json;
    if (c && mtl_certificate_to_json(c, &json) == MTL_OK) {
        mtl_atomic_write(path, json, strlen(json), 0644);
        mtl_free(json);
    }
    return c;
}

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    const char *shared = bench_shared_dir(argc, argv);
    mtl_init();
    char certs_path[4096], vk_path[4096], cert_path[4096], mjs[4096], script[4096];
    snprintf(certs_path, sizeof(certs_path),
             "%s/reference-data/aggregator-fake-2026-05-21/certificates.json", shared);
    snprintf(vk_path, sizeof(vk_path), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey",
             shared);
    bench_build_path(cert_path, sizeof(cert_path), "bench/wasm-cert-1000.json");
    bench_build_path(mjs, sizeof(mjs), "wasm/pkg/mithril.mjs");
    json_t *certs = json_load_file(certs_path, 0, NULL);
    uint8_t *vktext, vk[32];
    size_t len, checked;
    if (!certs || mtl_read_file(vk_path, 4096, &vktext, &len) != MTL_OK ||
        mtl_genesis_vkey_decode(vk, (char *)vktext) != MTL_OK) {
        printf("bench_wasm: reference data not found under %s: skipped\n", shared);
        return 0;
    }
    struct mtl_certificate *c = load_or_make(cert_path);
    if (!c) {
        fprintf(stderr, "bench_wasm: %s\n", mtl_err_detail());
        return 1;
    }
    double one = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = bench_now();
        if (mtl_certificate_verify_integrity(c, vk) != MTL_OK) {
            fprintf(stderr, "bench_wasm: %s\n", mtl_err_detail());
            return 1;
        }
        double t = bench_now() - t0;
        one = rep == 0 || t < one ? t : one;
    }
    /* every certificate walked to genesis, no cache (as mithril.mjs does below) */
    struct mtl_chain_verify_opts o = {.fetch = bench_fetch, .fetch_ctx = certs};
    const char *h;
    json_t *v;
    double t0 = bench_now();
    json_object_foreach(certs, h, v)
    {
        if (mtl_certificate_chain_verify(h, vk, &o, &checked) != MTL_OK)
            return 1;
    }
    double chain = bench_now() - t0;
    bench_report("native: verify one certificate, 1000 signers m=16948", one * 1e3, "ms");
    bench_report("native: 43 reference certificates, each walked to genesis", chain * 1e3, "ms");
    mtl_certificate_free(c);
    mtl_free(vktext);
    json_decref(certs);
    if (system("command -v node >/dev/null 2>&1") != 0 || access(mjs, R_OK) != 0) {
        printf("bench_wasm: node or %s missing (make wasm): WASM side skipped\n", mjs);
        return 0;
    }
    snprintf(script, sizeof(script), "%s/bench/wasm/bench_wasm.mjs", MTL_SOURCE_DIR_STR);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd), "node '%s' '%s' '%s' '%s' %.6f %.6f %s", script, mjs, cert_path,
             shared, one * 1e3, chain * 1e3, bench_json ? "--json" : "");
    fflush(stdout);
    return system(cmd) == 0 ? 0 : 1;
}
