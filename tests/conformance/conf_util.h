/* conf_util: shared helpers for the conformance and differential suites (tests/conformance).
 * They run the built program (test_bin()) through the shell, parse its JSON lines with
 * tests/support/jsonl.h, and collect mismatches so that a test can list every one of them
 * before it fails. */
#ifndef AUTHSWEEP_TEST_CONF_UTIL_H
#define AUTHSWEEP_TEST_CONF_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "tests/support/jsonl.h"

struct conf_run {
    struct jv **rec; /* one parsed record per output line */
    size_t n;
    int status;      /* exit status of authsweep */
    char *err;       /* its stderr (malloc'd, may be empty) */
};

/* conf_verify runs "BIN verify -q ARGS" under timeout(1) (120 s) (ARGS is a printf format; quote paths yourself) with
 * stderr captured, and parses stdout. Returns false (with a Criterion log line) when the
 * program cannot be run or prints something that is not JSON lines. */
bool conf_verify(struct conf_run *r, const char *args_fmt, ...)
    __attribute__((format(printf, 2, 3)));
void conf_run_free(struct conf_run *r);

/* conf_base: the file-name part of a path. */
const char *conf_base(const char *path);
/* conf_find: the record whose source ends in "/NAME" (or equals NAME) with that index. */
const struct jv *conf_find(const struct conf_run *r, const char *name, long index);
/* conf_sig: dkim[i] of a record, or NULL. */
const struct jv *conf_sig(const struct jv *rec, size_t i);
size_t conf_nsigs(const struct jv *rec);
/* conf_field: a string field of a dkim entry or record, "null" for null/absent. */
const char *conf_field(const struct jv *o, const char *key);

/* A list of mismatch lines. */
struct conf_list {
    char *buf;
    size_t len, cap;
    size_t count;
};
void conf_add(struct conf_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* conf_report: log every line (cr_log_error) and return the count. Frees the list. */
size_t conf_report(struct conf_list *l, const char *title);

/* conf_mktemp: a fresh directory under $TMPDIR (or /tmp); caller removes it (conf_rmrf). */
char *conf_mktemp(const char *tag);
void conf_rmrf(const char *dir);

#endif
