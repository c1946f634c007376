/* digest.c - per-file SHA-256 of immutable files hashed by a small pool of
 * threads, the legacy full-DB digest and the v2 Merkle root of a beacon
 * (spec cardano-db.md §2.1-2.3). */
#define _GNU_SOURCE /* posix_fadvise, O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardano_int.h"

#define READ_BLOCK (1u << 20) /* 1 MiB reads: few syscalls, the kernel reads ahead */
#define MAX_THREADS 256u

struct hash_result {
    uint64_t size;    /* bytes hashed */
    uint64_t st_size; /* size at open time */
    int64_t mtime_ns; /* mtime at open time */
};

struct pool {
    const struct mtl_immutable_file *files;
    struct mtl_file_digest *out;
    struct hash_result *res;
    const size_t *todo; /* indices into files/out */
    size_t ntodo;
    size_t next; /* atomic */
    int stop;    /* atomic */
    pthread_mutex_t mu;
    mtl_err err;
    char errmsg[512];
};

/* strerror is not thread-safe; the GNU strerror_r returns the text */
#ifdef __EMSCRIPTEN__
/* musl's strerror_r is POSIX's (an int); the wasm build runs no thread here. */
#define ERRTEXT(e) ((void)errbuf, strerror(e))
#else
#define ERRTEXT(e) strerror_r((e), errbuf, sizeof(errbuf))
#endif

static int64_t mtime_ns_of(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + (int64_t)st->st_mtim.tv_nsec;
}

/* Worker threads cannot use mtl_seterr (its detail is per thread): the first
 * failure is kept here and re-raised by the calling thread. */
static void pool_fail(struct pool *p, mtl_err e, const char *fmt, ...) MTL_PRINTF(3, 4);
static void pool_fail(struct pool *p, mtl_err e, const char *fmt, ...)
{
    pthread_mutex_lock(&p->mu);
    if (p->err == MTL_OK) {
        va_list ap;
        va_start(ap, fmt);
        p->err = e;
        vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
        va_end(ap);
    }
    __atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&p->mu);
}

/* Hash one file; 0 on success, else the failure is recorded in the pool. */
static int hash_one(struct pool *p, EVP_MD_CTX *ctx, uint8_t *buf, size_t k)
{
    const char *path = p->files[k].path;
    char errbuf[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        pool_fail(p, MTL_ERR_IO, "immutable file '%s': cannot open: %s", path, ERRTEXT(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        pool_fail(p, MTL_ERR_IO, "immutable file '%s': cannot stat: %s", path, ERRTEXT(errno));
        close(fd);
        return -1;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        pool_fail(p, MTL_ERR_INTERNAL, "immutable file '%s': SHA-256 init failed", path);
        close(fd);
        return -1;
    }
    uint64_t total = 0;
    for (;;) {
        ssize_t r = read(fd, buf, READ_BLOCK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            pool_fail(p, MTL_ERR_IO, "immutable file '%s': read failed: %s", path, ERRTEXT(errno));
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)r);
        total += (uint64_t)r;
        if (__atomic_load_n(&p->stop, __ATOMIC_RELAXED)) {
            close(fd);
            return -1;
        }
    }
    close(fd);
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
        pool_fail(p, MTL_ERR_INTERNAL, "immutable file '%s': SHA-256 failed", path);
        return -1;
    }
    (void)mtl_hex_encode(p->out[k].digest, MTL_DIGEST_HEX_BYTES, md, 32);
    p->res[k].size = total;
    p->res[k].st_size = (uint64_t)st.st_size;
    p->res[k].mtime_ns = mtime_ns_of(&st);
    return 0;
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    uint8_t *buf = mtl_malloc(READ_BLOCK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!buf || !ctx) {
        pool_fail(p, MTL_ERR_NOMEM, "hashing: out of memory for a read buffer");
        goto out;
    }
    for (;;) {
        if (__atomic_load_n(&p->stop, __ATOMIC_RELAXED))
            break;
        size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (i >= p->ntodo)
            break;
        if (hash_one(p, ctx, buf, p->todo[i]) != 0)
            break;
    }
out:
    EVP_MD_CTX_free(ctx);
    mtl_free(buf);
    return NULL;
}

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : n > (long)MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

/* Hash files[todo[..]] with `threads` threads, the caller being one of them. */
static mtl_err run_pool(struct pool *p, unsigned threads)
{
    if (threads > p->ntodo)
        threads = (unsigned)p->ntodo;
    if (threads == 0)
        return MTL_OK;
    pthread_t tid[MAX_THREADS];
    unsigned started = 0;
    for (unsigned t = 1; t < threads; t++) {
        if (pthread_create(&tid[started], NULL, worker, p) != 0)
            break; /* fewer threads is still correct */
        started++;
    }
    worker(p);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    if (p->err != MTL_OK)
        return mtl_seterr(p->err, "%s", p->errmsg);
    return MTL_OK;
}

void mtl_db_digests_free(struct mtl_db_digests *d)
{
    if (!d)
        return;
    mtl_free(d->files);
    memset(d, 0, sizeof(*d));
}

mtl_err mtl_immutable_files_digest(const struct mtl_immutable_list *list,
                                   const struct mtl_digest_opts *opts, struct mtl_db_digests *out)
{
    MTL_CHECK(list && out, MTL_ERR_INVALID_ARG, "digest: NULL argument");
    memset(out, 0, sizeof(*out));
    struct mtl_digest_cache *cache = opts ? opts->cache : NULL;
    unsigned threads = opts && opts->threads ? opts->threads : online_cpus();
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    size_t n = list->count;
    if (n == 0)
        return MTL_OK;
    mtl_err e = MTL_OK;
    struct pool p = {.files = list->files, .err = MTL_OK};
    size_t *todo = NULL;
    out->files = mtl_calloc(n, sizeof(*out->files));
    p.res = mtl_calloc(n, sizeof(*p.res));
    todo = mtl_calloc(n, sizeof(*todo));
    if (!out->files || !p.res || !todo) {
        e = mtl_seterr(MTL_ERR_NOMEM, "digest: out of memory for %zu files", n);
        goto done;
    }
    out->count = n;
    p.out = out->files;
    p.todo = todo;
    for (size_t i = 0; i < n; i++) {
        const struct mtl_immutable_file *f = &list->files[i];
        struct mtl_file_digest *d = &out->files[i];
        d->number = f->number;
        memcpy(d->name, f->name, sizeof(d->name));
        const char *hit = NULL;
        if (cache) {
            struct stat st;
            if (stat(f->path, &st) != 0) {
                e = mtl_seterr(MTL_ERR_IO, "immutable file '%s': cannot stat: %s", f->path,
                               strerror(errno));
                goto done;
            }
            hit = mtl_digest_cache_lookup(cache, f->name, (uint64_t)st.st_size, mtime_ns_of(&st));
            if (hit) {
                memcpy(d->digest, hit, MTL_DIGEST_HEX_BYTES);
                d->size = (uint64_t)st.st_size;
                out->from_cache++;
            }
        }
        if (!hit)
            todo[p.ntodo++] = i;
    }
    pthread_mutex_init(&p.mu, NULL);
    e = run_pool(&p, threads);
    pthread_mutex_destroy(&p.mu);
    if (e != MTL_OK)
        goto done;
    for (size_t j = 0; j < p.ntodo; j++) {
        size_t k = todo[j];
        out->files[k].size = p.res[k].size;
        /* a file that changed while being read is not cached */
        if (cache && p.res[k].size == p.res[k].st_size) {
            e = mtl_digest_cache_put(cache, out->files[k].name, p.res[k].st_size, p.res[k].mtime_ns,
                                     out->files[k].digest);
            if (e != MTL_OK)
                goto done;
        }
    }
    out->hashed = p.ntodo;
    for (size_t i = 0; i < n; i++)
        out->total_bytes += out->files[i].size;
    if (cache)
        mtl_digest_cache_save(cache);
done:
    mtl_free(todo);
    mtl_free(p.res);
    if (e != MTL_OK)
        mtl_db_digests_free(out);
    return e;
}

static void sha256_hex(const void *data, size_t len, char out[MTL_DIGEST_HEX_BYTES])
{
    uint8_t md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    (void)mtl_hex_encode(out, MTL_DIGEST_HEX_BYTES, md, 32);
}

void mtl_cardano_db_beacon_hash(uint64_t epoch, uint64_t immutable_file_number,
                                char out[MTL_DIGEST_HEX_BYTES])
{
    uint8_t b[16];
    mtl_be64_put(b, epoch);
    mtl_be64_put(b + 8, immutable_file_number);
    sha256_hex(b, sizeof(b), out);
}

void mtl_cardano_db_legacy_beacon_hash(const char *network, uint64_t epoch,
                                       uint64_t immutable_file_number,
                                       char out[MTL_DIGEST_HEX_BYTES])
{
    uint8_t b[16], md[32];
    unsigned int n = 0;
    mtl_be64_put(b, epoch);
    mtl_be64_put(b + 8, immutable_file_number);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, network ? network : "", network ? strlen(network) : 0) == 1 &&
             EVP_DigestUpdate(ctx, b, sizeof(b)) == 1 && EVP_DigestFinal_ex(ctx, md, &n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        memset(md, 0, sizeof(md)); /* only on allocation failure inside OpenSSL */
    (void)mtl_hex_encode(out, MTL_DIGEST_HEX_BYTES, md, 32);
}

void mtl_cardano_database_hash(uint64_t epoch, const char *merkle_root_hex,
                               char out[MTL_DIGEST_HEX_BYTES])
{
    uint8_t b[8], md[32];
    unsigned int n = 0;
    mtl_be64_put(b, epoch);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, b, sizeof(b)) == 1 &&
             EVP_DigestUpdate(ctx, merkle_root_hex, strlen(merkle_root_hex)) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        memset(md, 0, sizeof(md));
    (void)mtl_hex_encode(out, MTL_DIGEST_HEX_BYTES, md, 32);
}

mtl_err mtl_cardano_db_legacy_digest(const char *network, uint64_t epoch,
                                     uint64_t immutable_file_number, const char *const *digests_hex,
                                     size_t n, char out[MTL_DIGEST_HEX_BYTES])
{
    MTL_CHECK(network && out && (digests_hex || n == 0), MTL_ERR_INVALID_ARG,
              "legacy digest: NULL argument");
    char beacon[MTL_DIGEST_HEX_BYTES];
    mtl_cardano_db_legacy_beacon_hash(network, epoch, immutable_file_number, beacon);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    MTL_CHECK(ctx, MTL_ERR_NOMEM, "legacy digest: out of memory");
    /* the hex strings are hashed, not the raw digests (spec §2.2) */
    int ok =
        EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(ctx, beacon, 64) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, digests_hex[i], strlen(digests_hex[i])) == 1;
    uint8_t md[32];
    unsigned int mdlen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
    EVP_MD_CTX_free(ctx);
    MTL_CHECK(ok, MTL_ERR_INTERNAL, "legacy digest: SHA-256 failed");
    return mtl_hex_encode(out, MTL_DIGEST_HEX_BYTES, md, 32);
}

mtl_err mtl_cardano_db_digest(const char *db_dir, uint64_t immutable_file_number,
                              const struct mtl_digest_opts *opts, struct mtl_db_digests *out)
{
    MTL_CHECK(db_dir && out, MTL_ERR_INVALID_ARG, "digest: NULL argument");
    memset(out, 0, sizeof(*out));
    struct mtl_immutable_list all;
    MTL_TRY(mtl_immutable_list_all(db_dir, &all));
    /* sorted by number: the files up to N are a prefix */
    size_t m = 0;
    while (m < all.count && all.files[m].number <= immutable_file_number)
        m++;
    mtl_err e = MTL_OK;
    const char **leaves = NULL;
    if (m == 0 || all.files[m - 1].number < immutable_file_number) {
        char found[32] = "None";
        if (m > 0)
            snprintf(found, sizeof(found), "Some(%llu)",
                     (unsigned long long)all.files[m - 1].number);
        e = mtl_seterr(MTL_ERR_NOT_FOUND,
                       "At least two immutable chunks should exist in directory '%s': expected "
                       "%llu but found %s.",
                       db_dir, (unsigned long long)immutable_file_number, found);
        goto done;
    }
    struct mtl_immutable_list upto = {.files = all.files, .count = m};
    e = mtl_immutable_files_digest(&upto, opts, out);
    if (e != MTL_OK)
        goto done;
    leaves = mtl_calloc(m, sizeof(*leaves));
    if (!leaves) {
        e = mtl_seterr(MTL_ERR_NOMEM, "digest: out of memory");
        goto done;
    }
    for (size_t i = 0; i < m; i++)
        leaves[i] = out->files[i].digest;
    e = mtl_cardano_db_merkle_root(leaves, m, out->merkle_root);
    if (e == MTL_OK && opts && opts->network)
        e = mtl_cardano_db_legacy_digest(opts->network, opts->epoch, immutable_file_number, leaves,
                                         m, out->legacy_digest);
done:
    mtl_free(leaves);
    mtl_immutable_list_free(&all);
    if (e != MTL_OK)
        mtl_db_digests_free(out);
    return e;
}
