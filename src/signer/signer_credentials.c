/* signer_credentials.c - who this signer is: the pool's operational
 * certificate and KES key (cardano-cli TextEnvelope files, like the
 * reference's KES_SECRET_KEY_PATH / OPERATIONAL_CERTIFICATE_PATH). The party
 * id is the opcert's pool id; at each registration the Mithril key is signed
 * with the KES key evolved to the chain's current period (the reference's
 * KesSignerStandard). Both files are re-read every time, so an SPO can
 * rotate them without restarting the signer; the KES secret never outlives
 * one signature. */
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "signer_int.h"

static mtl_err read_opcert(const char *path, struct mtl_opcert *oc)
{
    mtl_err e = mtl_opcert_read_file(oc, path);
    if (e == MTL_OK)
        e = mtl_opcert_verify(oc);
    return e == MTL_OK ? MTL_OK : mtl_err_wrap(e, "OPERATIONAL_CERTIFICATE_PATH %s", path);
}

/* The KES key relative to the opcert's start period (cardano-cli writes it
 * unevolved; the reference's form carries its period), checked to be the
 * opcert's hot key. */
static mtl_err read_kes_key(const char *path, const struct mtl_opcert *oc, struct mtl_kes_sk **sk)
{
    *sk = NULL;
    mtl_err e = mtl_kes_sk_read_file(sk, path);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "KES_SECRET_KEY_PATH %s", path);
    uint8_t vk[MTL_KES_VK_BYTES];
    mtl_kes_sk_vk(*sk, vk);
    if (memcmp(vk, oc->kes_vk, sizeof vk) != 0) {
        mtl_kes_sk_free(*sk);
        *sk = NULL;
        return mtl_seterr(MTL_ERR_VERIFY_FAIL,
                          "KES_SECRET_KEY_PATH %s: not the KES key of the operational certificate "
                          "(its verification key differs from the opcert's kes_vk)",
                          path);
    }
    return MTL_OK;
}

mtl_err signer_credentials_load(const char *kes_path, const char *opcert_path,
                                char pool_id[MTL_POOL_ID_MAX])
{
    struct mtl_opcert oc;
    struct mtl_kes_sk *sk = NULL;
    MTL_TRY(read_opcert(opcert_path, &oc));
    MTL_TRY(read_kes_key(kes_path, &oc, &sk));
    mtl_kes_sk_free(sk);
    struct stat st;
    if (stat(kes_path, &st) == 0 && (st.st_mode & 077))
        log_warn("kes_key_exposed", "path=%s mode=%03o hint=\"chmod 600: a KES secret key\"",
                 kes_path, (unsigned)(st.st_mode & 0777));
    return mtl_opcert_pool_id(&oc, pool_id);
}

mtl_err signer_credentials_sign(const char *kes_path, const char *opcert_path, const char *party_id,
                                uint64_t current_kes_period, const char *vk_jsonhex,
                                struct signer_credentials_out *out)
{
    struct mtl_opcert oc;
    struct mtl_kes_sk *sk = NULL;
    char pool_id[MTL_POOL_ID_MAX];
    uint8_t msg[MTL_KES_MSG_BYTES], sig[MTL_KES_SIG_BYTES];
    memset(out, 0, sizeof *out);
    MTL_TRY(read_opcert(opcert_path, &oc));
    MTL_TRY(mtl_opcert_pool_id(&oc, pool_id));
    MTL_CHECK(strcmp(pool_id, party_id) == 0, MTL_ERR_STATE,
              "OPERATIONAL_CERTIFICATE_PATH %s: now the opcert of pool %s, not of %s (restart "
              "the signer after changing pools)",
              opcert_path, pool_id, party_id);
    MTL_CHECK(oc.start_kes_period <= current_kes_period, MTL_ERR_STATE,
              "operational certificate starts at KES period %llu, after the chain's current "
              "period %llu: it does not match the chain",
              (unsigned long long)oc.start_kes_period, (unsigned long long)current_kes_period);
    uint64_t evolutions = current_kes_period - oc.start_kes_period;
    MTL_CHECK(evolutions < MTL_KES_PERIODS, MTL_ERR_STATE,
              "KES key expired: %llu evolutions since the opcert's start period %llu (current "
              "period %llu), a Sum6 KES key has %d; issue a new KES key and opcert",
              (unsigned long long)evolutions, (unsigned long long)oc.start_kes_period,
              (unsigned long long)current_kes_period, MTL_KES_PERIODS);
    MTL_TRY(read_kes_key(kes_path, &oc, &sk));
    mtl_err e = mtl_kes_sk_update_to(sk, (uint32_t)evolutions);
    if (e == MTL_OK)
        e = mtl_stm_vk_kes_message(vk_jsonhex, msg);
    if (e == MTL_OK)
        e = mtl_kes_sign(sk, msg, sizeof msg, sig);
    mtl_kes_sk_free(sk); /* wipes the key */
    if (e == MTL_OK)
        e = mtl_kes_sig_to_jsonhex(sig, &out->signature);
    if (e == MTL_OK)
        e = mtl_opcert_to_jsonhex(&oc, &out->opcert);
    out->kes_evolutions = evolutions;
    if (e != MTL_OK) {
        signer_credentials_out_free(out);
        return mtl_err_wrap(e, "KES signature of the Mithril key");
    }
    return MTL_OK;
}

void signer_credentials_out_free(struct signer_credentials_out *out)
{
    mtl_free(out->signature);
    mtl_free(out->opcert);
    memset(out, 0, sizeof *out);
}
