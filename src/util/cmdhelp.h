/*
 * cmdhelp.h - the programs' command tables: one row per command and
 * subcommand (name, alias, arguments, one-line description, flags), from
 * which each program dispatches (the first row of a command runs it) and
 * prints `<command> [<subcommand>] --help`: the rows those words name, each
 * with its own flags. A program's rows may carry more fields after the
 * struct app_cmd they start with; the functions take the row size (stride).
 */
#ifndef MTL_UTIL_CMDHELP_H
#define MTL_UTIL_CMDHELP_H

#include <stddef.h>
#include <stdio.h>

struct app_cmd {
    const char *cmd, *alias; /* "cardano-db", "cdb" (alias NULL: none) */
    const char *sub;         /* subcommand words, "" for none */
    const char *args;        /* positional arguments and flags of the usage line */
    const char *about;       /* one line */
    const char *flags;       /* "  --flag X   what\n" lines, "" for none */
};

/* rows, n, stride of an array of rows. */
#define APP_CMD_ROWS(a) (a), sizeof(a) / sizeof((a)[0]), sizeof((a)[0])

/* The first row of command `name` (or its alias), or NULL. */
const void *app_cmd_find(const void *rows, size_t n, size_t stride, const char *name);
/* The command list of a program's --help: each command and its
 * subcommands with their description. */
void app_cmd_list(FILE *out, const void *rows, size_t n, size_t stride);
/* The help of words[0] (a command or alias) and the subcommand words after
 * it (those before the first flag count): the rows naming the most of them,
 * each as "usage: <prog> <cmd> <sub> <args>", its description and flags.
 * printed (optional, n bytes) marks the rows printed. Returns the number of
 * rows printed, 0 when words[0] is no command (nothing printed). */
size_t app_cmd_help(FILE *out, const char *prog, const void *rows, size_t n, size_t stride,
                    char **words, int nwords, unsigned char *printed);

#endif
