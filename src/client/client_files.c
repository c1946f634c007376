/* client_files.c - file helpers of the client: mkdir -p, SHA-256 of a file,
 * removing a temporary tree. */
#define _GNU_SOURCE /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_transport.h"

#define IO_BLOCK (256u * 1024u)

mtl_err client_mkdir_p(const char *dir, unsigned mode)
{
    char p[4096];
    size_t n = strlen(dir);
    MTL_CHECK(n > 0 && n < sizeof(p), MTL_ERR_INVALID_ARG, "directory path too long");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char saved = p[i];
            p[i] = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
                return mtl_seterr(MTL_ERR_IO, "mkdir %s: %s", p, strerror(errno));
            p[i] = saved;
        }
    }
    return MTL_OK;
}

mtl_err client_sha256_file(const char *path, char hex[65])
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

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

void client_rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
