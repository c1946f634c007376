/* json.c - serde-shaped JSON for STM types (byte arrays as number arrays,
 * compact, fields in the reference's order) and their JSON-hex wrapping. */
#include "stm_int.h"

mtl_err stm_json_load_hex(json_t **out, const char *jsonhex, const char *what)
{
    char *text;
    size_t len;
    *out = NULL;
    MTL_CHECK(jsonhex, MTL_ERR_INVALID_ARG, "%s: missing", what);
    mtl_err rc = mtl_jsonhex_decode(&text, &len, jsonhex);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "%s", what);
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    mtl_free(text);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "%s: invalid JSON: %s (column %d)", what, jerr.text,
              jerr.column);
    *out = j;
    return MTL_OK;
}

mtl_err stm_json_bytes(uint8_t *out, size_t len, const json_t *arr, const char *what)
{
    MTL_CHECK(json_is_array(arr), MTL_ERR_BAD_ENCODING, "%s: expected an array of %zu bytes", what,
              len);
    MTL_CHECK(json_array_size(arr) == len, MTL_ERR_BAD_ENCODING, "%s: %zu bytes, expected %zu",
              what, json_array_size(arr), len);
    for (size_t i = 0; i < len; i++) {
        const json_t *v = json_array_get(arr, i);
        MTL_CHECK(json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255,
                  MTL_ERR_BAD_ENCODING, "%s: element %zu is not a byte", what, i);
        out[i] = (uint8_t)json_integer_value(v);
    }
    return MTL_OK;
}

json_t *stm_json_from_bytes(const uint8_t *in, size_t len)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < len; i++)
        if (json_array_append_new(a, json_integer(in[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

mtl_err stm_json_u64(uint64_t *out, const json_t *v, const char *what)
{
    MTL_CHECK(json_is_integer(v) && json_integer_value(v) >= 0, MTL_ERR_BAD_ENCODING,
              "%s: expected a non-negative integer", what);
    *out = (uint64_t)json_integer_value(v);
    return MTL_OK;
}

mtl_err stm_json_dump_hex(char **hex, json_t *obj)
{
    *hex = NULL;
    MTL_CHECK(obj, MTL_ERR_NOMEM, "JSON: out of memory");
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    MTL_CHECK(text, MTL_ERR_NOMEM, "JSON: out of memory");
    mtl_err rc = mtl_jsonhex_encode(hex, text, strlen(text));
    free(text);
    return rc;
}

mtl_err stm_avk_from_json(struct stm_avk *avk, const json_t *j)
{
    MTL_CHECK(json_is_object(j), MTL_ERR_BAD_ENCODING, "AVK: expected an object");
    const json_t *mt = json_object_get(j, "mt_commitment");
    MTL_CHECK(json_is_object(mt), MTL_ERR_BAD_ENCODING, "AVK: missing mt_commitment");
    MTL_TRY(stm_json_bytes(avk->root, 32, json_object_get(mt, "root"), "AVK mt_commitment.root"));
    MTL_TRY(stm_json_u64(&avk->nr_leaves, json_object_get(mt, "nr_leaves"),
                         "AVK mt_commitment.nr_leaves"));
    MTL_CHECK(avk->nr_leaves > 0, MTL_ERR_BAD_ENCODING, "AVK: nr_leaves is 0");
    MTL_TRY(stm_json_u64(&avk->total_stake, json_object_get(j, "total_stake"), "AVK total_stake"));
    return MTL_OK;
}

json_t *stm_avk_to_json(const struct stm_avk *avk)
{
    json_t *mt = json_object(), *j = json_object();
    if (!mt || !j) {
        json_decref(mt);
        json_decref(j);
        return NULL;
    }
    json_object_set_new(mt, "root", stm_json_from_bytes(avk->root, 32));
    json_object_set_new(mt, "nr_leaves", json_integer((json_int_t)avk->nr_leaves));
    json_object_set_new(mt, "hasher", json_null());
    json_object_set_new(j, "mt_commitment", mt);
    json_object_set_new(j, "total_stake", json_integer((json_int_t)avk->total_stake));
    return j;
}

void stm_single_clear(struct stm_single *s)
{
    mtl_free(s->indexes);
    s->indexes = NULL;
    s->nindexes = 0;
}

mtl_err stm_single_from_json_raw(struct stm_single *s, const json_t *j)
{
    memset(s, 0, sizeof(*s));
    MTL_CHECK(json_is_object(j), MTL_ERR_BAD_ENCODING, "single signature: expected an object");
    MTL_TRY(stm_json_bytes(s->sigma.bytes, MTL_STM_SIG_BYTES, json_object_get(j, "sigma"),
                           "single signature sigma"));
    MTL_TRY(stm_json_u64(&s->signer_index, json_object_get(j, "signer_index"),
                         "single signature signer_index"));
    const json_t *ix = json_object_get(j, "indexes");
    MTL_CHECK(json_is_array(ix), MTL_ERR_BAD_ENCODING, "single signature: missing indexes");
    size_t n = json_array_size(ix);
    MTL_CHECK(n <= (1u << 24), MTL_ERR_TOO_BIG, "single signature: %zu indexes", n);
    s->indexes = mtl_malloc((n ? n : 1) * sizeof(uint64_t));
    MTL_CHECK(s->indexes, MTL_ERR_NOMEM, "single signature: out of memory");
    s->nindexes = n;
    for (size_t i = 0; i < n; i++) {
        mtl_err rc = stm_json_u64(&s->indexes[i], json_array_get(ix, i), "single signature index");
        if (rc != MTL_OK) {
            stm_single_clear(s);
            return rc;
        }
    }
    return MTL_OK;
}

mtl_err stm_single_decode_sigma(struct stm_single *s)
{
    uint8_t sb[MTL_STM_SIG_BYTES];
    memcpy(sb, s->sigma.bytes, sizeof(sb));
    mtl_err rc = stm_sig_decode(&s->sigma, sb);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "single signature sigma");
}

mtl_err stm_single_from_json(struct stm_single *s, const json_t *j)
{
    MTL_TRY(stm_single_from_json_raw(s, j));
    mtl_err rc = stm_single_decode_sigma(s);
    if (rc != MTL_OK)
        stm_single_clear(s);
    return rc;
}

json_t *stm_single_to_json(const struct stm_single *s)
{
    json_t *j = json_object(), *ix = json_array();
    if (!j || !ix) {
        json_decref(j);
        json_decref(ix);
        return NULL;
    }
    json_object_set_new(j, "sigma", stm_json_from_bytes(s->sigma.bytes, MTL_STM_SIG_BYTES));
    for (size_t i = 0; i < s->nindexes; i++)
        json_array_append_new(ix, json_integer((json_int_t)s->indexes[i]));
    json_object_set_new(j, "indexes", ix);
    json_object_set_new(j, "signer_index", json_integer((json_int_t)s->signer_index));
    return j;
}

uint8_t *stm_msgp(const uint8_t *msg, size_t len, const uint8_t root[32])
{
    uint8_t *p = mtl_malloc(len + 32);
    if (p) {
        if (len)
            memcpy(p, msg, len);
        memcpy(p + len, root, 32);
    }
    return p;
}

mtl_err stm_single_check_indices(const struct stm_single *s, const struct mtl_stm_params *p,
                                 uint64_t stake, uint64_t total, const uint8_t *msgp,
                                 size_t msgp_len)
{
    for (size_t i = 0; i < s->nindexes; i++) {
        uint64_t index = s->indexes[i];
        /* The reference bounds with `index > m` (index m itself passes). */
        MTL_CHECK(index <= p->m, MTL_ERR_VERIFY_FAIL,
                  "signer %llu: lottery index %llu out of bound m=%llu",
                  (unsigned long long)s->signer_index, (unsigned long long)index,
                  (unsigned long long)p->m);
        uint8_t ev[64];
        stm_dense_mapping(ev, msgp, msgp_len, index, s->sigma.bytes);
        MTL_CHECK(mtl_stm_lottery_won(p->phi_f, ev, stake, total), MTL_ERR_VERIFY_FAIL,
                  "signer %llu: lottery index %llu not won", (unsigned long long)s->signer_index,
                  (unsigned long long)index);
    }
    return MTL_OK;
}
