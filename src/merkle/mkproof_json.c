/* mkproof_json.c - the v1 wire form of a map proof: hex of the compact serde
 * JSON {"master_proof":{"inner_root":{"hash":[..]},"inner_leaves":[[pos,
 * {"hash":[..]}],..],"inner_proof_size":N,"inner_proof_items":[..]},
 * "sub_proofs":[[{"inner_range":{"start":S,"end":E}},{..}],..]}
 * (spec transactions.md §5); decoded by mkproof_json_read.c. */
#include <ctype.h>
#include <inttypes.h>

#include "merkle_int.h"

#define MK_HEX_MAX ((size_t)16 << 20)

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
