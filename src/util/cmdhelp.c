/* cmdhelp.c - dispatch lookup and per-command help over a command table. */
#include "cmdhelp.h"

#include <string.h>

static const struct app_cmd *row_at(const void *rows, size_t stride, size_t i)
{
    return (const struct app_cmd *)((const char *)rows + i * stride);
}

static int is_cmd(const struct app_cmd *r, const char *name)
{
    return strcmp(r->cmd, name) == 0 || (r->alias && strcmp(r->alias, name) == 0);
}

/* How many of words[0..n) the row's subcommand starts with, word by word. */
static int sub_match(const struct app_cmd *r, char **words, int n)
{
    const char *s = r->sub;
    int k = 0;
    for (; k < n && *s && words[k][0] != '-'; k++) {
        size_t len = strcspn(s, " ");
        if (strlen(words[k]) != len || strncmp(s, words[k], len) != 0)
            break;
        s += len + (s[len] == ' ');
    }
    return k;
}

const void *app_cmd_find(const void *rows, size_t n, size_t stride, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (is_cmd(row_at(rows, stride, i), name))
            return row_at(rows, stride, i);
    return NULL;
}

void app_cmd_list(FILE *out, const void *rows, size_t n, size_t stride)
{
    for (size_t i = 0; i < n; i++) {
        const struct app_cmd *r = row_at(rows, stride, i);
        char name[128];
        snprintf(name, sizeof(name), "%s%s%s%s", r->cmd, r->alias ? " (alias " : "",
                 r->alias ? r->alias : "", r->alias ? ")" : "");
        if (!*r->sub) /* a command without subcommands: one line */
            fprintf(out, "  %-32s %s\n", name, r->about);
        else if (i == 0 || strcmp(row_at(rows, stride, i - 1)->cmd, r->cmd) != 0)
            fprintf(out, "  %s\n", name);
        if (*r->sub)
            fprintf(out, "      %-26s %s\n", r->sub, r->about);
    }
}

size_t app_cmd_help(FILE *out, const char *prog, const void *rows, size_t n, size_t stride,
                    char **words, int nwords, unsigned char *printed)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        const struct app_cmd *r = row_at(rows, stride, i);
        if (is_cmd(r, words[0]) && sub_match(r, words + 1, nwords - 1) > best)
            best = sub_match(r, words + 1, nwords - 1);
    }
    size_t count = 0;
    for (size_t i = 0; best >= 0 && i < n; i++) {
        const struct app_cmd *r = row_at(rows, stride, i);
        int on = is_cmd(r, words[0]) && sub_match(r, words + 1, nwords - 1) == best;
        if (printed)
            printed[i] = (unsigned char)on;
        if (!on)
            continue;
        fprintf(out, "%susage: %s %s%s%s%s%s\n%s\n", count ? "\n" : "", prog, r->cmd,
                *r->sub ? " " : "", r->sub, *r->args ? " " : "", r->args, r->about);
        if (*r->flags)
            fprintf(out, "flags:\n%s", r->flags);
        count++;
    }
    return count;
}
