/* file.c - atomic whole-file writes and capped whole-file reads. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common_int.h"

mtl_err mtl_path_fmt(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < cap)
        return MTL_OK;
    mtl_err e = mtl_seterr(MTL_ERR_INVALID_ARG, "path too long (%d bytes, at most %zu): %.80s...",
                           n, cap ? cap - 1 : 0, cap ? out : "");
    if (cap)
        out[0] = '\0';
    return e;
}

mtl_err mtl_write_all(int fd, const void *data, size_t n, const char *what)
{
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        MTL_CHECK(w > 0, MTL_ERR_IO, "%s: write failed: %s", what, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return MTL_OK;
}

mtl_err mtl_atomic_write(const char *path, const void *data, size_t len, unsigned mode)
{
    size_t plen = strlen(path);
    char *tmp = mtl_malloc(plen + 32), *dirbuf = mtl_strdup(path);
    mtl_err rc = MTL_OK;
    int fd = -1;
    if (!tmp || !dirbuf) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        rc = mtl_seterr(MTL_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    /* open() honours the umask; secrets must end exactly at mode. */
    if (fchmod(fd, (mode_t)mode) != 0) {
        rc = mtl_seterr(MTL_ERR_IO, "%s: chmod failed: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    rc = mtl_write_all(fd, data, len, tmp);
    if (rc != MTL_OK)
        goto out_unlink;
    if (fsync(fd) != 0) {
        rc = mtl_seterr(MTL_ERR_IO, "%s: fsync failed: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = mtl_seterr(MTL_ERR_IO, "%s: rename failed: %s", path, strerror(errno));
        goto out_unlink;
    }
    /* Make the rename itself durable. */
    int dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    goto out;
out_unlink:
    if (fd >= 0)
        close(fd);
    fd = -1;
    unlink(tmp);
out:
    if (fd >= 0)
        close(fd);
    mtl_free(tmp);
    mtl_free(dirbuf);
    return rc;
}

mtl_err mtl_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
    *data = NULL;
    if (len)
        *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    MTL_CHECK(fd >= 0, errno == ENOENT ? MTL_ERR_NOT_FOUND : MTL_ERR_IO, "%s: cannot open: %s",
              path, strerror(errno));
    struct mtl_buf b;
    mtl_buf_init(&b, max);
    uint8_t chunk[65536];
    mtl_err rc = MTL_OK;
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = mtl_seterr(MTL_ERR_IO, "%s: read failed: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        rc = mtl_buf_append(&b, chunk, (size_t)r);
        if (rc != MTL_OK) {
            rc = mtl_err_wrap(rc, "%s", path);
            break;
        }
    }
    close(fd);
    if (rc == MTL_OK)
        rc = mtl_buf_nul(&b);
    if (rc != MTL_OK) {
        mtl_buf_free(&b);
        return rc;
    }
    *data = mtl_buf_take(&b, len);
    return MTL_OK;
}
