/* client_pipe.c - the hand-off between a transfer thread and an unpacking
 * thread: zstd bodies are decompressed straight from libcurl's buffer into
 * a small ring of large buffers (other bodies, e.g. gzip, are copied as they
 * are); libarchive reads the ring slots in place (zero copy). The two
 * threads overlap decompression with hashing and writing; the ring bounds
 * the memory in flight. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "client_transport.h"

#define RING_SLOTS 4u              /* decompressed buffers in flight */
#define RING_BYTES (1024u * 1024u) /* each: large writes, few hand-offs */

/* The producer fills slot prod % N; the consumer hands slots to libarchive
 * in order; a slot is reused only after the consumer has asked for the next
 * one (libarchive's buffer lifetime). */
struct ring {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *buf[RING_SLOTS];
    size_t len[RING_SLOTS];
    uint64_t prod, cons, released; /* slots filled, handed out, given back */
    size_t fill;                   /* bytes in the slot being filled */
    int eof;                       /* producer: no more data */
    int closed;                    /* consumer: stopped reading */
};

struct client_pipe {
    struct ring r;
    int broken;
    int kind;         /* 0: not yet known, 1: zstd (decoded here), 2: raw */
    uint8_t magic[4]; /* first bytes, to tell zstd from the rest */
    size_t nmagic;
    ZSTD_DCtx *z;
    size_t zlast; /* last ZSTD_decompressStream result: 0 = frame complete */
    char zerr[200];
};

mtl_err client_pipe_new(struct client_pipe **out)
{
    struct client_pipe *p = mtl_calloc(1, sizeof(*p));
    MTL_CHECK(p, MTL_ERR_NOMEM, "restore: out of memory for buffers");
    for (unsigned i = 0; i < RING_SLOTS; i++)
        if (!(p->r.buf[i] = mtl_malloc(RING_BYTES))) {
            for (unsigned j = 0; j < i; j++)
                mtl_free(p->r.buf[j]);
            mtl_free(p);
            return mtl_seterr(MTL_ERR_NOMEM, "restore: out of memory for buffers");
        }
    pthread_mutex_init(&p->r.mu, NULL);
    pthread_cond_init(&p->r.cv, NULL);
    *out = p;
    return MTL_OK;
}

void client_pipe_free(struct client_pipe *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < RING_SLOTS; i++)
        mtl_free(p->r.buf[i]);
    pthread_mutex_destroy(&p->r.mu);
    pthread_cond_destroy(&p->r.cv);
    ZSTD_freeDCtx(p->z);
    mtl_free(p);
}

/* Producer: the free space of the current slot (waits for one); NULL once the
 * consumer has stopped. */
static uint8_t *ring_space(struct ring *r, size_t *cap)
{
    pthread_mutex_lock(&r->mu);
    while (!r->closed && r->prod - r->released >= RING_SLOTS)
        pthread_cond_wait(&r->cv, &r->mu);
    int closed = r->closed;
    pthread_mutex_unlock(&r->mu);
    if (closed)
        return NULL;
    *cap = RING_BYTES - r->fill;
    return r->buf[r->prod % RING_SLOTS] + r->fill;
}

/* Producer: publish the current slot (when full, or at the end). */
static void ring_publish(struct ring *r, int eof)
{
    pthread_mutex_lock(&r->mu);
    if (r->fill > 0 && r->prod - r->released < RING_SLOTS) {
        r->len[r->prod % RING_SLOTS] = r->fill;
        r->prod++;
        r->fill = 0;
    }
    if (eof)
        r->eof = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Producer: copy raw bytes in. 0 if the consumer quit. */
static int ring_put(struct ring *r, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t cap;
        uint8_t *dst = ring_space(r, &cap);
        if (!dst)
            return 0;
        size_t k = n < cap ? n : cap;
        memcpy(dst, p, k);
        r->fill += k;
        p += k;
        n -= k;
        if (r->fill == RING_BYTES)
            ring_publish(r, 0);
    }
    return 1;
}

ssize_t client_pipe_read(void *pipe, const void **out)
{
    struct ring *r = &((struct client_pipe *)pipe)->r;
    pthread_mutex_lock(&r->mu);
    if (r->released < r->cons) { /* libarchive is done with the previous slot */
        r->released = r->cons;
        pthread_cond_broadcast(&r->cv);
    }
    while (r->cons == r->prod && !r->eof)
        pthread_cond_wait(&r->cv, &r->mu);
    ssize_t n = 0;
    if (r->cons < r->prod) {
        *out = r->buf[r->cons % RING_SLOTS];
        n = (ssize_t)r->len[r->cons % RING_SLOTS];
        r->cons++;
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

void client_pipe_close(struct client_pipe *p)
{
    struct ring *r = &p->r;
    pthread_mutex_lock(&r->mu);
    r->closed = 1;
    r->released = r->cons;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void client_pipe_drain(struct client_pipe *p)
{
    struct ring *r = &p->r;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        r->cons = r->released = r->prod;
        pthread_cond_broadcast(&r->cv);
        if (r->eof || r->closed)
            break;
        pthread_cond_wait(&r->cv, &r->mu);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Decode (zstd) or pass (raw) len bytes into the ring; 0 on failure. */
static int feed(struct client_pipe *x, const uint8_t *p, size_t len)
{
    struct ring *r = &x->r;
    if (x->kind == 2)
        return ring_put(r, p, len);
    ZSTD_inBuffer in = {p, len, 0};
    int full = 0; /* output filled: the decoder may hold more even with no input left */
    while (in.pos < in.size || full) {
        size_t cap;
        uint8_t *dst = ring_space(r, &cap);
        if (!dst)
            return 0;
        ZSTD_outBuffer out = {dst, cap, 0};
        size_t ret = ZSTD_decompressStream(x->z, &out, &in);
        if (ZSTD_isError(ret)) {
            snprintf(x->zerr, sizeof(x->zerr), "zstd: %s", ZSTD_getErrorName(ret));
            return 0;
        }
        x->zlast = ret;
        full = out.pos == out.size;
        r->fill += out.pos;
        if (r->fill == RING_BYTES)
            ring_publish(r, 0);
    }
    return 1;
}

/* Sniff the zstd frame magic 28 b5 2f fd from the first 4 bytes. */
static int sniff(struct client_pipe *x, const uint8_t **b, size_t *len)
{
    size_t k = *len < 4 - x->nmagic ? *len : 4 - x->nmagic;
    memcpy(x->magic + x->nmagic, *b, k);
    x->nmagic += k;
    *b += k;
    *len -= k;
    if (x->nmagic < 4)
        return 1;
    static const uint8_t zmagic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    x->kind = memcmp(x->magic, zmagic, 4) == 0 ? 1 : 2;
    if (x->kind == 1 && !(x->z = ZSTD_createDCtx())) {
        snprintf(x->zerr, sizeof(x->zerr), "zstd: out of memory");
        return 0;
    }
    return feed(x, x->magic, 4);
}

int client_pipe_write(void *pipe, const uint8_t *b, size_t len)
{
    struct client_pipe *x = pipe;
    if (x->broken)
        return 1;
    if (x->kind == 0 && !sniff(x, &b, &len)) {
        x->broken = 1;
        return 1;
    }
    if (len > 0 && !feed(x, b, len)) {
        x->broken = 1; /* the unpacker stopped (its error is the one to report) or bad zstd */
        return 1;
    }
    return 0;
}

mtl_err client_pipe_finish(struct client_pipe *x, int transfer_ok)
{
    /* a complete transfer must end a zstd frame: else the body was cut */
    if (transfer_ok && !x->broken && x->kind == 1 && x->zlast != 0) {
        snprintf(x->zerr, sizeof(x->zerr), "zstd: truncated stream");
        x->broken = 1;
    }
    if (x->zerr[0])
        client_pipe_close(x); /* do not let the unpacker judge a partial stream */
    /* a tiny body: the sniffed bytes are all there is */
    if (!x->broken && x->kind == 0 && x->nmagic > 0) {
        x->kind = 2;
        if (!feed(x, x->magic, x->nmagic))
            x->broken = 1;
    }
    ring_publish(&x->r, 1);
    MTL_CHECK(!x->zerr[0], MTL_ERR_BAD_ENCODING, "%s", x->zerr);
    return MTL_OK;
}
