/* mkproof_bin.c - the v2 wire form of a map proof: hex of bincode 2
 * "standard" (the serde fields in order, no names; integers and lengths as
 * varints: < 251 one byte, then 251 + u16, 252 + u32, 253 + u64 little
 * endian; a node is a length and its bytes), spec transactions.md §5.
 * Decoding is canonical-only (shortest varints, no trailing bytes): an
 * honest proof has exactly one encoding. */
#include "merkle_int.h"

struct rd {
    const uint8_t *p;
    size_t len, pos;
};

static mtl_err varint(struct rd *r, uint64_t *out, const char *field)
{
    MTL_CHECK(r->pos < r->len, MTL_ERR_BAD_ENCODING, "merkle proof: ends inside %s (byte %zu)",
              field, r->pos);
    uint8_t b = r->p[r->pos++];
    if (b < 251) {
        *out = b;
        return MTL_OK;
    }
    MTL_CHECK(b <= 253, MTL_ERR_BAD_ENCODING, "merkle proof: %s: varint tag %u (byte %zu)", field,
              b, r->pos - 1);
    size_t n = (size_t)2 << (b - 251);
    MTL_CHECK(r->len - r->pos >= n, MTL_ERR_BAD_ENCODING, "merkle proof: ends inside %s", field);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += n;
    static const uint64_t MIN[3] = {251, 0x10000, 0x100000000};
    MTL_CHECK(v >= MIN[b - 251], MTL_ERR_BAD_ENCODING,
              "merkle proof: %s: %llu written in a longer form than needed (byte %zu)", field,
              (unsigned long long)v, r->pos - n - 1);
    *out = v;
    return MTL_OK;
}

/* A length that must fit in the bytes left, at `min` bytes per element. */
static mtl_err count(struct rd *r, size_t *out, size_t min, const char *field)
{
    uint64_t n;
    MTL_TRY(varint(r, &n, field));
    MTL_CHECK(n <= (r->len - r->pos) / min, MTL_ERR_BAD_ENCODING,
              "merkle proof: %s of %llu overruns the input", field, (unsigned long long)n);
    *out = (size_t)n;
    return MTL_OK;
}

static mtl_err node(struct rd *r, struct mk_node *n, const char *field)
{
    size_t len = 0;
    MTL_TRY(count(r, &len, 1, field));
    MTL_TRY(mk_node_set(n, r->p + r->pos, len));
    r->pos += len;
    return MTL_OK;
}

static mtl_err proof(struct rd *r, struct mk_proof *p)
{
    struct mk_node root = {0};
    size_t nleaves = 0, nitems = 0;
    MTL_TRY(node(r, &root, "inner_root"));
    p->root = root;
    MTL_TRY(count(r, &nleaves, 2, "inner_leaves"));
    /* the items count comes after the leaves: allocate leaves now, items later */
    MTL_TRY(mk_proof_alloc(p, nleaves, 0));
    for (size_t i = 0; i < nleaves; i++) {
        MTL_TRY(varint(r, &p->pos[i], "a leaf position"));
        MTL_TRY(node(r, &p->leaves[i], "a leaf"));
    }
    MTL_TRY(varint(r, &p->size, "inner_proof_size"));
    MTL_TRY(count(r, &nitems, 1, "inner_proof_items"));
    struct mk_node *items = mtl_calloc(nitems ? nitems : 1, sizeof(*items));
    MTL_CHECK(items, MTL_ERR_NOMEM, "merkle proof: out of memory");
    mtl_free(p->items);
    p->items = items;
    for (size_t i = 0; i < nitems; i++) {
        MTL_TRY(node(r, &p->items[i], "a proof item"));
        p->nitems++;
    }
    return MTL_OK;
}

static mtl_err map(struct rd *r, struct mtl_mkproof *m, unsigned depth)
{
    MTL_CHECK(depth < MTL_MKPROOF_MAX_DEPTH, MTL_ERR_BAD_ENCODING,
              "merkle proof: sub-proofs nested deeper than %d", MTL_MKPROOF_MAX_DEPTH);
    MTL_TRY(proof(r, &m->master));
    size_t n = 0;
    MTL_TRY(count(r, &n, 6, "sub_proofs"));
    if (n == 0)
        return MTL_OK;
    m->subs = mtl_calloc(n, sizeof(*m->subs));
    MTL_CHECK(m->subs, MTL_ERR_NOMEM, "merkle proof: out of memory");
    for (size_t i = 0; i < n; i++) {
        struct mk_sub *s = &m->subs[m->nsub];
        MTL_TRY(varint(r, &s->start, "a range start"));
        MTL_TRY(varint(r, &s->end, "a range end"));
        s->proof = mk_map_new();
        MTL_CHECK(s->proof, MTL_ERR_NOMEM, "merkle proof: out of memory");
        m->nsub++;
        MTL_TRY(map(r, s->proof, depth + 1));
    }
    return MTL_OK;
}

mtl_err mtl_mkproof_from_bytes_hex(struct mtl_mkproof **out, const char *hex, size_t len)
{
    MTL_CHECK(out, MTL_ERR_INVALID_ARG, "merkle proof: NULL argument");
    *out = NULL;
    struct rd r = {0};
    uint8_t *bytes;
    MTL_TRY(mk_hex_bytes(&bytes, &r.len, hex, len));
    r.p = bytes;
    struct mtl_mkproof *m = mk_map_new();
    mtl_err rc = m ? map(&r, m, 0) : mtl_seterr(MTL_ERR_NOMEM, "merkle proof: out of memory");
    if (rc == MTL_OK && r.pos != r.len)
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING, "merkle proof: %zu bytes after the proof",
                        r.len - r.pos);
    mtl_free(bytes);
    if (rc != MTL_OK) {
        mtl_mkproof_free(m);
        return rc;
    }
    *out = m;
    return MTL_OK;
}

static mtl_err put_varint(struct mtl_buf *b, uint64_t v)
{
    uint8_t out[9];
    size_t n = 1;
    if (v < 251) {
        out[0] = (uint8_t)v;
    } else {
        size_t w = v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
        out[0] = (uint8_t)(w == 2 ? 251 : w == 4 ? 252 : 253);
        for (size_t i = 0; i < w; i++)
            out[n++] = (uint8_t)(v >> (8 * i));
    }
    return mtl_buf_append(b, out, n);
}

static mtl_err put_node(struct mtl_buf *b, const struct mk_node *n)
{
    MTL_TRY(put_varint(b, n->len));
    return mtl_buf_append(b, n->b, n->len);
}

static mtl_err put_map(struct mtl_buf *b, const struct mtl_mkproof *m)
{
    const struct mk_proof *p = &m->master;
    MTL_TRY(put_node(b, &p->root));
    MTL_TRY(put_varint(b, p->nleaves));
    for (size_t i = 0; i < p->nleaves; i++) {
        MTL_TRY(put_varint(b, p->pos[i]));
        MTL_TRY(put_node(b, &p->leaves[i]));
    }
    MTL_TRY(put_varint(b, p->size));
    MTL_TRY(put_varint(b, p->nitems));
    for (size_t i = 0; i < p->nitems; i++)
        MTL_TRY(put_node(b, &p->items[i]));
    MTL_TRY(put_varint(b, m->nsub));
    for (size_t i = 0; i < m->nsub; i++) {
        MTL_TRY(put_varint(b, m->subs[i].start));
        MTL_TRY(put_varint(b, m->subs[i].end));
        MTL_TRY(put_map(b, m->subs[i].proof));
    }
    return MTL_OK;
}

mtl_err mtl_mkproof_to_bytes_hex(const struct mtl_mkproof *p, char **hex)
{
    MTL_CHECK(p && hex, MTL_ERR_INVALID_ARG, "merkle proof: NULL argument");
    *hex = NULL;
    struct mtl_buf b;
    mtl_buf_init(&b, (size_t)8 << 20);
    mtl_err rc = put_map(&b, p);
    if (rc == MTL_OK)
        rc = mtl_hex_encode_alloc(hex, b.data, b.len);
    mtl_buf_free(&b);
    return rc;
}
