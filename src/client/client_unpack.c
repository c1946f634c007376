/* client_unpack.c - the one libarchive loop of the client (immutable
 * archives streamed from the network, the ancillary archive on disk, the
 * digests archive in memory): tar, tar.zst or tar.gz; each entry is handed
 * to the caller's entry policy, which alone decides what may come out. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "client_transport.h"

struct reader_src {
    ssize_t (*read)(void *rctx, const void **out);
    void *rctx;
};

static la_ssize_t on_read(struct archive *a, void *ud, const void **out)
{
    (void)a;
    struct reader_src *r = ud;
    return (la_ssize_t)r->read(r->rctx, out);
}

static struct archive *reader_new(void)
{
    struct archive *a = archive_read_new();
    if (a) {
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_gzip(a);
        archive_read_support_format_tar(a);
    }
    return a;
}

/* The loop: every header to the policy, until the end, an error or a stop. */
static mtl_err unpack_loop(struct archive *a, const struct client_unpack *u)
{
    for (;;) {
        struct archive_entry *ae;
        int r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            return MTL_OK;
        MTL_CHECK(r == ARCHIVE_OK, MTL_ERR_BAD_ENCODING, "%s is corrupt: %s", u->what,
                  archive_error_string(a));
        const char *p = archive_entry_pathname(ae);
        if (p && p[0] == '.' && p[1] == '/')
            p += 2;
        mode_t ft = archive_entry_filetype(ae);
        struct client_entry e = {.name = p ? p : "",
                                 .regular = ft == AE_IFREG,
                                 .directory = ft == AE_IFDIR,
                                 .size_known = archive_entry_size_is_set(ae) != 0,
                                 .size = archive_entry_size(ae),
                                 .archive = a};
        int stop = 0;
        MTL_TRY(u->policy(u->ctx, &e, &stop));
        if (stop)
            return MTL_OK;
    }
}

/* Run the loop over an opened (or failed) reader, then free it. */
static mtl_err run(struct archive *a, int open_rc, const struct client_unpack *u)
{
    MTL_CHECK(a, MTL_ERR_NOMEM, "%s: out of memory", u->what);
    mtl_err e = open_rc == ARCHIVE_OK
                    ? unpack_loop(a, u)
                    : mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: %s", u->what, archive_error_string(a));
    archive_read_free(a);
    return e;
}

mtl_err client_unpack_file(const char *path, const struct client_unpack *u)
{
    struct archive *a = reader_new();
    return run(a, a ? archive_read_open_filename(a, path, 1 << 16) : ARCHIVE_FATAL, u);
}

mtl_err client_unpack_memory(const void *p, size_t n, const struct client_unpack *u)
{
    struct archive *a = reader_new();
    return run(a, a ? archive_read_open_memory(a, p, n) : ARCHIVE_FATAL, u);
}

mtl_err client_unpack_reader(ssize_t (*read)(void *rctx, const void **out), void *rctx,
                             const struct client_unpack *u)
{
    struct reader_src src = {read, rctx};
    struct archive *a = reader_new();
    return run(a, a ? archive_read_open(a, &src, NULL, on_read, NULL) : ARCHIVE_FATAL, u);
}

mtl_err client_entry_write(struct client_entry *e, int fd, const char *path, const char *label,
                           char hex[65], uint64_t *bytes)
{
    struct archive *a = e->archive;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    mtl_err err = h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1
                      ? MTL_OK
                      : mtl_seterr(MTL_ERR_NOMEM, "sha256 context");
    uint64_t total = 0;
    while (err == MTL_OK) {
        const void *blk;
        size_t n;
        la_int64_t off;
        int r = archive_read_data_block(a, &blk, &n, &off); /* no copy */
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK)
            err = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s is corrupt: %s", label,
                             archive_error_string(a));
        else if (off != (la_int64_t)total)
            err = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: sparse entries are not supported", label);
        else if ((err = mtl_write_all(fd, blk, n, path)) == MTL_OK) {
            EVP_DigestUpdate(h, blk, n);
            total += (uint64_t)n;
        }
    }
    if (close(fd) != 0 && err == MTL_OK)
        err = mtl_seterr(MTL_ERR_IO, "close %s: %s", path, strerror(errno));
    if (err == MTL_OK) {
        uint8_t md[32];
        unsigned int l = 0;
        EVP_DigestFinal_ex(h, md, &l);
        mtl_hex_encode(hex, 65, md, 32);
        *bytes = total;
    }
    EVP_MD_CTX_free(h);
    return err;
}

mtl_err client_entry_read(struct client_entry *e, struct mtl_buf *out, const char *label)
{
    struct archive *a = e->archive;
    char blk[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, blk, sizeof(blk))) > 0)
        MTL_TRY(mtl_buf_append(out, blk, (size_t)n));
    MTL_CHECK(n == 0, MTL_ERR_BAD_ENCODING, "%s: %s", label, archive_error_string(a));
    return MTL_OK;
}
