/* client_output.c - everything mithril-client prints goes through here:
 * result documents on stdout (text or --json), errors and the services'
 * events on stderr (text, a progress bar on a terminal, or JSON lines). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_cli.h"
#include "common/json_int.h"
#include "mithril/certificate.h"

void out_timestamp(char ts[40])
{
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(ts, 40, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

int cli_parse_num(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0)
        return -1;
    *out = v;
    return 0;
}

void out_json(const json_t *j)
{
    char *s = mtl_json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
}

int out_fail(const struct cli *c, mtl_err e, const char *what)
{
    const char *d = mtl_err_detail();
    if (!d || !*d)
        d = mtl_strerror(e);
    if (c && c->json) {
        json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "level", "error", "error", what, "kind",
                              mtl_strerror(e), "detail", d);
        char *s = j ? mtl_json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        fprintf(stderr, "%s\n", s ? s : "{\"level\":\"error\"}");
        free(s);
        json_decref(j);
    } else {
        fprintf(stderr, "mithril-client: error: %s: %s\n", what, d);
    }
    return CLIENT_EXIT_FAIL;
}

int out_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mithril-client: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLIENT_EXIT_USAGE;
}

void out_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void out_show_str(int width, const char *label, const json_t *o, const char *key)
{
    printf("%-*s %s\n", width, label, json_string_value(json_object_get(o, key)) ?: "?");
}

void out_show_int(int width, const char *label, const json_t *o, const char *key)
{
    printf("%-*s %lld\n", width, label, (long long)json_integer_value(json_object_get(o, key)));
}

int out_list(struct cli *c, const char *route, const char *what, void (*header)(void),
             void (*row)(json_t *item))
{
    json_t *list;
    mtl_err e = client_get_json(c->cl.endpoint, route, &list);
    if (e != MTL_OK)
        return out_fail(c, e, what);
    if (!json_is_array(list)) {
        json_decref(list);
        return out_fail(c, mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: not an array", route), what);
    }
    if (c->json) {
        out_json(list);
    } else {
        header();
        size_t i;
        json_t *it;
        json_array_foreach(list, i, it) row(it);
    }
    json_decref(list);
    return CLIENT_EXIT_OK;
}

static void draw_step(const struct cli *c, const struct client_event *ev)
{
    if (c->json) {
        char ts[40];
        out_timestamp(ts);
        json_t *j = json_pack("{s:s,s:i,s:i,s:s}", "timestamp", ts, "step_num", ev->step,
                              "total_steps", ev->total_steps, "message", ev->message);
        char *s = j ? mtl_json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            fprintf(stderr, "%s\n", s);
        free(s);
        json_decref(j);
    } else {
        fprintf(stderr, "%d/%d - %s\n", ev->step, ev->total_steps, ev->message);
    }
}

/* One more archive: a JSON line (the reference's progress shape) or the
 * terminal's progress bar. */
static void draw_archives(const struct cli *c, const struct client_progress *p)
{
    if (c->json) {
        char ts[40];
        out_timestamp(ts);
        double left = p->done ? p->elapsed / (double)p->done * (double)(p->total - p->done) : 0;
        fprintf(stderr,
                "{\"label\":\"Immutable archives\",\"timestamp\":\"%s\",\"files_downloaded\":"
                "%llu,\"files_total\":%llu,\"bytes_downloaded\":%llu,\"seconds_left\":%.3f,"
                "\"seconds_elapsed\":%.3f}\n",
                ts, (unsigned long long)p->done, (unsigned long long)p->total,
                (unsigned long long)p->bytes, left, p->elapsed);
    } else if (c->tty) {
        int width = 30, fill = p->total ? (int)(p->done * (uint64_t)width / p->total) : width;
        double mib = (double)p->bytes / 1048576.0;
        double eta = p->fresh ? p->elapsed / (double)p->fresh * (double)(p->total - p->done) : 0;
        fprintf(stderr,
                "\r[%.*s%*s] archives %llu/%llu  files %llu  %.1f MiB  %.1f MiB/s  ETA %.0fs ",
                fill, "##############################", width - fill, "",
                (unsigned long long)p->done, (unsigned long long)p->total,
                (unsigned long long)p->files, mib, p->elapsed > 0 ? mib / p->elapsed : 0, eta);
        if (p->done == p->total)
            fputc('\n', stderr);
    }
}

static void draw_certificate(struct cli *c, const struct mtl_certificate *cert, int from_cache)
{
    struct mtl_signed_entity_type set;
    mtl_certificate_signed_entity(cert, &set);
    const char *kind = mtl_certificate_is_genesis(cert) ? "genesis" : "standard";
    if (c->certificates) {
        json_array_append_new(c->certificates,
                              json_pack("{s:s,s:I,s:s,s:s,s:b}", "hash", mtl_certificate_hash(cert),
                                        "epoch", (json_int_t)mtl_certificate_epoch(cert),
                                        "signed_entity_type", mtl_signed_entity_kind_name(set.kind),
                                        "kind", kind, "from_cache", from_cache));
    } else if (c->print_certificates) {
        printf("  %s  epoch %-5llu %-28s %s%s\n", mtl_certificate_hash(cert),
               (unsigned long long)mtl_certificate_epoch(cert),
               mtl_signed_entity_kind_name(set.kind), kind,
               from_cache ? " (verified before, cached)" : " ok");
        fflush(stdout);
    }
}

void out_event(void *ctx, const struct client_event *ev)
{
    struct cli *c = ctx;
    switch (ev->kind) {
    case CLIENT_EVENT_STEP:
        draw_step(c, ev);
        break;
    case CLIENT_EVENT_WARNING:
        fprintf(stderr, "Warning: %s\n", ev->message);
        break;
    case CLIENT_EVENT_RETRY:
        fprintf(stderr, "%s\n", ev->message);
        break;
    case CLIENT_EVENT_ARCHIVES:
        draw_archives(c, &ev->progress);
        break;
    case CLIENT_EVENT_CERTIFICATE:
        draw_certificate(c, ev->cert, ev->from_cache);
        break;
    }
}

int out_show_artifact(struct cli *c, const struct out_artifact *a, const char *arg)
{
    char hash[MTL_HASH_HEX_BYTES], route[320], *body;
    size_t len;
    mtl_err e = client_resolve_hash(c->cl.endpoint, a->list_route, arg, hash);
    if (e != MTL_OK)
        return out_fail(c, e, a->what);
    snprintf(route, sizeof(route), "%s%s", a->item_prefix, hash);
    if ((e = client_get(c->cl.endpoint, route, &body, &len)) != MTL_OK)
        return out_fail(c, e, a->what);
    int verified = 0;
    if (c->cl.genesis_vk_text) {
        if ((e = a->verify(&c->cl, body, len)) != MTL_OK) {
            mtl_free(body);
            char what[160];
            snprintf(what, sizeof(what), "%s: verification failed", a->what);
            return out_fail(c, e, what);
        }
        verified = 1;
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_PRESERVE_ORDER, &je);
    mtl_free(body);
    if (!j)
        return out_fail(c, mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: invalid JSON: %s", route, je.text),
                        a->what);
    if (c->json)
        out_json(j);
    else
        a->print(hash, j, verified);
    json_decref(j);
    return CLIENT_EXIT_OK;
}

int cli_take_backend(int *argc, char **argv, bool allow_v1, bool *v2)
{
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--backend") != 0 && strcmp(argv[i], "-b") != 0)
            continue;
        const char *v = i + 1 < *argc ? argv[i + 1] : "";
        if (strcmp(v, "v2") != 0 && !(allow_v1 && strcmp(v, "v1") == 0))
            return -1;
        *v2 = strcmp(v, "v2") == 0;
        memmove(argv + i, argv + i + 2, (size_t)(*argc - i - 2) * sizeof(*argv));
        *argc -= 2;
        i--;
    }
    return 0;
}
