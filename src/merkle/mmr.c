/* mmr.c - Merkle Mountain Range arithmetic, node merging, peak bagging and
 * the verification of one MKProof: ckb-merkle-mountain-range 0.6.1's
 * MerkleProof::verify (spec transactions.md §6), refusing what an honest
 * gen_proof never writes (duplicate positions, unused items, sizes no tree
 * has), so a leaf listed is a leaf the root authenticates. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "merkle_int.h"

unsigned mk_pos_height(uint64_t pos)
{
    uint64_t p = pos + 1; /* pos < 2^62: no wrap */
    while ((p & (p + 1)) != 0) {
        unsigned bits = 64u - (unsigned)__builtin_clzll(p);
        p -= ((uint64_t)1 << (bits - 1)) - 1; /* jump to the left subtree's twin */
    }
    return 64u - (unsigned)__builtin_clzll(p) - 1;
}

/* Greedy split into full trees of 2^(h+1)-1 nodes, largest first, each height
 * once; *rest receives what no tree covers (0 for a real tree size). */
static size_t split_peaks(uint64_t size, uint64_t out[MK_MAX_PEAKS], uint64_t *rest)
{
    size_t n = 0;
    uint64_t base = 0;
    for (int h = 61; h >= 0; h--) {
        uint64_t t = ((uint64_t)2 << h) - 1;
        if (t <= size) {
            out[n++] = base + t - 1;
            base += t;
            size -= t;
        }
    }
    *rest = size;
    return n;
}

size_t mk_peaks(uint64_t size, uint64_t out[MK_MAX_PEAKS])
{
    uint64_t rest;
    return split_peaks(size, out, &rest);
}

bool mk_size_valid(uint64_t size)
{
    uint64_t peaks[MK_MAX_PEAKS], rest;
    if (size == 0 || size > MK_MAX_SIZE)
        return false;
    split_peaks(size, peaks, &rest);
    return rest == 0;
}

uint64_t mtl_mktree_size_of(uint64_t leaves)
{
    return 2 * leaves - (uint64_t)__builtin_popcountll(leaves);
}

uint64_t mtl_mktree_leaf_pos(uint64_t leaf_index)
{
    uint64_t k = leaf_index + 1;
    return mtl_mktree_size_of(k) - (uint64_t)__builtin_ctzll(k) - 1;
}

/* Fetched once: an implicit fetch at every EVP_DigestInit_ex takes the
 * provider store's lock, which dominated proof verification. */
static EVP_MD *blake2s;
static pthread_once_t blake2s_once = PTHREAD_ONCE_INIT;

static void fetch_blake2s(void)
{
    blake2s = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
}

mtl_err mk_merge(EVP_MD_CTX *ctx, uint8_t out[MTL_MKNODE_BYTES], const uint8_t *l, size_t llen,
                 const uint8_t *r, size_t rlen)
{
    unsigned int n = 0;
    pthread_once(&blake2s_once, fetch_blake2s);
    int ok = blake2s && EVP_DigestInit_ex2(ctx, blake2s, NULL) == 1 &&
             EVP_DigestUpdate(ctx, l, llen) == 1 && EVP_DigestUpdate(ctx, r, rlen) == 1 &&
             EVP_DigestFinal_ex(ctx, out, &n) == 1;
    MTL_CHECK(ok && n == MTL_MKNODE_BYTES, MTL_ERR_INTERNAL, "BLAKE2s-256 failed");
    return MTL_OK;
}

mtl_err mk_bag(EVP_MD_CTX *ctx, const struct mk_ref *peaks, size_t n, uint8_t out[MTL_MKNODE_BYTES],
               struct mk_ref *root)
{
    MTL_CHECK(n > 0, MTL_ERR_INTERNAL, "bagging no peak");
    if (n == 1) {
        *root = peaks[0];
        return MTL_OK;
    }
    /* the right-hand accumulator comes first in each merge */
    MTL_TRY(mk_merge(ctx, out, peaks[n - 1].p, peaks[n - 1].len, peaks[n - 2].p, peaks[n - 2].len));
    for (size_t i = n - 2; i-- > 0;)
        MTL_TRY(mk_merge(ctx, out, out, MTL_MKNODE_BYTES, peaks[i].p, peaks[i].len));
    root->p = out;
    root->len = MTL_MKNODE_BYTES;
    return MTL_OK;
}

/* One entry of the climb: a listed leaf (borrowed) or a computed parent. */
struct qent {
    uint64_t pos;
    unsigned h;
    const uint8_t *p; /* NULL: the node is own */
    size_t len;
    uint8_t own[MTL_MKNODE_BYTES];
};

static struct mk_ref qref(const struct qent *e)
{
    struct mk_ref r = {e->p ? e->p : e->own, e->p ? e->len : MTL_MKNODE_BYTES};
    return r;
}

struct items {
    const struct mk_proof *p;
    size_t next;
    const char *what;
};

static mtl_err next_item(struct items *it, struct mk_ref *out)
{
    MTL_CHECK(it->next < it->p->nitems, MTL_ERR_VERIFY_FAIL, "%s: proof items run out", it->what);
    out->p = it->p->items[it->next].b;
    out->len = it->p->items[it->next].len;
    it->next++;
    return MTL_OK;
}

/* Climb from the sorted leaves idx[0..n) under peak to the peak's root
 * (ckb's calculate_peak_root); q has room for n + 1 entries. */
static mtl_err climb(EVP_MD_CTX *ctx, const struct mk_proof *p, const size_t *idx, size_t n,
                     uint64_t peak, struct items *it, struct qent *q, struct qent *root)
{
    size_t cap = n + 1, head = 0, count = 0;
    for (size_t i = 0; i < n; i++) {
        q[i] = (struct qent){
            .pos = p->pos[idx[i]], .p = p->leaves[idx[i]].b, .len = p->leaves[idx[i]].len};
        count++;
    }
    while (count > 0) {
        struct qent cur = q[head];
        head = (head + 1) % cap;
        count--;
        if (cur.pos == peak) {
            MTL_CHECK(count == 0, MTL_ERR_VERIFY_FAIL, "%s: leaves left over at peak %llu",
                      it->what, (unsigned long long)peak);
            *root = cur;
            return MTL_OK;
        }
        uint64_t off = ((uint64_t)2 << cur.h) - 1;
        bool right = mk_pos_height(cur.pos + 1) > cur.h;
        uint64_t sib = right ? cur.pos - off : cur.pos + off;
        uint64_t parent = right ? cur.pos + 1 : cur.pos + off + 1;
        struct mk_ref s = {0}, me = qref(&cur);
        if (count > 0 && q[head].pos == sib) {
            s = qref(&q[head]);
            head = (head + 1) % cap;
            count--;
            /* s may point into the slot just freed: use it before any push */
        } else {
            MTL_TRY(next_item(it, &s));
        }
        MTL_CHECK(parent <= peak, MTL_ERR_VERIFY_FAIL, "%s: climb from %llu passes peak %llu",
                  it->what, (unsigned long long)cur.pos, (unsigned long long)peak);
        struct qent up = {.pos = parent, .h = cur.h + 1};
        if (right)
            MTL_TRY(mk_merge(ctx, up.own, s.p, s.len, me.p, me.len));
        else
            MTL_TRY(mk_merge(ctx, up.own, me.p, me.len, s.p, s.len));
        q[(head + count) % cap] = up;
        count++;
    }
    return mtl_seterr(MTL_ERR_VERIFY_FAIL, "%s: no node reaches peak %llu", it->what,
                      (unsigned long long)peak);
}

struct sorted {
    uint64_t pos;
    size_t i;
};

static int cmp_sorted(const void *a, const void *b)
{
    const struct sorted *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

static mtl_err check_shape(const struct mk_proof *p, const char *what)
{
    MTL_CHECK(p->nleaves > 0, MTL_ERR_VERIFY_FAIL, "%s: lists no leaf", what);
    MTL_CHECK(mk_size_valid(p->size), MTL_ERR_VERIFY_FAIL, "%s: no tree has %llu nodes", what,
              (unsigned long long)p->size);
    for (size_t i = 0; i < p->nleaves; i++)
        MTL_CHECK(p->pos[i] < p->size && mk_pos_height(p->pos[i]) == 0, MTL_ERR_VERIFY_FAIL,
                  "%s: position %llu is not a leaf of a %llu-node tree", what,
                  (unsigned long long)p->pos[i], (unsigned long long)p->size);
    return MTL_OK;
}

/* Peak roots of the proof (spec §6 steps 3-5, honest item layout only). */
static mtl_err peak_roots(EVP_MD_CTX *ctx, const struct mk_proof *p, const struct sorted *s,
                          const char *what, size_t *idx, struct qent *q, struct qent *roots,
                          size_t *nroots)
{
    uint64_t peaks[MK_MAX_PEAKS];
    size_t npeaks = mk_peaks(p->size, peaks), next = 0, last = 0, n = 0;
    struct items it = {p, 0, what};
    while (peaks[last] < s[p->nleaves - 1].pos) /* the peak over the rightmost leaf */
        last++;
    for (size_t k = 0; k <= last; k++) {
        size_t m = 0;
        while (next < p->nleaves && s[next].pos <= peaks[k])
            idx[m++] = s[next++].i;
        struct qent *r = &roots[n++];
        if (m == 0) {
            struct mk_ref item = {0};
            MTL_TRY(next_item(&it, &item));
            *r = (struct qent){.p = item.p, .len = item.len};
        } else {
            MTL_TRY(climb(ctx, p, idx, m, peaks[k], &it, q, r));
        }
    }
    if (last + 1 < npeaks) { /* the peaks right of the last proven one: one bagged item */
        struct mk_ref item = {0};
        MTL_TRY(next_item(&it, &item));
        roots[n++] = (struct qent){.p = item.p, .len = item.len};
    }
    MTL_CHECK(it.next == p->nitems, MTL_ERR_VERIFY_FAIL, "%s: %zu proof items nothing uses", what,
              p->nitems - it.next);
    *nroots = n;
    return MTL_OK;
}

mtl_err mk_proof_verify(EVP_MD_CTX *ctx, const struct mk_proof *p, const char *what)
{
    MTL_TRY(check_shape(p, what));
    struct mk_ref computed;
    uint8_t bag[MTL_MKNODE_BYTES];
    mtl_err rc = MTL_OK;
    struct sorted *s = NULL;
    size_t *idx = NULL;
    struct qent *q = NULL, roots[MK_MAX_PEAKS + 1];
    struct mk_ref refs[MK_MAX_PEAKS + 1];
    size_t nroots = 0;
    if (p->size == 1) {
        /* every position is 0 here: a second leaf is the forgery of spec §8 */
        MTL_CHECK(p->nleaves == 1, MTL_ERR_VERIFY_FAIL, "%s: position 0 listed twice", what);
        MTL_CHECK(p->nitems == 0, MTL_ERR_VERIFY_FAIL, "%s: %zu proof items nothing uses", what,
                  p->nitems);
        computed.p = p->leaves[0].b;
        computed.len = p->leaves[0].len;
        goto compare;
    }
    s = mtl_malloc(p->nleaves * sizeof(*s));
    idx = mtl_malloc(p->nleaves * sizeof(*idx));
    q = mtl_malloc((p->nleaves + 1) * sizeof(*q));
    if (!s || !idx || !q) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "%s: out of memory", what);
        goto out;
    }
    for (size_t i = 0; i < p->nleaves; i++)
        s[i] = (struct sorted){p->pos[i], i};
    mtl_sort(s, p->nleaves, sizeof(*s), cmp_sorted);
    for (size_t i = 1; i < p->nleaves; i++)
        if (s[i].pos == s[i - 1].pos) {
            /* ckb keeps the first and drops the rest unchecked: the forgery of spec §8 */
            rc = mtl_seterr(MTL_ERR_VERIFY_FAIL, "%s: position %llu listed twice", what,
                            (unsigned long long)s[i].pos);
            goto out;
        }
    rc = peak_roots(ctx, p, s, what, idx, q, roots, &nroots);
    if (rc != MTL_OK)
        goto out;
    for (size_t i = 0; i < nroots; i++)
        refs[i] = qref(&roots[i]);
    rc = mk_bag(ctx, refs, nroots, bag, &computed);
    if (rc != MTL_OK)
        goto out;
compare:
    if (computed.len != p->root.len || memcmp(computed.p, p->root.b, computed.len) != 0)
        rc = mtl_seterr(MTL_ERR_VERIFY_FAIL, "%s: its leaves and items do not give its root", what);
out:
    mtl_free(q);
    mtl_free(idx);
    mtl_free(s);
    return rc;
}
