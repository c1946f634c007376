/* mkindex.c - the leaves a map proof lists, sorted once, so that checking
 * that it lists each of n items costs n binary searches instead of n scans
 * of every listed leaf: a hostile message listing 100 000 leaves for as
 * many items would otherwise cost 10^10 comparisons. */
#include <stdlib.h>
#include <string.h>

#include "merkle_int.h"

static int node_cmp(const void *a, const void *b)
{
    const struct mk_node *x = *(const struct mk_node *const *)a,
                         *y = *(const struct mk_node *const *)b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->b, y->b, x->len);
}

static size_t count_leaves(const struct mtl_mkproof *p, int subs)
{
    size_t n = p->master.nleaves;
    for (size_t i = 0; subs && i < p->nsub; i++)
        n += count_leaves(p->subs[i].proof, subs);
    return n;
}

static void collect(const struct mtl_mkproof *p, int subs, const struct mk_node **v, size_t *n)
{
    for (size_t i = 0; i < p->master.nleaves; i++)
        v[(*n)++] = &p->master.leaves[i];
    for (size_t i = 0; subs && i < p->nsub; i++)
        collect(p->subs[i].proof, subs, v, n);
}

mtl_err mk_index_build(struct mk_index *ix, const struct mtl_mkproof *p, int subs)
{
    ix->n = count_leaves(p, subs);
    ix->v = mtl_malloc(ix->n * sizeof(*ix->v));
    MTL_CHECK(ix->v, MTL_ERR_NOMEM, "merkle proof: out of memory");
    size_t n = 0;
    collect(p, subs, ix->v, &n);
    mtl_sort(ix->v, n, sizeof(*ix->v), node_cmp);
    return MTL_OK;
}

bool mk_index_has(const struct mk_index *ix, const void *leaf, size_t len)
{
    const struct mk_node key = {(uint8_t *)(uintptr_t)leaf, len}, *kp = &key;
    return ix->n && bsearch(&kp, ix->v, ix->n, sizeof(*ix->v), node_cmp) != NULL;
}

void mk_index_free(struct mk_index *ix)
{
    mtl_free(ix->v);
    ix->v = NULL;
    ix->n = 0;
}
