/* follower_fixture.c - see follower_fixture.h. */
#include "follower_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"

static mtl_err put(struct ff_chain *ch, const struct mtl_certificate *c)
{
    char *json = NULL;
    MTL_TRY(mtl_certificate_to_json(c, &json));
    json_object_set_new(ch->by_hash, mtl_certificate_hash(c), json_string(json));
    snprintf(ch->latest, sizeof(ch->latest), "%s", mtl_certificate_hash(c));
    ch->latest_epoch = mtl_certificate_epoch(c);
    mtl_free(json);
    return MTL_OK;
}

struct signers {
    struct mtl_stm_initializer **init;
    size_t n;
    struct mtl_stm_closed_reg *closed;
    char *avk;
    const struct mtl_stm_params *p;
};

/* Certificate of epoch e chained to prev (genesis when sk is given), signed
 * by as few signers as reach the quorum, largest stakes first. */
static mtl_err make_cert(struct mtl_certificate **out, const struct signers *s, uint64_t e,
                         const char *prev, const uint8_t *sk)
{
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = e};
    struct mtl_signed_entity_view v = {.next_avk = s->avk, .next_params = s->p};
    struct mtl_protocol_message *pm = NULL;
    MTL_TRY(mtl_signed_entity_message(&pm, &t, &v));
    char sm[MTL_HASH_HEX_BYTES], *ms = NULL;
    mtl_protocol_message_hash(pm, sm);
    char **sigs = mtl_calloc(s->n, sizeof(char *));
    struct mtl_party_stake *st = mtl_calloc(s->n, sizeof(*st));
    char(*names)[40] = mtl_calloc(s->n, sizeof(*names));
    mtl_err rc = sigs && st && names ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    size_t ns = 0, won_total = 0;
    for (size_t i = 0; rc == MTL_OK && !sk && i < s->n && !ms; i++) {
        size_t won = 0;
        if (mtl_stm_sign(s->init[i], s->closed, (const uint8_t *)sm, 64, &sigs[ns], &won) !=
            MTL_OK) {
            mtl_err_clear();
            continue;
        }
        snprintf(names[ns], sizeof(names[ns]), "pool1fixture%zu", i);
        st[ns].party_id = names[ns];
        st[ns].stake = mtl_stm_initializer_stake(s->init[i]);
        ns++;
        won_total += won;
        if (won_total >= s->p->k + s->p->k / 4 &&
            mtl_stm_aggregate_preverified_jsonhex(s->closed, s->p, (const char *const *)sigs, ns,
                                                  (const uint8_t *)sm, 64, &ms) != MTL_OK)
            mtl_err_clear();
    }
    if (rc == MTL_OK && !sk && !ms)
        rc = mtl_seterr(MTL_ERR_NOT_ENOUGH_SIGS, "fixture: no quorum in epoch %llu",
                        (unsigned long long)e);
    struct mtl_certificate_params cp = {.previous_hash = prev,
                                        .epoch = e,
                                        .signed_entity = t,
                                        .network = "devnet",
                                        .version = "0.1.0",
                                        .params = *s->p,
                                        .initiated_at_ns = 1700000000000000000LL + (int64_t)e,
                                        .sealed_at_ns = 1700000000000000000LL + (int64_t)e * 2,
                                        .signers = st,
                                        .nsigners = ns,
                                        .message = pm,
                                        .avk_jsonhex = s->avk,
                                        .multisig_jsonhex = ms,
                                        .genesis_sk = sk};
    if (rc == MTL_OK)
        rc = mtl_certificate_build(out, &cp);
    for (size_t i = 0; i < ns; i++)
        mtl_free(sigs[i]);
    mtl_free(sigs);
    mtl_free(st);
    mtl_free(names);
    mtl_free(ms);
    mtl_protocol_message_free(pm);
    return rc;
}

static mtl_err make_signers(struct signers *s, size_t n)
{
    struct mtl_stm_keyreg *reg = NULL;
    s->init = mtl_calloc(n, sizeof(*s->init));
    MTL_CHECK(s->init, MTL_ERR_NOMEM, "out of memory");
    s->n = n;
    MTL_TRY(mtl_stm_keyreg_new(&reg));
    mtl_err rc = MTL_OK;
    for (size_t i = 0; rc == MTL_OK && i < n; i++) {
        char *vk = NULL;
        rc = mtl_stm_initializer_new(&s->init[i], s->p, 1000000000000 / (i + 1), NULL);
        if (rc == MTL_OK)
            rc = mtl_stm_initializer_vk_jsonhex(s->init[i], &vk);
        if (rc == MTL_OK)
            rc = mtl_stm_keyreg_register_jsonhex(reg, mtl_stm_initializer_stake(s->init[i]), vk);
        mtl_free(vk);
    }
    if (rc == MTL_OK)
        rc = mtl_stm_keyreg_close(reg, &s->closed);
    if (rc == MTL_OK)
        rc = mtl_stm_closed_reg_avk_jsonhex(s->closed, &s->avk);
    mtl_stm_keyreg_free(reg);
    return rc;
}

mtl_err ff_chain_make(struct ff_chain *ch, size_t ncerts, size_t nsigners,
                      const struct mtl_stm_params *p, void (*progress)(size_t done))
{
    struct signers s = {.p = p};
    struct mtl_certificate *c = NULL;
    uint8_t sk[MTL_GENESIS_SK_BYTES], vk[MTL_GENESIS_VK_BYTES];
    memset(ch, 0, sizeof(*ch));
    ch->by_hash = json_object();
    MTL_CHECK(ch->by_hash, MTL_ERR_NOMEM, "out of memory");
    mtl_genesis_keypair(sk, vk);
    mtl_err rc = mtl_genesis_key_encode(&ch->vk_text, vk);
    if (rc == MTL_OK)
        rc = make_signers(&s, nsigners);
    if (rc == MTL_OK)
        rc = make_cert(&c, &s, 1, "", sk);
    mtl_memzero(sk, sizeof(sk));
    if (rc == MTL_OK) {
        snprintf(ch->genesis, sizeof(ch->genesis), "%s", mtl_certificate_hash(c));
        rc = put(ch, c);
    }
    for (uint64_t e = 2; rc == MTL_OK && e <= ncerts; e++) {
        struct mtl_certificate *next = NULL;
        rc = make_cert(&next, &s, e, mtl_certificate_hash(c), NULL);
        mtl_certificate_free(c);
        c = next;
        if (rc == MTL_OK)
            rc = put(ch, c);
        if (progress && e % 50 == 0)
            progress((size_t)e);
    }
    mtl_certificate_free(c);
    for (size_t i = 0; s.init && i < s.n; i++)
        mtl_stm_initializer_free(s.init[i]);
    mtl_free(s.init);
    mtl_stm_closed_reg_free(s.closed);
    mtl_free(s.avk);
    return rc;
}

void ff_chain_clear(struct ff_chain *ch)
{
    json_decref(ch->by_hash);
    mtl_free(ch->vk_text);
    memset(ch, 0, sizeof(*ch));
}

static void leader_routes(void *ctx, const char *method, const char *path, const char *body,
                          size_t len, struct app_http_response *r)
{
    struct ff_chain *ch = ctx;
    (void)method, (void)body, (void)len;
    const char *text = NULL;
    char list[200];
    if (strcmp(path, "/aggregator/certificates") == 0) {
        snprintf(list, sizeof(list), "[{\"hash\":\"%s\",\"epoch\":%llu}]", ch->latest,
                 (unsigned long long)ch->latest_epoch);
        text = list;
    } else if (strcmp(path, "/aggregator/certificate/genesis") == 0)
        text = json_string_value(json_object_get(ch->by_hash, ch->genesis));
    else if (strncmp(path, "/aggregator/certificate/", 24) == 0)
        text = json_string_value(json_object_get(ch->by_hash, path + 24));
    if (text)
        app_http_json(r, 200, text);
    else
        app_http_error(r, 404, "not_found", "%s", path);
}

mtl_err ff_leader_start(struct app_httpd **h, struct ff_chain *ch, char url[128])
{
    MTL_TRY(app_httpd_start(h, "127.0.0.1", 0, 4096, leader_routes, ch));
    snprintf(url, 128, "http://127.0.0.1:%u/aggregator", (unsigned)app_httpd_port(*h));
    return MTL_OK;
}

mtl_err ff_memory_fetch(void *ctx, const char *hash, char **json, size_t *len)
{
    const char *t = json_string_value(json_object_get((json_t *)ctx, hash));
    if (!t)
        return mtl_seterr(MTL_ERR_NOT_FOUND, "no %s", hash);
    *json = mtl_strdup(t);
    *len = strlen(t);
    return *json ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
}
