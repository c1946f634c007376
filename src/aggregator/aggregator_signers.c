/* aggregator_signers.c - the signers registry: the registered signers of
 * a key epoch, closed (immutable once built), with their party ids by
 * closed-registration index. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"

void agg_signers_free(struct agg_signers *g)
{
    if (!g)
        return;
    mtl_free(g->by_name);
    agg_strv_free(g->party, g->n);
    mtl_free(g->stake);
    mtl_stm_closed_reg_free(g->closed);
    mtl_free(g->avk);
    mtl_free(g);
}

static const struct agg_signers *sort_g; /* under sort_mu: qsort has no context */
static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;
static int by_party(const void *a, const void *b)
{
    return strcmp(sort_g->party[*(const size_t *)a], sort_g->party[*(const size_t *)b]);
}

size_t agg_signers_find(const struct agg_signers *g, const char *party)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->party[g->by_name[mid]], party);
        if (c == 0)
            return g->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return g->n;
}

mtl_err agg_signers_load(struct agg_store *s, uint64_t key_epoch, struct agg_signers **out)
{
    *out = NULL;
    char *txt = NULL;
    MTL_TRY(agg_store_registrations(s, key_epoch, &txt));
    json_t *arr = json_loads(txt, 0, NULL);
    mtl_free(txt);
    MTL_CHECK(arr, MTL_ERR_INTERNAL, "registrations of epoch %llu: bad JSON",
              (unsigned long long)key_epoch);
    size_t n = json_array_size(arr);
    struct agg_signers *g = mtl_calloc(1, sizeof(*g));
    uint8_t(*vks)[MTL_STM_VK_BYTES] = mtl_calloc(n ? n : 1, MTL_STM_VK_BYTES);
    struct mtl_stm_keyreg *reg = NULL;
    mtl_err e = g && vks ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    if (e == MTL_OK && n == 0)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no signer registered for epoch %llu",
                       (unsigned long long)key_epoch);
    if (e == MTL_OK) {
        g->key_epoch = key_epoch;
        g->party = mtl_calloc(n, sizeof(char *));
        g->stake = mtl_calloc(n, sizeof(uint64_t));
        g->by_name = mtl_calloc(n, sizeof(size_t));
        e = g->party && g->stake && g->by_name ? mtl_stm_keyreg_new(&reg)
                                               : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; e == MTL_OK && i < n; i++) {
        json_t *v = json_array_get(arr, i);
        const char *vk = json_string_value(json_object_get(v, "verification_key"));
        uint64_t stake = (uint64_t)json_integer_value(json_object_get(v, "stake"));
        struct mtl_stm_vk_pop *vp = NULL; /* decoded once: its key and its registration */
        e = mtl_stm_vk_pop_decode_jsonhex(&vp, vk ? vk : "");
        if (e == MTL_OK) {
            mtl_stm_vk_pop_key(vp, vks[i]);
            e = mtl_stm_keyreg_register(reg, stake, vp);
        }
        mtl_stm_vk_pop_free(vp);
    }
    if (e == MTL_OK)
        e = mtl_stm_keyreg_close(reg, &g->closed);
    if (e == MTL_OK)
        e = mtl_stm_closed_reg_avk_jsonhex(g->closed, &g->avk);
    /* Map closed-registration indexes (sorted by stake, key) to parties. */
    for (size_t i = 0; e == MTL_OK && i < n; i++) {
        uint8_t vk[MTL_STM_VK_BYTES];
        e = mtl_stm_closed_reg_party(g->closed, i, vk, &g->stake[i]);
        for (size_t j = 0; e == MTL_OK && j < n; j++)
            if (memcmp(vk, vks[j], MTL_STM_VK_BYTES) == 0) {
                g->party[i] = mtl_strdup(
                    json_string_value(json_object_get(json_array_get(arr, j), "party_id")));
                break;
            }
        if (e == MTL_OK && !g->party[i])
            e = mtl_seterr(MTL_ERR_INTERNAL, "closed registration: signer %zu not found", i);
    }
    if (g)
        g->n = n;
    if (e == MTL_OK) {
        for (size_t i = 0; i < n; i++)
            g->by_name[i] = i;
        pthread_mutex_lock(&sort_mu);
        sort_g = g;
        mtl_sort(g->by_name, n, sizeof(size_t), by_party);
        pthread_mutex_unlock(&sort_mu);
    }
    mtl_stm_keyreg_free(reg);
    mtl_free(vks);
    json_decref(arr);
    if (e != MTL_OK) {
        agg_signers_free(g);
        return e;
    }
    *out = g;
    return MTL_OK;
}
