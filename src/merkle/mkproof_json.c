/* mkproof_json.c - the v1 wire form of a map proof: hex of the compact serde
 * JSON {"master_proof":{"inner_root":{"hash":[..]},"inner_leaves":[[pos,
 * {"hash":[..]}],..],"inner_proof_size":N,"inner_proof_items":[..]},
 * "sub_proofs":[[{"inner_range":{"start":S,"end":E}},{..}],..]}
 * (spec transactions.md §5). */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>

#include "merkle_int.h"

#define MK_HEX_MAX ((size_t)16 << 20)

static mtl_err u64_of(const json_t *v, uint64_t *out, const char *field)
{
    MTL_CHECK(json_is_integer(v) && json_integer_value(v) >= 0, MTL_ERR_BAD_ENCODING,
              "merkle proof: %s is not an unsigned integer", field);
    *out = (uint64_t)json_integer_value(v);
    return MTL_OK;
}

static mtl_err node_of(const json_t *o, struct mk_node *n, const char *field)
{
    const json_t *a = json_object_get(o, "hash");
    MTL_CHECK(json_is_array(a), MTL_ERR_BAD_ENCODING, "merkle proof: %s has no \"hash\" array",
              field);
    size_t len = json_array_size(a);
    n->b = mtl_malloc(len ? len : 1);
    MTL_CHECK(n->b, MTL_ERR_NOMEM, "merkle proof: out of memory");
    for (size_t i = 0; i < len; i++) {
        const json_t *v = json_array_get(a, i);
        MTL_CHECK(json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255,
                  MTL_ERR_BAD_ENCODING, "merkle proof: %s byte %zu is not a number 0..255", field,
                  i);
        n->b[i] = (uint8_t)json_integer_value(v);
    }
    n->len = len;
    return MTL_OK;
}

static mtl_err proof_of(const json_t *o, struct mk_proof *p)
{
    MTL_CHECK(json_is_object(o), MTL_ERR_BAD_ENCODING,
              "merkle proof: master_proof is not an object");
    const json_t *leaves = json_object_get(o, "inner_leaves"),
                 *items = json_object_get(o, "inner_proof_items");
    MTL_CHECK(json_is_array(leaves) && json_is_array(items), MTL_ERR_BAD_ENCODING,
              "merkle proof: inner_leaves and inner_proof_items must be arrays");
    MTL_TRY(mk_proof_alloc(p, json_array_size(leaves), json_array_size(items)));
    MTL_TRY(node_of(json_object_get(o, "inner_root"), &p->root, "inner_root"));
    MTL_TRY(u64_of(json_object_get(o, "inner_proof_size"), &p->size, "inner_proof_size"));
    for (size_t i = 0; i < p->nleaves; i++) {
        const json_t *pair = json_array_get(leaves, i);
        MTL_CHECK(json_is_array(pair) && json_array_size(pair) == 2, MTL_ERR_BAD_ENCODING,
                  "merkle proof: inner_leaves[%zu] is not a [position, node] pair", i);
        MTL_TRY(u64_of(json_array_get(pair, 0), &p->pos[i], "a leaf position"));
        MTL_TRY(node_of(json_array_get(pair, 1), &p->leaves[i], "a leaf"));
    }
    for (size_t i = 0; i < p->nitems; i++)
        MTL_TRY(node_of(json_array_get(items, i), &p->items[i], "a proof item"));
    return MTL_OK;
}

static mtl_err map_of(const json_t *o, struct mtl_mkproof *m, unsigned depth)
{
    MTL_CHECK(depth < MTL_MKPROOF_MAX_DEPTH, MTL_ERR_BAD_ENCODING,
              "merkle proof: sub-proofs nested deeper than %d", MTL_MKPROOF_MAX_DEPTH);
    MTL_CHECK(json_is_object(o), MTL_ERR_BAD_ENCODING, "merkle proof: not a JSON object");
    MTL_TRY(proof_of(json_object_get(o, "master_proof"), &m->master));
    const json_t *subs = json_object_get(o, "sub_proofs");
    MTL_CHECK(json_is_array(subs), MTL_ERR_BAD_ENCODING,
              "merkle proof: sub_proofs is not an array");
    size_t n = json_array_size(subs);
    if (n == 0)
        return MTL_OK;
    m->subs = mtl_calloc(n, sizeof(*m->subs));
    MTL_CHECK(m->subs, MTL_ERR_NOMEM, "merkle proof: out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *pair = json_array_get(subs, i);
        const json_t *r = json_object_get(json_array_get(pair, 0), "inner_range");
        MTL_CHECK(json_is_array(pair) && json_array_size(pair) == 2 && json_is_object(r),
                  MTL_ERR_BAD_ENCODING,
                  "merkle proof: sub_proofs[%zu] is not a [{\"inner_range\":..}, proof] pair", i);
        struct mk_sub *s = &m->subs[m->nsub];
        MTL_TRY(u64_of(json_object_get(r, "start"), &s->start, "a range start"));
        MTL_TRY(u64_of(json_object_get(r, "end"), &s->end, "a range end"));
        s->proof = mk_map_new();
        MTL_CHECK(s->proof, MTL_ERR_NOMEM, "merkle proof: out of memory");
        m->nsub++;
        MTL_TRY(map_of(json_array_get(pair, 1), s->proof, depth + 1));
    }
    return MTL_OK;
}

/* Trim ASCII whitespace around the hex, as the reference's reader does. */
static void trim(const char **hex, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**hex)) {
        (*hex)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*hex)[*len - 1]))
        (*len)--;
}

mtl_err mk_hex_bytes(uint8_t **out, size_t *n, const char *hex, size_t len)
{
    MTL_CHECK(hex, MTL_ERR_INVALID_ARG, "merkle proof: NULL argument");
    trim(&hex, &len);
    MTL_CHECK(len <= MK_HEX_MAX, MTL_ERR_TOO_BIG, "merkle proof: %zu hex digits, at most %zu", len,
              MK_HEX_MAX);
    mtl_err rc = mtl_hex_decode_alloc(out, n, hex, len);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "merkle proof");
    return MTL_OK;
}

mtl_err mtl_mkproof_from_json_hex(struct mtl_mkproof **out, const char *hex, size_t len)
{
    MTL_CHECK(out, MTL_ERR_INVALID_ARG, "merkle proof: NULL argument");
    *out = NULL;
    uint8_t *text;
    size_t n;
    MTL_TRY(mk_hex_bytes(&text, &n, hex, len));
    json_error_t jerr;
    json_t *j = json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES, &jerr);
    mtl_free(text);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "merkle proof: invalid JSON: %s", jerr.text);
    struct mtl_mkproof *m = mk_map_new();
    mtl_err rc = m ? map_of(j, m, 0) : mtl_seterr(MTL_ERR_NOMEM, "merkle proof: out of memory");
    json_decref(j);
    if (rc != MTL_OK) {
        mtl_mkproof_free(m);
        return rc;
    }
    *out = m;
    return MTL_OK;
}

/* {"hash":[b,b,..]}: the bytes' decimal digits written in batches (a
 * printf per byte was most of a 100-transaction proof's encoding). */
static mtl_err put_node(struct mtl_buf *b, const struct mk_node *n)
{
    char t[4 * 64];
    MTL_TRY(mtl_buf_append_str(b, "{\"hash\":["));
    for (size_t i = 0; i < n->len;) {
        size_t k = 0;
        for (size_t end = i + 64 < n->len ? i + 64 : n->len; i < end; i++) {
            unsigned v = n->b[i];
            if (i)
                t[k++] = ',';
            if (v >= 100)
                t[k++] = (char)('0' + v / 100);
            if (v >= 10)
                t[k++] = (char)('0' + v / 10 % 10);
            t[k++] = (char)('0' + v % 10);
        }
        MTL_TRY(mtl_buf_append(b, t, k));
    }
    return mtl_buf_append_str(b, "]}");
}

static mtl_err put_map(struct mtl_buf *b, const struct mtl_mkproof *m)
{
    const struct mk_proof *p = &m->master;
    MTL_TRY(mtl_buf_append_str(b, "{\"master_proof\":{\"inner_root\":"));
    MTL_TRY(put_node(b, &p->root));
    MTL_TRY(mtl_buf_append_str(b, ",\"inner_leaves\":["));
    for (size_t i = 0; i < p->nleaves; i++) {
        MTL_TRY(mtl_buf_printf(b, "%s[%" PRIu64 ",", i ? "," : "", p->pos[i]));
        MTL_TRY(put_node(b, &p->leaves[i]));
        MTL_TRY(mtl_buf_append_str(b, "]"));
    }
    MTL_TRY(
        mtl_buf_printf(b, "],\"inner_proof_size\":%" PRIu64 ",\"inner_proof_items\":[", p->size));
    for (size_t i = 0; i < p->nitems; i++) {
        if (i)
            MTL_TRY(mtl_buf_append_str(b, ","));
        MTL_TRY(put_node(b, &p->items[i]));
    }
    MTL_TRY(mtl_buf_append_str(b, "]},\"sub_proofs\":["));
    for (size_t i = 0; i < m->nsub; i++) {
        MTL_TRY(mtl_buf_printf(b,
                               "%s[{\"inner_range\":{\"start\":%" PRIu64 ",\"end\":%" PRIu64 "}},",
                               i ? "," : "", m->subs[i].start, m->subs[i].end));
        MTL_TRY(put_map(b, m->subs[i].proof));
        MTL_TRY(mtl_buf_append_str(b, "]"));
    }
    return mtl_buf_append_str(b, "]}");
}

mtl_err mtl_mkproof_to_json_hex(const struct mtl_mkproof *p, char **hex)
{
    MTL_CHECK(p && hex, MTL_ERR_INVALID_ARG, "merkle proof: NULL argument");
    *hex = NULL;
    struct mtl_buf b;
    mtl_buf_init(&b, MK_HEX_MAX / 2);
    mtl_err rc = put_map(&b, p);
    if (rc == MTL_OK)
        rc = mtl_hex_encode_alloc(hex, b.data, b.len);
    mtl_buf_free(&b);
    return rc;
}
