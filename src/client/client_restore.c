/* client_restore.c - parallel streaming restore of immutable archives.
 * Per archive: a worker thread runs the HTTP transfer into a pipe (zstd
 * decoded into a ring, client_pipe.c); an unpacking thread reads the ring
 * through the unpack loop, whose entry policy lets only the archive's own
 * trio out, writes each entry to "<name>.part" (O_NOFOLLOW) while hashing
 * it, compares with the certified digest, then renames it. Nothing but the
 * restored files touches the disk. Progress goes out as events. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client_services.h"

#define CURL_BUF (512L * 1024L) /* fewer, larger receives */

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
    int resume;        /* O_APPEND fd of the resume record, -1 = none */
    uint64_t declared; /* bytes the entries seen so far declare (atomic) */
};

struct task {
    struct shared *sh;
    uint64_t num;
    struct client_pipe *pipe;
    mtl_err err; /* unpacking side */
    char msg[768];
    uint64_t files, bytes;
    uint64_t declared; /* what this attempt's entries declared */
};

static void fail_task(struct task *t, mtl_err e)
{
    t->err = e;
    snprintf(t->msg, sizeof(t->msg), "%s", mtl_err_detail());
}

/* The only accepted entry names: immutable/<trio file of this archive's
 * number>. Anything else (absolute paths, "..", links, other numbers) is
 * refused, which also rules out path traversal. */
mtl_err client_restore_entry_name(uint64_t num, const char *p, int regular,
                                  char name[MTL_IMMUTABLE_NAME_BYTES])
{
    if (p[0] == '.' && p[1] == '/')
        p += 2;
    uint64_t n;
    if (strncmp(p, "immutable/", 10) == 0 && mtl_immutable_trio_parse(p + 10, &n, NULL) &&
        n == num) {
        MTL_CHECK(regular, MTL_ERR_BAD_ENCODING, "archive %05llu: entry %s is not a regular file",
                  (unsigned long long)num, p);
        memcpy(name, p + 10, strlen(p + 10) + 1);
        return MTL_OK;
    }
    return mtl_seterr(MTL_ERR_BAD_ENCODING,
                      "archive %05llu: unexpected entry '%.200s' (only immutable/%05llu.* allowed)",
                      (unsigned long long)num, p, (unsigned long long)num);
}

/* Its declared size is bounded first (tar headers come before the data, and
 * libarchive never returns more than they declare), so a small archive
 * cannot fill the disk beyond what the snapshot announces. */
static mtl_err check_declared(struct task *t, const struct client_entry *ent, const char *name)
{
    const struct restore_opts *o = t->sh->o;
    MTL_CHECK(ent->size_known && ent->size >= 0, MTL_ERR_BAD_ENCODING,
              "immutable file %s: archive %05llu does not declare its size", name,
              (unsigned long long)t->num);
    uint64_t size = (uint64_t)ent->size;
    uint64_t declared = __atomic_add_fetch(&t->sh->declared, size, __ATOMIC_RELAXED);
    t->declared += size;
    MTL_CHECK(!o->max_bytes || declared <= o->max_bytes, MTL_ERR_TOO_BIG,
              "immutable file %s: archive %05llu declares %llu bytes, beyond the %llu bytes the "
              "snapshot announces for its whole database (archive bomb?)",
              name, (unsigned long long)t->num, (unsigned long long)size,
              (unsigned long long)o->max_bytes);
    return MTL_OK;
}

/* Stream one entry to <db>/immutable/<name>.part, hash it, check, rename. */
static mtl_err extract_entry(struct task *t, struct client_entry *ent, const char *name)
{
    const struct restore_opts *o = t->sh->o;
    const struct restore_digest *cert = restore_digest_find(o->digests, o->ndigests, name);
    MTL_CHECK(cert, MTL_ERR_INTEGRITY, "immutable file %s: not in the certified digests", name);
    MTL_TRY(check_declared(t, ent, name));
    char path[4200], part[4210];
    snprintf(path, sizeof(path), "%s/immutable/%s", o->db_dir, name);
    snprintf(part, sizeof(part), "%s.part", path);
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    MTL_CHECK(fd >= 0, MTL_ERR_IO, "open %s: %s", part, strerror(errno));
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    char label[64], hex[65];
    snprintf(label, sizeof(label), "immutable file %s: archive %05llu", name,
             (unsigned long long)t->num);
    uint64_t total = 0;
    mtl_err e = client_entry_write(ent, fd, part, label, hex, &total);
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

/* The entry policy of an immutable archive. */
static mtl_err immutable_policy(void *ctx, struct client_entry *e, int *stop)
{
    struct task *t = ctx;
    char name[MTL_IMMUTABLE_NAME_BYTES];
    (void)stop;
    MTL_TRY(client_restore_entry_name(t->num, e->name, e->regular, name));
    return extract_entry(t, e, name);
}

/* Every certified file of this number must have come out of the archive (a
 * file of that name already in the target does not count). */
static mtl_err check_complete(const struct task *t)
{
    const struct restore_opts *o = t->sh->o;
    for (unsigned k = 0; k < MTL_IMMUTABLE_TRIO_FILES; k++) {
        char want[MTL_IMMUTABLE_NAME_BYTES];
        mtl_immutable_trio_name(want, t->num, k);
        const struct restore_digest *d = restore_digest_find(o->digests, o->ndigests, want);
        MTL_CHECK(!d || !o->verified || o->verified[d - o->digests], MTL_ERR_INTEGRITY,
                  "immutable file %s: missing from archive %05llu", want,
                  (unsigned long long)t->num);
    }
    return MTL_OK;
}

static void *unpack_thread(void *arg)
{
    struct task *t = arg;
    char what[32];
    snprintf(what, sizeof(what), "archive %05llu", (unsigned long long)t->num);
    struct client_unpack u = {.what = what, .policy = immutable_policy, .ctx = t};
    mtl_err e = client_unpack_reader(client_pipe_read, t->pipe, &u);
    if (e == MTL_OK)
        e = check_complete(t);
    if (e != MTL_OK) {
        fail_task(t, e);
        client_pipe_close(t->pipe); /* the transfer stops at its next write */
    } else {
        client_pipe_drain(t->pipe);
    }
    return NULL;
}

static int task_write(void *ctx, const uint8_t *p, size_t n)
{
    struct task *t = ctx;
    return t->sh->abort ? 1 : client_pipe_write(t->pipe, p, n);
}

static int task_cancelled(void *ctx)
{
    return ((struct task *)ctx)->sh->abort;
}

/* The cause of a failed archive: a body that did not decode, then a
 * transfer that failed by itself (retried), then the unpacker's verdict.
 * msg: the message of the first of the two that failed. */
static mtl_err archive_result(struct task *t, mtl_err xfer, mtl_err pipe, const char *what,
                              const char *msg)
{
    if (pipe != MTL_OK)
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s is corrupt: %s", what, msg);
    if ((xfer == MTL_ERR_HTTP || xfer == MTL_ERR_NOT_FOUND) && !t->sh->abort)
        return mtl_seterr(xfer, "%s", msg);
    if (t->err != MTL_OK)
        return mtl_seterr(t->err, "%s", t->msg);
    if (xfer != MTL_OK && t->sh->abort)
        return mtl_seterr(MTL_ERR_STATE, "%s: cancelled", what);
    return xfer;
}

/* One transfer of an archive into an unpacking thread. */
static mtl_err stream_archive(const char *url, struct task *t, const char *what)
{
    MTL_TRY(client_http_check_url(url, what));
    MTL_TRY(client_pipe_new(&t->pipe));
    t->err = MTL_OK;
    pthread_t th;
    if (pthread_create(&th, NULL, unpack_thread, t) != 0) {
        client_pipe_free(t->pipe);
        return mtl_seterr(MTL_ERR_INTERNAL, "pthread_create failed");
    }
    struct client_stream s = {.what = what,
                              .write = task_write,
                              .cancelled = task_cancelled,
                              .ctx = t,
                              .buffer_bytes = CURL_BUF};
    mtl_err xfer = client_http_stream(url, &s);
    char msg[1024];
    snprintf(msg, sizeof(msg), "%s", mtl_err_detail());
    mtl_err pipe = client_pipe_finish(t->pipe, xfer == MTL_OK);
    if (pipe != MTL_OK)
        snprintf(msg, sizeof(msg), "%s", mtl_err_detail());
    pthread_join(th, NULL);
    client_pipe_free(t->pipe);
    t->pipe = NULL;
    return archive_result(t, xfer, pipe, what, msg);
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

/* One location of an archive: transport failures are retried (3 attempts,
 * like the reference); a missing, corrupt or wrong archive is not. */
static mtl_err restore_from(struct shared *sh, const char *tpl, uint64_t num, struct task *t)
{
    char url[4200], what[32];
    expand_template(url, sizeof(url), tpl, num);
    snprintf(what, sizeof(what), "archive %05llu", (unsigned long long)num);
    mtl_err e = MTL_OK;
    for (int attempt = 1; attempt <= 3; attempt++) {
        *t = (struct task){.sh = sh, .num = num};
        e = stream_archive(url, t, what);
        /* what a failed attempt declared no longer counts against the bound */
        if (e != MTL_OK)
            __atomic_sub_fetch(&sh->declared, t->declared, __ATOMIC_RELAXED);
        if (e != MTL_ERR_HTTP || sh->abort || attempt == 3)
            break;
        pthread_mutex_lock(&sh->mu); /* events one at a time */
        client_emitf(sh->o->events, CLIENT_EVENT_RETRY, 0, "%s: attempt %d failed (%s), retrying",
                     what, attempt, mtl_err_detail());
        pthread_mutex_unlock(&sh->mu);
        sleep(1);
    }
    return e;
}

/* A failure that another location may not have (rather than a local one,
 * or the restore being cancelled). */
static int location_failure(mtl_err e)
{
    return e == MTL_ERR_HTTP || e == MTL_ERR_NOT_FOUND || e == MTL_ERR_BAD_ENCODING ||
           e == MTL_ERR_INTEGRITY || e == MTL_ERR_TOO_BIG;
}

/* Each location in order until one restores the archive. */
static mtl_err restore_one(struct shared *sh, uint64_t num, struct task *t)
{
    const struct restore_opts *o = sh->o;
    const char *const *tpl = o->url_templates ? o->url_templates : &o->url_template;
    size_t n = o->url_templates ? o->ntemplates : 1;
    struct client_loc_errors *le = mtl_calloc(1, sizeof(*le));
    MTL_CHECK(le, MTL_ERR_NOMEM, "restore: out of memory");
    char what[32], url[4200];
    snprintf(what, sizeof(what), "archive %05llu", (unsigned long long)num);
    mtl_err e = MTL_ERR_NOT_FOUND;
    for (size_t k = 0; k < n; k++) {
        e = restore_from(sh, tpl[k], num, t);
        if (e == MTL_OK || sh->abort || !location_failure(e)) {
            mtl_free(le);
            return e;
        }
        expand_template(url, sizeof(url), tpl[k], num);
        pthread_mutex_lock(&sh->mu);
        client_loc_failed(le, o->events, what, url, k + 1 < n);
        pthread_mutex_unlock(&sh->mu);
    }
    e = client_loc_all_failed(le, e, what);
    mtl_free(le);
    return e;
}

/* Under sh->mu: one more archive done. */
static void report_progress(struct shared *sh)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct client_event ev = {.kind = CLIENT_EVENT_ARCHIVES};
    ev.progress = (struct client_progress){.done = sh->st->archives_done + sh->st->archives_skipped,
                                           .total = sh->total_archives,
                                           .fresh = sh->st->archives_done,
                                           .files = sh->st->files,
                                           .bytes = sh->st->bytes,
                                           .elapsed = (double)(now.tv_sec - sh->t0.tv_sec) +
                                                      (double)(now.tv_nsec - sh->t0.tv_nsec) / 1e9};
    client_emit(sh->o->events, &ev);
}

/* Under sh->mu: the outcome of archive num. */
static void record(struct shared *sh, const struct task *t, mtl_err e)
{
    if (e != MTL_OK) {
        if (sh->err == MTL_OK || sh->err == MTL_ERR_STATE) { /* keep the first real cause */
            sh->err = e;
            snprintf(sh->msg, sizeof(sh->msg), "%s", mtl_err_detail());
        }
        sh->abort = 1;
        return;
    }
    sh->st->archives_done++;
    sh->st->files += t->files;
    sh->st->bytes += t->bytes;
    report_progress(sh);
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
        record(sh, t, e);
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

/* Archive n of a resume record is kept only if every certified file of it
 * still hashes to its digest; those files are then marked verified. */
static int resumed_complete(const struct restore_opts *o, uint64_t n)
{
    const struct restore_digest *d[MTL_IMMUTABLE_TRIO_FILES];
    for (unsigned k = 0; k < MTL_IMMUTABLE_TRIO_FILES; k++) {
        char name[MTL_IMMUTABLE_NAME_BYTES], path[4200], hex[65];
        mtl_immutable_trio_name(name, n, k);
        snprintf(path, sizeof(path), "%s/immutable/%s", o->db_dir, name);
        d[k] = restore_digest_find(o->digests, o->ndigests, name);
        if (d[k] && (client_sha256_file(path, hex) != MTL_OK || strcmp(hex, d[k]->digest) != 0))
            return 0;
    }
    for (unsigned k = 0; k < MTL_IMMUTABLE_TRIO_FILES && o->verified; k++)
        if (d[k])
            o->verified[d[k] - o->digests] = 1;
    return 1;
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
            done[n - o->first] = (uint8_t)resumed_complete(o, n);
        }
    }
    fclose(f);
}

/* Open the resume record: appended to when resuming, else started anew
 * with the artifact hash on its first line. */
static mtl_err open_resume(const struct restore_opts *o, int fresh, int *fd)
{
    *fd = -1;
    if (!o->resume_path)
        return MTL_OK;
    *fd = open(o->resume_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (fresh ? O_TRUNC : 0),
               0644);
    MTL_CHECK(*fd >= 0, MTL_ERR_IO, "resume record %s: %s", o->resume_path, strerror(errno));
    if (fresh)
        dprintf(*fd, "%s\n", o->artifact_hash);
    return MTL_OK;
}

/* The workers over sh->todo; the first failure is sh->err. */
static void run_workers(struct shared *sh)
{
    pthread_mutex_init(&sh->mu, NULL);
    clock_gettime(CLOCK_MONOTONIC, &sh->t0);
    int nw = sh->o->parallel < 1 ? 1 : sh->o->parallel > 64 ? 64 : sh->o->parallel;
    if ((size_t)nw > sh->ntodo)
        nw = (int)sh->ntodo;
    pthread_t th[64];
    int started = 0;
    for (int i = 0; i < nw; i++, started++)
        if (pthread_create(&th[i], NULL, worker, sh) != 0)
            break;
    if (started == 0 && sh->ntodo > 0)
        worker(sh);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&sh->mu);
}

mtl_err client_restore_immutables(const struct restore_opts *o, struct restore_stats *st)
{
    MTL_CHECK(o->first <= o->last && o->last - o->first < 10000000, MTL_ERR_INVALID_ARG,
              "restore: bad range %llu..%llu", (unsigned long long)o->first,
              (unsigned long long)o->last);
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/immutable", o->db_dir);
    MTL_CHECK(mkdir(dir, 0755) == 0 || errno == EEXIST, MTL_ERR_IO, "mkdir %s: %s", dir,
              strerror(errno));
    size_t span = (size_t)(o->last - o->first + 1);
    uint8_t *done = mtl_calloc(span, 1);
    uint64_t *todo = mtl_calloc(span, sizeof(uint64_t));
    struct shared sh = {
        .o = o, .st = st, .err = MTL_OK, .total_archives = span, .resume = -1, .todo = todo};
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
    if ((e = open_resume(o, st->archives_skipped == 0, &sh.resume)) != MTL_OK)
        goto out;
    run_workers(&sh);
    if (sh.err != MTL_OK)
        e = mtl_seterr(sh.err, "%s", sh.msg);
out:
    if (sh.resume >= 0)
        close(sh.resume);
    mtl_free(done);
    mtl_free(todo);
    return e;
}
