/* client_cli.h - the top layer of mithril-client: the command line
 * (client_main.c), the commands (client_cmd_*.c) and the one output module
 * they all print through (client_output.c: text or --json, and the drawing
 * of the services' events). Below it: client_services.h. */
#ifndef MTL_CLIENT_CLI_H
#define MTL_CLIENT_CLI_H

#include <stdio.h>

#include "client_services.h"

/* Exit codes: 0 ok, 1 failure (network, verification, I/O), 2 usage. */
enum { CLIENT_EXIT_OK = 0, CLIENT_EXIT_FAIL = 1, CLIENT_EXIT_USAGE = 2 };

struct cli {
    struct client cl; /* the services' context; cl.events draws through out_event */
    int json;         /* --json: one JSON document on stdout, JSON lines on stderr */
    int verbose;      /* count of -v */
    int tty;          /* stderr is a terminal (progress bar) */
    /* certificate verify: each checked certificate as a table row on stdout,
     * or collected into this array with --json */
    int print_certificates;
    json_t *certificates;
};

/* ---- Output (client_output.c) -------------------------------------------- */

/* The services' event sink (ctx = struct cli): steps, warnings, retries and
 * progress on stderr (text, a progress bar on a terminal, or JSON lines),
 * checked certificates as configured above. */
void out_event(void *ctx, const struct client_event *ev);
/* The result document: a JSON value on stdout (pretty). */
void out_json(const json_t *j);
/* Report an error: "mithril-client: error: <what>: <detail>" (or a JSON
 * line); returns CLIENT_EXIT_FAIL. */
int out_fail(const struct cli *c, mtl_err e, const char *what);
/* A usage problem on stderr; returns CLIENT_EXIT_USAGE. */
int out_usage(const char *fmt, ...) MTL_PRINTF(1, 2);
/* Take every "-b V" / "--backend V" out of argv: *v2 is set by the last one;
 * -1 when a value is missing or is neither v2 nor (allow_v1) v1. */
int cli_take_backend(int *argc, char **argv, bool allow_v1, bool *v2);
/* A plain message line on stderr (warnings the commands give). */
void out_note(const char *fmt, ...) MTL_PRINTF(1, 2);
/* One "Label  value" line of a show command, the label padded to width: a
 * string field of o ("?" when absent) or an integer one. */
void out_show_str(int width, const char *label, const json_t *o, const char *key);
void out_show_int(int width, const char *label, const json_t *o, const char *key);
/* A list command: GET route (a JSON array), printed as it is with --json,
 * else as a table: header(), then row(item) per item. */
int out_list(struct cli *c, const char *route, const char *what, void (*header)(void),
             void (*row)(json_t *item));
/* A non-negative decimal argument (the whole string); -1 when it is not. */
int cli_parse_num(const char *s, long long *out);
/* A show command: the artifact <item_prefix><hash> ("latest" resolved on
 * list_route), checked by verify first when a genesis key is given, printed
 * as it is with --json, else by print. Errors name `what`. */
struct out_artifact {
    const char *what, *list_route, *item_prefix;
    mtl_err (*verify)(const struct client *cl, const char *body, size_t len);
    void (*print)(const char *hash, json_t *item, int verified);
};
int out_show_artifact(struct cli *c, const struct out_artifact *a, const char *arg);
/* The current UTC time as 2026-01-31T12:00:00Z. */
void out_timestamp(char ts[40]);

/* ---- Commands ------------------------------------------------------------ */

int cmd_certificate(struct cli *c, int argc, char **argv);
int cmd_cardano_db(struct cli *c, int argc, char **argv);
int cmd_cardano_db_download(struct cli *c, int argc, char **argv);
int cmd_cardano_db_verify(struct cli *c, int argc, char **argv);
int cmd_msd(struct cli *c, int argc, char **argv);
int cmd_csd(struct cli *c, int argc, char **argv);
/* client_cmd_tx.c: transaction and block snapshots and proofs. */
int cmd_cardano_transaction(struct cli *c, int argc, char **argv);
int cmd_cardano_block(struct cli *c, int argc, char **argv);
/* The table of a stake distribution list (Mithril or Cardano: epoch, hash,
 * certificate hash, created_at): header and one row. */
void cmd_epoch_artifact_header(void);
void cmd_epoch_artifact_row(json_t *it);

#endif
