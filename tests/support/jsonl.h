/* jsonl: a small, strict JSON reader for the test suites, enough to check what
 * `authsweep verify` prints (one JSON object per line). Not used by the program.
 *
 * jsonl_parse reads one JSON text (RFC 8259: objects, arrays, strings with every escape
 * including surrogate pairs, numbers, true/false/null) into a tree of struct jv. Strings are
 * decoded to UTF-8 and NUL-terminated (an embedded \u0000 is kept; len says how long the
 * string is). Numbers keep their source text in s. Nesting is limited to JSONL_MAX_DEPTH.
 * Errors come back as a message with the byte offset; nothing aborts.
 *
 * jsonl_split parses a whole output (records separated by LF; blank lines skipped) and
 * reports the first bad line. */
#ifndef AUTHSWEEP_TEST_JSONL_H
#define AUTHSWEEP_TEST_JSONL_H

#include <stdbool.h>
#include <stddef.h>

#define JSONL_MAX_DEPTH 32

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
    enum jv_type type;
    bool b;            /* JV_BOOL */
    char *s;           /* JV_STR: decoded text; JV_NUM: the number as written */
    size_t len;        /* length of s */
    size_t n;          /* JV_ARR / JV_OBJ: number of items */
    struct jv *items;  /* JV_ARR / JV_OBJ: the values */
    char **keys;       /* JV_OBJ: the member names (decoded) */
};

/* jsonl_parse: the text p[0..len) must hold exactly one JSON value (whitespace around it is
 * allowed). Returns a malloc'd tree or NULL with a message in err. */
struct jv *jsonl_parse(const char *p, size_t len, char *err, size_t err_len);
void jsonl_free(struct jv *v);

/* jsonl_split: every non-blank line of buf is one record. *out gets a malloc'd array of
 * *n trees. On a bad line returns false with "line N: ..." in err (and frees what it made). */
bool jsonl_split(const char *buf, size_t len, struct jv ***out, size_t *n, char *err,
                 size_t err_len);
void jsonl_free_all(struct jv **v, size_t n);

/* Look-ups. jv_get: member of an object (NULL if v is not an object or has no such key;
 * the last duplicate wins). jv_at: array item or NULL. jv_path: "as_of.time" style. */
const struct jv *jv_get(const struct jv *v, const char *key);
const struct jv *jv_at(const struct jv *v, size_t i);
const struct jv *jv_path(const struct jv *v, const char *dotted);
/* jv_str: the string of a JV_STR, or NULL (also for JSON null and every other type). */
const char *jv_str(const struct jv *v);
/* jv_str_or: jv_str(jv_get(v,key)), or dflt when that is NULL. */
const char *jv_str_or(const struct jv *v, const char *key, const char *dflt);
/* jv_is_null: v is absent (NULL) or JSON null. */
bool jv_is_null(const struct jv *v);
/* jv_num: a JV_NUM as a double in *out; false for other types. */
bool jv_num(const struct jv *v, double *out);

#endif
