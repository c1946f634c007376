/* client_restore.c - parallel streaming restore of immutable archives.
 * Per archive: a worker thread runs the HTTP transfer and, for zstd bodies,
 * decompresses straight from libcurl's buffer into a small ring of large
 * buffers (other bodies, e.g. gzip, are passed as they are); an unpacking
 * thread reads the ring through libarchive (tar, zero-copy blocks), writes
 * each entry to "<name>.part" while hashing it, compares with the certified
 * digest, then renames it. The two threads overlap decompression with
 * hashing and writing; the ring bounds the memory in flight; nothing but the
 * restored files touches the disk. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "client_restore.h"
#include "common/common_int.h"

#define IO_BLOCK (256u * 1024u)
#define RING_SLOTS 4u            /* decompressed buffers in flight per archive */
#define RING_BYTES (1024u * 1024u) /* each: large writes, few hand-offs */
#define CURL_BUF (512L * 1024L)  /* fewer, larger receives */

/* Hand-off of decompressed (or raw) body bytes from the transfer thread to
 * the unpacking thread: the producer fills slot prod % N, the consumer
 * returns slots to libarchive in order; a slot is reused only after the
 * consumer has asked for the next one (libarchive's buffer lifetime). */
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

const struct restore_digest *restore_digest_find(const struct restore_digest *d, size_t n,
                                                 const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(d[mid].name, name);
        if (c == 0)
            return &d[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A relative path with no empty, "." or ".." component. */
int restore_safe_relpath(const char *p)
{
    if (!*p || *p == '/' || strlen(p) > 1024)
        return 0;
    for (const char *c = p; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        c += n + (e ? 1 : 0);
    }
    return 1;
}

mtl_err restore_sha256_file(const char *path, char hex[65])
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return mtl_seterr(errno == ENOENT ? MTL_ERR_NOT_FOUND : MTL_ERR_IO, "open %s: %s", path,
                          strerror(errno));
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    mtl_err e = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1
                    ? MTL_OK
                    : mtl_seterr(MTL_ERR_NOMEM, "sha256 context");
    uint8_t *buf = e == MTL_OK ? mtl_malloc(IO_BLOCK) : NULL;
    if (e == MTL_OK && !buf)
        e = mtl_seterr(MTL_ERR_NOMEM, "sha256 buffer");
    ssize_t n = 0;
    while (e == MTL_OK && (n = read(fd, buf, IO_BLOCK)) > 0)
        EVP_DigestUpdate(c, buf, (size_t)n);
    if (e == MTL_OK && n < 0)
        e = mtl_seterr(MTL_ERR_IO, "read %s: %s", path, strerror(errno));
    close(fd);
    if (e == MTL_OK) {
        uint8_t md[32];
        unsigned int l = 0;
        EVP_DigestFinal_ex(c, md, &l);
        e = mtl_hex_encode(hex, 65, md, 32);
    }
    EVP_MD_CTX_free(c);
    mtl_free(buf);
    return e;
}

struct shared {
    const struct restore_opts *o;
    pthread_mutex_t mu;
    uint64_t *todo;
    size_t ntodo, next;
    volatile int abort;
    mtl_err err;
    char msg[1024];
    struct restore_stats *st;
    uint64_t total_archives;
    struct timespec t0;
    int resume; /* O_APPEND fd of the resume record, -1 = none */
    uint64_t declared; /* bytes the entries seen so far declare (atomic) */
};

struct task {
    struct shared *sh;
    uint64_t num;
    struct ring *ring;
    mtl_err err; /* unpacking side */
    char msg[768];
    uint64_t files, bytes;
};

static mtl_err ring_init(struct ring *r)
{
    memset(r, 0, sizeof(*r));
    for (unsigned i = 0; i < RING_SLOTS; i++)
        if (!(r->buf[i] = mtl_malloc(RING_BYTES))) {
            for (unsigned j = 0; j < i; j++)
                mtl_free(r->buf[j]);
            return mtl_seterr(MTL_ERR_NOMEM, "restore: out of memory for buffers");
        }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    return MTL_OK;
}

static void ring_destroy(struct ring *r)
{
    for (unsigned i = 0; i < RING_SLOTS; i++)
        mtl_free(r->buf[i]);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
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

/* Producer: copy raw bytes in (bodies that are not zstd). 0 if the consumer quit. */
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

/* libarchive read callback (consumer). */
static la_ssize_t ring_read(struct archive *a, void *ud, const void **out)
{
    (void)a;
    struct ring *r = ((struct task *)ud)->ring;
    pthread_mutex_lock(&r->mu);
    if (r->released < r->cons) { /* libarchive is done with the previous slot */
        r->released = r->cons;
        pthread_cond_broadcast(&r->cv);
    }
    while (r->cons == r->prod && !r->eof)
        pthread_cond_wait(&r->cv, &r->mu);
    la_ssize_t n = 0;
    if (r->cons < r->prod) {
        *out = r->buf[r->cons % RING_SLOTS];
        n = (la_ssize_t)r->len[r->cons % RING_SLOTS];
        r->cons++;
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Consumer: stop reading; the producer's next write fails. */
static void ring_close(struct ring *r)
{
    pthread_mutex_lock(&r->mu);
    r->closed = 1;
    r->released = r->cons;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Consumer, after the tar's end: discard what the transfer still sends
 * (padding after the end-of-archive blocks) so that it completes. */
static void ring_drain(struct ring *r)
{
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

static void fail_task(struct task *t, mtl_err e)
{
    t->err = e;
    snprintf(t->msg, sizeof(t->msg), "%s", mtl_err_detail());
}

/* The only accepted entry names: immutable/<NNNNN>.{chunk,primary,secondary}
 * for this archive's number. Anything else (absolute paths, "..", links,
 * other numbers) is refused, which also rules out path traversal. */
static mtl_err check_entry(const struct task *t, struct archive_entry *e, char name[32])
{
    const char *p = archive_entry_pathname(e);
    if (!p)
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "archive %05llu: entry without a name",
                          (unsigned long long)t->num);
    if (p[0] == '.' && p[1] == '/')
        p += 2;
    char want[3][32];
    static const char *ext[] = {"chunk", "primary", "secondary"};
    for (int i = 0; i < 3; i++) {
        snprintf(want[i], sizeof(want[i]), "%05llu.%s", (unsigned long long)t->num, ext[i]);
        if (strncmp(p, "immutable/", 10) == 0 && strcmp(p + 10, want[i]) == 0) {
            if (archive_entry_filetype(e) != AE_IFREG)
                return mtl_seterr(MTL_ERR_BAD_ENCODING,
                                  "archive %05llu: entry %s is not a "
                                  "regular file",
                                  (unsigned long long)t->num, p);
            memcpy(name, want[i], strlen(want[i]) + 1);
            return MTL_OK;
        }
    }
    return mtl_seterr(MTL_ERR_BAD_ENCODING,
                      "archive %05llu: unexpected entry '%.200s' (only immutable/%05llu.* allowed)",
                      (unsigned long long)t->num, p, (unsigned long long)t->num);
}

mtl_err restore_write_entry(struct archive *a, int fd, const char *path, const char *label,
                            char hex[65], uint64_t *bytes)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    mtl_err e = h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1
                    ? MTL_OK
                    : mtl_seterr(MTL_ERR_NOMEM, "sha256 context");
    uint64_t total = 0;
    while (e == MTL_OK) {
        const void *blk;
        size_t n;
        la_int64_t off;
        int r = archive_read_data_block(a, &blk, &n, &off); /* no copy */
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK)
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s is corrupt: %s", label,
                           archive_error_string(a));
        else if (off != (la_int64_t)total)
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: sparse entries are not supported", label);
        else if ((e = mtl_write_all(fd, blk, n, path)) == MTL_OK) {
            EVP_DigestUpdate(h, blk, n);
            total += (uint64_t)n;
        }
    }
    if (close(fd) != 0 && e == MTL_OK)
        e = mtl_seterr(MTL_ERR_IO, "close %s: %s", path, strerror(errno));
    if (e == MTL_OK) {
        uint8_t md[32];
        unsigned int l = 0;
        EVP_DigestFinal_ex(h, md, &l);
        mtl_hex_encode(hex, 65, md, 32);
        *bytes = total;
    }
    EVP_MD_CTX_free(h);
    return e;
}

/* Stream one entry to <db>/immutable/<name>.part, hash it, check, rename.
 * Its declared size is bounded first (tar headers come before the data, and
 * libarchive never returns more than they declare), so a small archive
 * cannot fill the disk beyond what the snapshot announces. */
static mtl_err extract_entry(struct task *t, struct archive *a, struct archive_entry *ent,
                             const char *name)
{
    const struct restore_opts *o = t->sh->o;
    const struct restore_digest *cert = restore_digest_find(o->digests, o->ndigests, name);
    MTL_CHECK(cert, MTL_ERR_INTEGRITY, "immutable file %s: not in the certified digests", name);
    MTL_CHECK(archive_entry_size_is_set(ent) && archive_entry_size(ent) >= 0, MTL_ERR_BAD_ENCODING,
              "immutable file %s: archive %05llu does not declare its size", name,
              (unsigned long long)t->num);
    uint64_t size = (uint64_t)archive_entry_size(ent);
    uint64_t declared = __atomic_add_fetch(&t->sh->declared, size, __ATOMIC_RELAXED);
    MTL_CHECK(!o->max_bytes || declared <= o->max_bytes, MTL_ERR_TOO_BIG,
              "immutable file %s: archive %05llu declares %llu bytes, beyond the %llu bytes the "
              "snapshot announces for its whole database (archive bomb?)",
              name, (unsigned long long)t->num, (unsigned long long)size,
              (unsigned long long)o->max_bytes);
    char path[4200], part[4210];
    MTL_TRY(mtl_path_fmt(path, sizeof(path), "%s/immutable/%s", o->db_dir, name));
    MTL_TRY(mtl_path_fmt(part, sizeof(part), "%s.part", path));
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    MTL_CHECK(fd >= 0, MTL_ERR_IO, "open %s: %s", part, strerror(errno));
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    char label[64], hex[65];
    snprintf(label, sizeof(label), "immutable file %s: archive %05llu", name,
             (unsigned long long)t->num);
    uint64_t total = 0;
    mtl_err e = restore_write_entry(a, fd, part, label, hex, &total);
    if (e == MTL_OK) {
        if (strcmp(hex, cert->digest) != 0)
            e = mtl_seterr(MTL_ERR_INTEGRITY,
                           "immutable file %s: SHA-256 %s differs from the certified %s", name, hex,
                           cert->digest);
        else if (rename(part, path) != 0)
            e = mtl_seterr(MTL_ERR_IO, "rename %s: %s", part, strerror(errno));
        else if (o->verified)
            o->verified[cert - o->digests] = 1;
    }
    if (e != MTL_OK)
        unlink(part);
    else {
        t->files++;
        t->bytes += total;
    }
    return e;
}

static void *unpack_thread(void *arg)
{
    struct task *t = arg;
    const struct restore_opts *o = t->sh->o;
    struct archive *a = archive_read_new();
    int seen = 0;
    if (!a) {
        fail_task(t, mtl_seterr(MTL_ERR_NOMEM, "archive %05llu: out of memory",
                                (unsigned long long)t->num));
        goto out;
    }
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open(a, t, NULL, ring_read, NULL) != ARCHIVE_OK) {
        fail_task(t, mtl_seterr(MTL_ERR_BAD_ENCODING, "archive %05llu: %s",
                                (unsigned long long)t->num, archive_error_string(a)));
        goto out;
    }
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {
            fail_task(t, mtl_seterr(MTL_ERR_BAD_ENCODING, "archive %05llu is corrupt: %s",
                                    (unsigned long long)t->num, archive_error_string(a)));
            goto out;
        }
        char name[32];
        mtl_err rc = check_entry(t, e, name);
        if (rc == MTL_OK)
            rc = extract_entry(t, a, e, name);
        if (rc != MTL_OK) {
            fail_task(t, rc);
            goto out;
        }
        seen++;
    }
    /* every certified file of this number must have come out of the archive
     * (a file of that name already in the target does not count) */
    static const char *ext[] = {"chunk", "primary", "secondary"};
    for (int i = 0; i < 3; i++) {
        char want[32];
        snprintf(want, sizeof(want), "%05llu.%s", (unsigned long long)t->num, ext[i]);
        const struct restore_digest *d = restore_digest_find(o->digests, o->ndigests, want);
        if (d && o->verified && !o->verified[d - o->digests]) {
            fail_task(t, mtl_seterr(MTL_ERR_INTEGRITY,
                                    "immutable file %s: missing from archive "
                                    "%05llu",
                                    want, (unsigned long long)t->num));
            goto out;
        }
    }
out:
    if (t->err != MTL_OK)
        ring_close(t->ring); /* the transfer stops at its next write */
    else
        ring_drain(t->ring);
    if (a)
        archive_read_free(a);
    (void)seen;
    return NULL;
}

struct xfer {
    struct task *t;
    int broken;
    int kind;           /* 0: not yet known, 1: zstd (decoded here), 2: raw */
    uint8_t magic[4];   /* first bytes, to tell zstd from the rest */
    size_t nmagic;
    ZSTD_DCtx *z;
    size_t zlast;       /* last ZSTD_decompressStream result: 0 = frame complete */
    char zerr[200];
};

/* Decode (zstd) or pass (raw) len bytes into the ring; 0 on failure. */
static int feed(struct xfer *x, const uint8_t *p, size_t len)
{
    struct ring *r = x->t->ring;
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

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = sz * n;
    const uint8_t *b = (const uint8_t *)p;
    if (x->t->sh->abort || x->broken)
        return 0;
    if (x->kind == 0) { /* sniff the zstd frame magic 28 b5 2f fd */
        size_t k = len < 4 - x->nmagic ? len : 4 - x->nmagic;
        memcpy(x->magic + x->nmagic, b, k);
        x->nmagic += k;
        b += k;
        len -= k;
        if (x->nmagic < 4)
            return sz * n;
        static const uint8_t zmagic[4] = {0x28, 0xb5, 0x2f, 0xfd};
        x->kind = memcmp(x->magic, zmagic, 4) == 0 ? 1 : 2;
        if (x->kind == 1 && !(x->z = ZSTD_createDCtx())) {
            snprintf(x->zerr, sizeof(x->zerr), "zstd: out of memory");
            x->broken = 1;
            return 0;
        }
        if (!feed(x, x->magic, 4)) {
            x->broken = 1;
            return 0;
        }
    }
    if (len > 0 && !feed(x, b, len)) {
        x->broken = 1; /* the unpacker stopped (its error is the one to report) or bad zstd */
        return 0;
    }
    return sz * n;
}

/* End of body: flush the sniffed bytes of a tiny body, the last slot, EOF. */
static void body_end(struct xfer *x)
{
    if (!x->broken && x->kind == 0 && x->nmagic > 0) {
        x->kind = 2;
        if (!feed(x, x->magic, x->nmagic))
            x->broken = 1;
    }
    ring_publish(x->t->ring, 1);
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return ((struct xfer *)ud)->t->sh->abort ? 1 : 0;
}

static void expand_template(char *out, size_t cap, const char *tpl, uint64_t num)
{
    const char *ph = "{immutable_file_number}";
    const char *at = strstr(tpl, ph);
    if (!at)
        snprintf(out, cap, "%s", tpl);
    else
        snprintf(out, cap, "%.*s%05llu%s", (int)(at - tpl), tpl, (unsigned long long)num,
                 at + strlen(ph));
}

mtl_err restore_set_url(void *curl, const char *what, const char *url)
{
    MTL_CHECK(strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0,
              MTL_ERR_BAD_ENCODING, "%s: location '%.200s' refused (only http:// and https://)",
              what, url);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    return MTL_OK;
}

/* Run the transfer of url into the ring buffer read by unpack(t) on another thread. */
static mtl_err stream_into(const char *url, struct task *t, void *(*unpack)(void *),
                           const char *label)
{
    struct ring ring;
    CURL *c = curl_easy_init();
    MTL_CHECK(c, MTL_ERR_NOMEM, "curl_easy_init failed");
    mtl_err ue = restore_set_url(c, label, url);
    if (ue == MTL_OK)
        ue = ring_init(&ring);
    if (ue != MTL_OK) {
        curl_easy_cleanup(c);
        return ue;
    }
    t->ring = &ring;
    t->err = MTL_OK;
    pthread_t th;
    if (pthread_create(&th, NULL, unpack, t) != 0) {
        ring_destroy(&ring);
        curl_easy_cleanup(c);
        return mtl_seterr(MTL_ERR_INTERNAL, "pthread_create failed");
    }
    struct xfer x = {.t = t};
    CURLcode rc = CURLE_FAILED_INIT;
    long status = 0;
    {
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, CURL_BUF);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
    }
    /* a complete transfer must end a zstd frame: else the body was cut */
    if (rc == CURLE_OK && !x.broken && x.kind == 1 && x.zlast != 0) {
        snprintf(x.zerr, sizeof(x.zerr), "zstd: truncated stream");
        x.broken = 1;
    }
    if (x.zerr[0])
        ring_close(&ring); /* do not let the unpacker judge a partial stream */
    body_end(&x);
    pthread_join(th, NULL);
    ring_destroy(&ring);
    ZSTD_freeDCtx(x.z);
    if (x.zerr[0])
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s is corrupt: %s", label, x.zerr);
    /* the transfer failed by itself (HTTP status, connection): that is the
     * cause (and it is retried), not what the unpacker made of the cut body */
    if (rc != CURLE_OK && !x.broken && !t->sh->abort)
        return mtl_seterr(MTL_ERR_HTTP, "%s: GET %s: %s (HTTP %ld)", label, url,
                          curl_easy_strerror(rc), status);
    if (t->err != MTL_OK)
        return mtl_seterr(t->err, "%s", t->msg);
    if (rc != CURLE_OK && t->sh->abort)
        return mtl_seterr(MTL_ERR_STATE, "%s: cancelled", label);
    if (rc != CURLE_OK)
        return mtl_seterr(MTL_ERR_HTTP, "%s: GET %s: %s (HTTP %ld)", label, url,
                          curl_easy_strerror(rc), status);
    return MTL_OK;
}

static mtl_err restore_one(struct shared *sh, uint64_t num, struct task *t)
{
    char url[4200], label[32];
    expand_template(url, sizeof(url), sh->o->url_template, num);
    snprintf(label, sizeof(label), "archive %05llu", (unsigned long long)num);
    /* transport failures are retried (3 attempts, like the reference); a
     * corrupt archive or a wrong digest is not */
    mtl_err e = MTL_OK;
    for (int attempt = 1; attempt <= 3; attempt++) {
        *t = (struct task){.sh = sh, .num = num};
        e = stream_into(url, t, unpack_thread, label);
        if (e != MTL_ERR_HTTP || sh->abort || attempt == 3)
            break;
        fprintf(stderr, "%s: attempt %d failed (%s), retrying\n", label, attempt, mtl_err_detail());
        sleep(1);
    }
    return e;
}

static void report_progress(struct shared *sh)
{
    const struct restore_opts *o = sh->o;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double el = (double)(now.tv_sec - sh->t0.tv_sec) + (double)(now.tv_nsec - sh->t0.tv_nsec) / 1e9;
    uint64_t done = sh->st->archives_done + sh->st->archives_skipped;
    if (o->json_progress) {
        char ts[40];
        time_t tt = time(NULL);
        struct tm tmv;
        gmtime_r(&tt, &tmv);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tmv);
        double left = done ? el / (double)done * (double)(sh->total_archives - done) : 0;
        fprintf(stderr,
                "{\"label\":\"Immutable archives\",\"timestamp\":\"%s\",\"files_downloaded\":"
                "%llu,\"files_total\":%llu,\"bytes_downloaded\":%llu,\"seconds_left\":%.3f,"
                "\"seconds_elapsed\":%.3f}\n",
                ts, (unsigned long long)done, (unsigned long long)sh->total_archives,
                (unsigned long long)sh->st->bytes, left, el);
    } else if (o->tty_progress) {
        int width = 30,
            fill = sh->total_archives ? (int)(done * (uint64_t)width / sh->total_archives) : width;
        double mib = (double)sh->st->bytes / 1048576.0;
        uint64_t fresh = sh->st->archives_done;
        double eta = fresh ? el / (double)fresh * (double)(sh->total_archives - done) : 0;
        fprintf(stderr,
                "\r[%.*s%*s] archives %llu/%llu  files %llu  %.1f MiB  %.1f MiB/s  ETA %.0fs ",
                fill, "##############################", width - fill, "", (unsigned long long)done,
                (unsigned long long)sh->total_archives, (unsigned long long)sh->st->files, mib,
                el > 0 ? mib / el : 0, eta);
        if (done == sh->total_archives)
            fputc('\n', stderr);
    }
}

static void *worker(void *arg)
{
    struct shared *sh = arg;
    struct task *t = mtl_malloc(sizeof(*t));
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        if (sh->abort || sh->next >= sh->ntodo || !t) {
            if (!t && !sh->abort) {
                sh->abort = 1;
                sh->err = MTL_ERR_NOMEM;
                snprintf(sh->msg, sizeof(sh->msg), "restore: out of memory");
            }
            pthread_mutex_unlock(&sh->mu);
            break;
        }
        uint64_t num = sh->todo[sh->next++];
        pthread_mutex_unlock(&sh->mu);
        mtl_err e = restore_one(sh, num, t);
        pthread_mutex_lock(&sh->mu);
        if (e != MTL_OK) {
            if (sh->err == MTL_OK || sh->err == MTL_ERR_STATE) { /* keep the first real cause */
                sh->err = e;
                snprintf(sh->msg, sizeof(sh->msg), "%s", mtl_err_detail());
            }
            sh->abort = 1;
        } else {
            sh->st->archives_done++;
            sh->st->files += t->files;
            sh->st->bytes += t->bytes;
            report_progress(sh);
        }
        pthread_mutex_unlock(&sh->mu);
        /* one O_APPEND write per record line (never interleaved), synced
         * outside the lock so a slow disk does not stall the other workers */
        if (e == MTL_OK && sh->resume >= 0) {
            char line[32];
            int n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)num);
            if (write(sh->resume, line, (size_t)n) == n)
                (void)fdatasync(sh->resume);
        }
    }
    mtl_free(t);
    return NULL;
}

/* Archives recorded as restored for this artifact whose files are all there. */
static void load_resume(const struct restore_opts *o, uint8_t *done)
{
    FILE *f = o->resume_path ? fopen(o->resume_path, "r") : NULL;
    if (!f)
        return;
    char line[128];
    if (fgets(line, sizeof(line), f) && strncmp(line, o->artifact_hash, 64) == 0) {
        while (fgets(line, sizeof(line), f)) {
            char *end;
            unsigned long long n = strtoull(line, &end, 10);
            if (end == line || n < o->first || n > o->last)
                continue;
            /* kept only if every file still hashes to its certified digest */
            int complete = 1;
            static const char *ext[] = {"chunk", "primary", "secondary"};
            for (int i = 0; i < 3 && complete; i++) {
                char name[32], path[4200], hex[65];
                snprintf(name, sizeof(name), "%05llu.%s", n, ext[i]);
                if (mtl_path_fmt(path, sizeof(path), "%s/immutable/%s", o->db_dir, name) !=
                    MTL_OK) {
                    complete = 0;
                    break;
                }
                const struct restore_digest *d = restore_digest_find(o->digests, o->ndigests, name);
                if (d && (restore_sha256_file(path, hex) != MTL_OK || strcmp(hex, d->digest) != 0))
                    complete = 0;
            }
            for (int i = 0; i < 3 && complete && o->verified; i++) {
                char name[32];
                snprintf(name, sizeof(name), "%05llu.%s", n, ext[i]);
                const struct restore_digest *d = restore_digest_find(o->digests, o->ndigests, name);
                if (d)
                    o->verified[d - o->digests] = 1;
            }
            done[n - o->first] = (uint8_t)complete;
        }
    }
    fclose(f);
}

mtl_err client_restore_immutables(const struct restore_opts *o, struct restore_stats *st)
{
    MTL_CHECK(o->first <= o->last && o->last - o->first < 10000000, MTL_ERR_INVALID_ARG,
              "restore: bad range %llu..%llu", (unsigned long long)o->first,
              (unsigned long long)o->last);
    char dir[4200];
    MTL_TRY(mtl_path_fmt(dir, sizeof(dir), "%s/immutable", o->db_dir));
    MTL_CHECK(mkdir(dir, 0755) == 0 || errno == EEXIST, MTL_ERR_IO, "mkdir %s: %s", dir,
              strerror(errno));
    size_t span = (size_t)(o->last - o->first + 1);
    uint8_t *done = mtl_calloc(span, 1);
    uint64_t *todo = mtl_calloc(span, sizeof(uint64_t));
    struct shared sh = {.o = o, .st = st, .err = MTL_OK, .total_archives = span, .resume = -1};
    mtl_err e = MTL_OK;
    *st = (struct restore_stats){0};
    if (!done || !todo) {
        e = mtl_seterr(MTL_ERR_NOMEM, "restore: out of memory");
        goto out;
    }
    load_resume(o, done);
    for (size_t i = 0; i < span; i++) {
        if (done[i])
            st->archives_skipped++;
        else
            todo[sh.ntodo++] = o->first + i;
    }
    if (o->resume_path) {
        int fresh = st->archives_skipped == 0;
        sh.resume = open(o->resume_path,
                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (fresh ? O_TRUNC : 0), 0644);
        if (sh.resume < 0) {
            e = mtl_seterr(MTL_ERR_IO, "resume record %s: %s", o->resume_path, strerror(errno));
            goto out;
        }
        if (fresh)
            dprintf(sh.resume, "%s\n", o->artifact_hash);
    }
    pthread_mutex_init(&sh.mu, NULL);
    sh.todo = todo;
    clock_gettime(CLOCK_MONOTONIC, &sh.t0);
    int nw = o->parallel < 1 ? 1 : o->parallel > 64 ? 64 : o->parallel;
    if ((size_t)nw > sh.ntodo)
        nw = (int)sh.ntodo;
    pthread_t th[64];
    int started = 0;
    for (int i = 0; i < nw; i++, started++)
        if (pthread_create(&th[i], NULL, worker, &sh) != 0)
            break;
    if (started == 0 && sh.ntodo > 0)
        worker(&sh);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&sh.mu);
    if (sh.err != MTL_OK)
        e = mtl_seterr(sh.err, "%s", sh.msg);
out:
    if (sh.resume >= 0)
        close(sh.resume);
    mtl_free(done);
    mtl_free(todo);
    return e;
}
