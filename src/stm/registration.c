/* registration.c - key registration (vk+PoP, stake) and the closed
 * registration: parties sorted by (stake, key bytes), Merkle tree, AVK. */
#include <stdlib.h>

#include "stm_int.h"

struct mtl_stm_keyreg {
    struct stm_party *parties;
    size_t n, cap;
};

size_t mtl_stm_vk_bytes(void)
{
    return MTL_STM_VK_BYTES;
}

size_t mtl_stm_sig_bytes(void)
{
    return MTL_STM_SIG_BYTES;
}

mtl_err mtl_stm_params_check(const struct mtl_stm_params *p)
{
    MTL_CHECK(p && p->m > 0 && p->k > 0, MTL_ERR_INVALID_ARG, "parameters: m and k must be > 0");
    MTL_CHECK(p->phi_f > 0.0 && p->phi_f <= 1.0, MTL_ERR_INVALID_ARG,
              "parameters: phi_f must be in (0, 1], got %g", p->phi_f);
    return MTL_OK;
}

mtl_err mtl_stm_keyreg_new(struct mtl_stm_keyreg **out)
{
    *out = mtl_calloc(1, sizeof(**out));
    MTL_CHECK(*out, MTL_ERR_NOMEM, "key registration: out of memory");
    return MTL_OK;
}

void mtl_stm_keyreg_free(struct mtl_stm_keyreg *reg)
{
    if (!reg)
        return;
    mtl_free(reg->parties);
    mtl_free(reg);
}

static mtl_err keyreg_add(struct mtl_stm_keyreg *reg, const struct stm_vk *vk, uint64_t stake)
{
    for (size_t i = 0; i < reg->n; i++)
        MTL_CHECK(memcmp(reg->parties[i].vk.bytes, vk->bytes, MTL_STM_VK_BYTES) != 0,
                  MTL_ERR_CONFLICT, "key registration: verification key already registered");
    if (reg->n == reg->cap) {
        size_t ncap = reg->cap ? reg->cap * 2 : 16;
        struct stm_party *np = mtl_realloc(reg->parties, ncap * sizeof(*np));
        MTL_CHECK(np, MTL_ERR_NOMEM, "key registration: out of memory");
        reg->parties = np;
        reg->cap = ncap;
    }
    reg->parties[reg->n].vk = *vk;
    reg->parties[reg->n].stake = stake;
    reg->n++;
    return MTL_OK;
}

/* A verification key with its proof of possession, decoded and checked. */
struct mtl_stm_vk_pop {
    struct stm_vk vk;
};

mtl_err mtl_stm_vk_pop_decode_jsonhex(struct mtl_stm_vk_pop **out, const char *vk_pop_jsonhex)
{
    *out = NULL;
    json_t *j;
    MTL_TRY(stm_json_load_hex(&j, vk_pop_jsonhex, "verification key"));
    uint8_t vkb[MTL_STM_VK_BYTES], pop[MTL_STM_POP_BYTES];
    struct stm_vk vk;
    mtl_err rc = json_is_object(j) ? MTL_OK
                                   : mtl_seterr(MTL_ERR_BAD_ENCODING,
                                                "verification key: expected {\"vk\":..,\"pop\":..}");
    if (rc == MTL_OK)
        rc = stm_json_bytes(vkb, sizeof(vkb), json_object_get(j, "vk"), "verification key vk");
    if (rc == MTL_OK)
        rc = stm_json_bytes(pop, sizeof(pop), json_object_get(j, "pop"), "verification key pop");
    json_decref(j);
    MTL_TRY(rc);
    MTL_TRY(stm_vk_decode(&vk, vkb));
    MTL_TRY(stm_pop_check(&vk, pop));
    *out = mtl_malloc(sizeof(**out));
    MTL_CHECK(*out, MTL_ERR_NOMEM, "verification key: out of memory");
    (*out)->vk = vk;
    return MTL_OK;
}

void mtl_stm_vk_pop_free(struct mtl_stm_vk_pop *vp)
{
    mtl_free(vp);
}

void mtl_stm_vk_pop_key(const struct mtl_stm_vk_pop *vp, uint8_t out[MTL_STM_VK_BYTES])
{
    memcpy(out, vp->vk.bytes, MTL_STM_VK_BYTES);
}

mtl_err mtl_stm_keyreg_register(struct mtl_stm_keyreg *reg, uint64_t stake,
                                const struct mtl_stm_vk_pop *vp)
{
    return keyreg_add(reg, &vp->vk, stake);
}

mtl_err mtl_stm_keyreg_register_jsonhex(struct mtl_stm_keyreg *reg, uint64_t stake,
                                        const char *vk_pop_jsonhex)
{
    struct mtl_stm_vk_pop *vp = NULL;
    MTL_TRY(mtl_stm_vk_pop_decode_jsonhex(&vp, vk_pop_jsonhex));
    mtl_err rc = mtl_stm_keyreg_register(reg, stake, vp);
    mtl_stm_vk_pop_free(vp);
    return rc;
}

static int party_cmp(const void *a, const void *b)
{
    const struct stm_party *x = a, *y = b;
    if (x->stake != y->stake)
        return x->stake < y->stake ? -1 : 1;
    return memcmp(x->vk.bytes, y->vk.bytes, MTL_STM_VK_BYTES);
}

mtl_err mtl_stm_keyreg_close(const struct mtl_stm_keyreg *reg, struct mtl_stm_closed_reg **out)
{
    *out = NULL;
    MTL_CHECK(reg->n > 0, MTL_ERR_STATE, "key registration: no party registered");
    uint64_t total = 0;
    /* Stakes travel as JSON integers (signed 64-bit in jansson, as in every
     * reference message we decode): a total beyond that could be signed but
     * never written back. Cardano's whole supply is far below it. */
    for (size_t i = 0; i < reg->n; i++) {
        MTL_CHECK(total <= (uint64_t)INT64_MAX - reg->parties[i].stake &&
                      reg->parties[i].stake <= (uint64_t)INT64_MAX,
                  MTL_ERR_INVALID_ARG, "key registration: total stake exceeds 2^63 - 1");
        total += reg->parties[i].stake;
    }
    MTL_CHECK(total > 0, MTL_ERR_INVALID_ARG, "key registration: total stake is zero");
    struct mtl_stm_closed_reg *c = mtl_calloc(1, sizeof(*c));
    uint8_t(*leaves)[32] = mtl_malloc(reg->n * 32);
    if (!c || !leaves)
        goto nomem;
    c->parties = mtl_malloc(reg->n * sizeof(*c->parties));
    if (!c->parties)
        goto nomem;
    memcpy(c->parties, reg->parties, reg->n * sizeof(*c->parties));
    c->n = reg->n;
    c->total_stake = total;
    mtl_sort(c->parties, c->n, sizeof(*c->parties), party_cmp);
    for (size_t i = 0; i < c->n; i++)
        stm_hash_leaf(leaves[i], c->parties[i].vk.bytes, c->parties[i].stake);
    mtl_err rc = stm_tree_build(&c->tree, leaves, c->n);
    mtl_free(leaves);
    if (rc != MTL_OK) {
        mtl_stm_closed_reg_free(c);
        return rc;
    }
    *out = c;
    return MTL_OK;
nomem:
    mtl_free(leaves);
    mtl_stm_closed_reg_free(c);
    return mtl_seterr(MTL_ERR_NOMEM, "key registration: out of memory");
}

void mtl_stm_closed_reg_free(struct mtl_stm_closed_reg *c)
{
    if (!c)
        return;
    stm_tree_free(&c->tree);
    mtl_free(c->parties);
    mtl_free(c);
}

size_t mtl_stm_closed_reg_count(const struct mtl_stm_closed_reg *c)
{
    return c->n;
}

uint64_t mtl_stm_closed_reg_total_stake(const struct mtl_stm_closed_reg *c)
{
    return c->total_stake;
}

mtl_err mtl_stm_closed_reg_party(const struct mtl_stm_closed_reg *c, uint64_t i,
                                 uint8_t vk[MTL_STM_VK_BYTES], uint64_t *stake)
{
    MTL_CHECK(i < c->n, MTL_ERR_NOT_FOUND, "closed registration: no party at index %llu",
              (unsigned long long)i);
    if (vk)
        memcpy(vk, c->parties[i].vk.bytes, MTL_STM_VK_BYTES);
    if (stake)
        *stake = c->parties[i].stake;
    return MTL_OK;
}

mtl_err mtl_stm_closed_reg_avk_jsonhex(const struct mtl_stm_closed_reg *c, char **hex)
{
    struct stm_avk avk;
    memcpy(avk.root, c->tree.nodes[0], 32);
    avk.nr_leaves = c->n;
    avk.total_stake = c->total_stake;
    return stm_json_dump_hex(hex, stm_avk_to_json(&avk));
}
