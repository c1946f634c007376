/* mktree.c - the MKTree builder (ckb MMR push: a leaf, then the parents it
 * completes, each node at the next position) and its prover (ckb gen_proof:
 * siblings climbing to each proven peak, an untouched peak as one item, the
 * peaks right of the last proven one bagged into one item). */
#include <stdlib.h>
#include <string.h>

#include "merkle_int.h"

struct tnode {
    size_t off, len; /* into data */
};

struct mtl_mktree {
    EVP_MD_CTX *ctx;
    struct mtl_buf data; /* every node's bytes */
    struct tnode *nodes; /* by position */
    size_t nnodes, cap;
    uint64_t nleaves;
    uint64_t pk_pos[MK_MAX_PEAKS];
    unsigned pk_h[MK_MAX_PEAKS];
    size_t npk;
};

mtl_err mtl_mktree_new(struct mtl_mktree **out)
{
    MTL_CHECK(out, MTL_ERR_INVALID_ARG, "merkle tree: NULL argument");
    struct mtl_mktree *t = mtl_calloc(1, sizeof(*t));
    MTL_CHECK(t, MTL_ERR_NOMEM, "merkle tree: out of memory");
    t->ctx = EVP_MD_CTX_new();
    if (!t->ctx) {
        mtl_free(t);
        return mtl_seterr(MTL_ERR_NOMEM, "merkle tree: out of memory");
    }
    mtl_buf_init(&t->data, SIZE_MAX);
    *out = t;
    return MTL_OK;
}

void mtl_mktree_free(struct mtl_mktree *t)
{
    if (!t)
        return;
    EVP_MD_CTX_free(t->ctx);
    mtl_buf_free(&t->data);
    mtl_free(t->nodes);
    mtl_free(t);
}

void mtl_mktree_clear(struct mtl_mktree *t)
{
    if (!t)
        return;
    t->data.len = 0;
    t->nnodes = 0;
    t->nleaves = 0;
    t->npk = 0;
}

static const uint8_t *node_bytes(const struct mtl_mktree *t, uint64_t pos, size_t *len)
{
    *len = t->nodes[pos].len;
    return t->data.data + t->nodes[pos].off;
}

static mtl_err push_node(struct mtl_mktree *t, const void *b, size_t len)
{
    if (t->nnodes == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        struct tnode *n = mtl_realloc(t->nodes, cap * sizeof(*n));
        MTL_CHECK(n, MTL_ERR_NOMEM, "merkle tree: out of memory");
        t->nodes = n;
        t->cap = cap;
    }
    t->nodes[t->nnodes] = (struct tnode){t->data.len, len};
    MTL_TRY(mtl_buf_append(&t->data, b, len));
    t->nnodes++;
    return MTL_OK;
}

mtl_err mtl_mktree_append(struct mtl_mktree *t, const void *leaf, size_t len)
{
    MTL_CHECK(t && leaf && len > 0, MTL_ERR_INVALID_ARG, "merkle tree: empty leaf");
    MTL_CHECK((uint64_t)t->nnodes + 2 * MK_MAX_PEAKS < MK_MAX_SIZE, MTL_ERR_TOO_BIG,
              "merkle tree: too many leaves");
    uint64_t cur = t->nnodes;
    unsigned h = 0;
    MTL_TRY(push_node(t, leaf, len));
    while (t->npk > 0 && t->pk_h[t->npk - 1] == h) {
        uint8_t parent[MTL_MKNODE_BYTES];
        size_t llen, rlen;
        const uint8_t *l = node_bytes(t, t->pk_pos[t->npk - 1], &llen);
        const uint8_t *r = node_bytes(t, cur, &rlen);
        MTL_TRY(mk_merge(t->ctx, parent, l, llen, r, rlen));
        cur = t->nnodes;
        MTL_TRY(push_node(t, parent, sizeof(parent)));
        t->npk--;
        h++;
    }
    t->pk_pos[t->npk] = cur;
    t->pk_h[t->npk++] = h;
    t->nleaves++;
    return MTL_OK;
}

uint64_t mtl_mktree_leaf_count(const struct mtl_mktree *t)
{
    return t ? t->nleaves : 0;
}

/* Bag peaks positions[0..n) of the tree into out/root (see mk_bag). */
static mtl_err bag_positions(const struct mtl_mktree *t, const uint64_t *positions, size_t n,
                             uint8_t out[MTL_MKNODE_BYTES], struct mk_ref *root)
{
    struct mk_ref refs[MK_MAX_PEAKS];
    for (size_t i = 0; i < n; i++)
        refs[i].p = node_bytes(t, positions[i], &refs[i].len);
    return mk_bag(t->ctx, refs, n, out, root);
}

mtl_err mtl_mktree_root(const struct mtl_mktree *t, uint8_t *out, size_t cap, size_t *len)
{
    MTL_CHECK(t && out && len, MTL_ERR_INVALID_ARG, "merkle tree: NULL argument");
    MTL_CHECK(t->nleaves > 0, MTL_ERR_STATE, "merkle tree: no leaf, no root");
    uint8_t bag[MTL_MKNODE_BYTES];
    struct mk_ref root;
    MTL_TRY(bag_positions(t, t->pk_pos, t->npk, bag, &root));
    MTL_CHECK(root.len <= cap, MTL_ERR_BUFFER_TOO_SMALL,
              "merkle tree: the root has %zu bytes, the buffer %zu", root.len, cap);
    memcpy(out, root.p, root.len);
    *len = root.len;
    return MTL_OK;
}

mtl_err mtl_mktree_root_hex(const struct mtl_mktree *t, char *out, size_t cap)
{
    uint8_t root[MTL_MKNODE_BYTES];
    size_t len;
    MTL_TRY(mtl_mktree_root(t, root, sizeof(root), &len));
    return mtl_hex_encode(out, cap, root, len);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct items_out {
    const struct mtl_mktree *t;
    struct mk_node *items;
    size_t n;
};

static mtl_err add_item(struct items_out *o, const uint8_t *b, size_t len)
{
    return mk_node_set(&o->items[o->n++], b, len);
}

/* Siblings of the sorted positions pos[0..n) up to peak (ckb gen_proof_for_peak). */
static mtl_err prove_peak(struct items_out *o, const uint64_t *pos, size_t n, uint64_t peak,
                          uint64_t *qpos, unsigned *qh)
{
    if (n == 1 && pos[0] == peak)
        return MTL_OK;
    size_t len;
    const uint8_t *b;
    if (n == 0) {
        b = node_bytes(o->t, peak, &len);
        return add_item(o, b, len);
    }
    size_t cap = n + 1, head = 0, count = n;
    for (size_t i = 0; i < n; i++) {
        qpos[i] = pos[i];
        qh[i] = 0;
    }
    while (count > 0) {
        uint64_t p = qpos[head];
        unsigned h = qh[head];
        head = (head + 1) % cap;
        count--;
        if (p == peak)
            break;
        uint64_t off = ((uint64_t)2 << h) - 1;
        bool right = mk_pos_height(p + 1) > h;
        uint64_t sib = right ? p - off : p + off, parent = right ? p + 1 : p + off + 1;
        if (count > 0 && qpos[head] == sib) {
            head = (head + 1) % cap;
            count--;
        } else {
            b = node_bytes(o->t, sib, &len);
            MTL_TRY(add_item(o, b, len));
        }
        if (parent < peak) {
            qpos[(head + count) % cap] = parent;
            qh[(head + count) % cap] = h + 1;
            count++;
        } else {
            break; /* the parent is the peak */
        }
    }
    return MTL_OK;
}

static mtl_err gen_items(struct items_out *o, const uint64_t *sorted, size_t n, uint64_t *qpos,
                         unsigned *qh)
{
    const struct mtl_mktree *t = o->t;
    if (t->nnodes == 1)
        return MTL_OK;
    uint64_t peaks[MK_MAX_PEAKS];
    size_t npeaks = mk_peaks(t->nnodes, peaks), next = 0, trailing = 0;
    for (size_t k = 0; k < npeaks; k++) {
        size_t first = next;
        while (next < n && sorted[next] <= peaks[k])
            next++;
        trailing = next == first ? trailing + 1 : 0;
        MTL_TRY(prove_peak(o, sorted + first, next - first, peaks[k], qpos, qh));
    }
    if (trailing > 1) { /* the untouched peaks on the right become one bagged item */
        uint8_t bag[MTL_MKNODE_BYTES];
        struct mk_ref root;
        MTL_TRY(bag_positions(t, peaks + npeaks - trailing, trailing, bag, &root));
        for (size_t i = o->n - trailing; i < o->n; i++)
            mtl_free(o->items[i].b);
        o->n -= trailing;
        MTL_TRY(add_item(o, root.p, root.len));
    }
    return MTL_OK;
}

static mtl_err fill_proof(struct mtl_mkproof *p, const struct mtl_mktree *t,
                          const uint64_t *leaf_index, size_t n, uint64_t *scratch)
{
    struct mk_proof *m = &p->master;
    /* at most one item per level per leaf, plus one per peak */
    MTL_TRY(mk_proof_alloc(m, n, n * 64 + MK_MAX_PEAKS));
    m->nitems = 0;
    m->size = t->nnodes;
    uint8_t root[MTL_MKNODE_BYTES];
    size_t rlen;
    const uint8_t *rb = root;
    if (t->nleaves == 1)
        rb = node_bytes(t, 0, &rlen);
    else
        MTL_TRY(mtl_mktree_root(t, root, sizeof(root), &rlen));
    MTL_TRY(mk_node_set(&m->root, rb, rlen));
    for (size_t i = 0; i < n; i++) {
        size_t len;
        m->pos[i] = mtl_mktree_leaf_pos(leaf_index[i]);
        const uint8_t *b = node_bytes(t, m->pos[i], &len);
        MTL_TRY(mk_node_set(&m->leaves[i], b, len));
        scratch[i] = m->pos[i];
    }
    mtl_sort(scratch, n, sizeof(*scratch), cmp_u64);
    for (size_t i = 1; i < n; i++)
        MTL_CHECK(scratch[i] != scratch[i - 1], MTL_ERR_INVALID_ARG,
                  "merkle tree: a leaf is asked for twice");
    uint64_t *qpos = scratch + n;
    unsigned *qh = (unsigned *)(qpos + n + 1);
    struct items_out o = {t, m->items, 0};
    mtl_err rc = gen_items(&o, scratch, n, qpos, qh);
    m->nitems = o.n;
    return rc;
}

mtl_err mtl_mktree_prove(struct mtl_mkproof **out, const struct mtl_mktree *t,
                         const uint64_t *leaf_index, size_t n)
{
    MTL_CHECK(out && t && (leaf_index || n == 0), MTL_ERR_INVALID_ARG,
              "merkle tree: NULL argument");
    *out = NULL;
    MTL_CHECK(n > 0, MTL_ERR_INVALID_ARG, "merkle tree: no leaf to prove");
    for (size_t i = 0; i < n; i++)
        MTL_CHECK(leaf_index[i] < t->nleaves, MTL_ERR_INVALID_ARG,
                  "merkle tree: leaf %llu asked, the tree has %llu",
                  (unsigned long long)leaf_index[i], (unsigned long long)t->nleaves);
    struct mtl_mkproof *p = mk_map_new();
    /* sorted positions, the climb queue's positions and heights */
    uint64_t *scratch = mtl_malloc((3 * n + 2) * sizeof(uint64_t));
    mtl_err rc = p && scratch ? fill_proof(p, t, leaf_index, n, scratch)
                              : mtl_seterr(MTL_ERR_NOMEM, "merkle tree: out of memory");
    mtl_free(scratch);
    if (rc != MTL_OK) {
        mtl_mkproof_free(p);
        return rc;
    }
    *out = p;
    return MTL_OK;
}
