/* fuzz_cbor_skip.c - mtl_cbor_skip (an iterative walker with a level
 * stack, the block reader's hot loop) agrees with a plain recursive walker
 * of the same rules on every input: both accept, ending at the same offset,
 * or both refuse. The rules: definite heads of 0..8 argument bytes (28..30
 * reserved); strings within the input; an indefinite string is definite
 * chunks of its own major type up to 0xff; indefinite arrays and maps end
 * at 0xff; a tag holds one item; items nested MTL_CBOR_MAX_DEPTH deep are
 * refused. Input: one CBOR item (seeds: each shape, nested and truncated). */
#include "cardano/cardano_int.h"

/* The head at *pos: its major type and argument (not for info 31). */
static int ref_head(const uint8_t *p, size_t len, size_t *pos, unsigned *major, uint64_t *v)
{
    if (*pos >= len)
        return -1;
    unsigned info = p[*pos] & 31u;
    *major = p[(*pos)++] >> 5;
    if (info < 24) {
        *v = info;
        return 0;
    }
    if (info > 27 || len - *pos < ((size_t)1 << (info - 24)))
        return -1;
    *v = 0;
    for (size_t k = 0; k < ((size_t)1 << (info - 24)); k++)
        *v = *v << 8 | p[(*pos)++];
    return 0;
}

static int ref_skip(const uint8_t *p, size_t len, size_t *pos, unsigned depth)
{
    if (depth >= MTL_CBOR_MAX_DEPTH || *pos >= len)
        return -1;
    unsigned major = p[*pos] >> 5;
    uint64_t v;
    if ((p[*pos] & 31u) == 31) {
        if (major < 2 || major > 5)
            return -1; /* a break or an indefinite integer/tag is no item */
        (*pos)++;
        for (;;) { /* until the break: chunks of a string, or items */
            if (*pos >= len)
                return -1;
            if (p[*pos] == 0xff) {
                (*pos)++;
                return 0;
            }
            unsigned m;
            if (major == 2 || major == 3) {
                if (ref_head(p, len, pos, &m, &v) || m != major || v > len - *pos)
                    return -1;
                *pos += (size_t)v;
            } else if (ref_skip(p, len, pos, depth + 1) ||
                       (major == 5 && ref_skip(p, len, pos, depth + 1)))
                return -1;
        }
    }
    if (ref_head(p, len, pos, &major, &v))
        return -1;
    if (major == 2 || major == 3) {
        if (v > len - *pos)
            return -1;
        *pos += (size_t)v;
    }
    if (major == 4 || major == 5) {
        if (v > len - *pos) /* every item takes a byte */
            return -1;
        for (uint64_t k = 0; k < (major == 5 ? 2 * v : v); k++)
            if (ref_skip(p, len, pos, depth + 1))
                return -1;
    }
    if (major == 6)
        return ref_skip(p, len, pos, depth + 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t fast = 0, slow = 0;
    mtl_err rc = mtl_cbor_skip(data, size, &fast, "fuzz");
    int ref = ref_skip(data, size, &slow, 0);
    MTL_ASSERT((rc == MTL_OK) == (ref == 0));
    MTL_ASSERT(rc != MTL_OK || (fast == slow && fast <= size));
    MTL_ASSERT(rc == MTL_OK || rc == MTL_ERR_BAD_ENCODING);
    return 0;
}
