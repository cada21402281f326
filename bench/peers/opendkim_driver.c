/* OpenDKIM peer: verify every DKIM-Signature of each listed message with libopendkim.
 *
 *     opendkim_driver ZONE LIST      LIST: lines "PATH<TAB>AS_OF_EPOCH"
 *
 * A separate program on purpose: libopendkim exports dkim_* symbols that clash with
 * authsweep's, so this is never linked with the engine. Keys come from the same zone file
 * (a key-lookup callback over an in-memory table), x=/t= are judged at each message's
 * evaluation time (time() below), and LF is turned into CRLF (the wire form).
 * Prints: messages, signatures, passes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <opendkim/dkim.h>

/* libopendkim judges x= with time(2) (DKIM_OPTS_FIXEDTIME only affects signing), so this
 * program's own time() -- which the dynamic linker binds the library's calls to -- returns
 * the message's evaluation time. */
static time_t fake_now;
time_t time(time_t *t);
time_t time(time_t *t)
{
    if (t) {
        *t = fake_now;
    }
    return fake_now;
}

struct rec {
    char *name;
    char *txt;
};
static struct rec *recs;
static size_t n_recs;

static int rec_cmp(const void *a, const void *b)
{
    return strcasecmp(((const struct rec *)a)->name, ((const struct rec *)b)->name);
}

static void load_zone(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    size_t cap = 0;
    char *line = NULL;
    size_t ll = 0;
    while (getline(&line, &ll, f) > 0) {
        if (line[0] == ';' || line[0] == '$' || line[0] == '\n') {
            continue;
        }
        char *sp = strchr(line, ' ');
        if (sp == NULL || strncmp(sp, " IN TXT ", 8) != 0) {
            continue;
        }
        *sp = 0;
        size_t nl = strlen(line);
        if (nl && line[nl - 1] == '.') {
            line[nl - 1] = 0;
        }
        char *txt = malloc(strlen(sp + 8) + 1);
        size_t o = 0;
        bool q = false;
        for (char *p = sp + 8; *p && *p != '\n'; p++) {
            if (*p == '"') {
                q = !q;
            } else if (q && *p == '\\' && p[1]) {
                txt[o++] = *++p;
            } else if (q) {
                txt[o++] = *p;
            }
        }
        txt[o] = 0;
        if (n_recs == cap) {
            cap = cap ? cap * 2 : 1024;
            recs = realloc(recs, cap * sizeof(*recs));
        }
        recs[n_recs].name = strdup(line);
        recs[n_recs].txt = txt;
        n_recs++;
    }
    free(line);
    fclose(f);
    qsort(recs, n_recs, sizeof(*recs), rec_cmp);
}

static DKIM_CBSTAT key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
    (void)dkim;
    char name[1024];
    snprintf(name, sizeof name, "%s._domainkey.%s", (const char *)dkim_sig_getselector(sig),
             (const char *)dkim_sig_getdomain(sig));
    struct rec key = { name, NULL };
    struct rec *r = bsearch(&key, recs, n_recs, sizeof(*recs), rec_cmp);
    if (r == NULL || strlen(r->txt) + 1 > buflen) {
        return DKIM_CBSTAT_NOTFOUND;
    }
    memcpy(buf, r->txt, strlen(r->txt) + 1);
    return DKIM_CBSTAT_CONTINUE;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: opendkim_driver ZONE LIST\n");
        return 2;
    }
    load_zone(argv[1]);
    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (lib == NULL) {
        fprintf(stderr, "dkim_init failed\n");
        return 1;
    }
    dkim_set_key_lookup(lib, key_lookup);
    FILE *lf = fopen(argv[2], "r");
    if (lf == NULL) {
        perror(argv[2]);
        return 1;
    }
    char *line = NULL, *msg = NULL, *crlf = NULL;
    size_t ll = 0, mcap = 0;
    unsigned long n_msg = 0, n_sig = 0, n_pass = 0;
    while (getline(&line, &ll, lf) > 0) {
        char *tab = strchr(line, '\t');
        if (tab == NULL) {
            continue;
        }
        *tab = 0;
        uint64_t fixed = strtoull(tab + 1, NULL, 10);
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed, sizeof fixed);
        fake_now = (time_t)fixed;
        FILE *f = fopen(line, "rb");
        if (f == NULL) {
            perror(line);
            return 1;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        if ((size_t)n * 2 + 2 > mcap) {
            mcap = (size_t)n * 2 + 2;
            msg = realloc(msg, mcap);
            crlf = realloc(crlf, mcap);
        }
        if (fread(msg, 1, (size_t)n, f) != (size_t)n) {
            perror(line);
            return 1;
        }
        fclose(f);
        size_t o = 0;
        for (long i = 0; i < n; i++) {
            if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r')) {
                crlf[o++] = '\r';
            }
            crlf[o++] = msg[i];
        }
        DKIM_STAT st;
        DKIM *d = dkim_verify(lib, (const unsigned char *)"bench", NULL, &st);
        if (d == NULL) {
            fprintf(stderr, "dkim_verify failed\n");
            return 1;
        }
        (void)dkim_chunk(d, (u_char *)crlf, o);
        (void)dkim_chunk(d, NULL, 0);
        (void)dkim_eom(d, NULL);
        DKIM_SIGINFO **sigs = NULL;
        int nsigs = 0;
        if (dkim_getsiglist(d, &sigs, &nsigs) == DKIM_STAT_OK) {
            for (int i = 0; i < nsigs; i++) {
                n_sig++;
                if (DKIM_SIG_CHECK(sigs[i])) {
                    n_pass++;
                }
            }
        }
        dkim_free(d);
        n_msg++;
    }
    printf("messages %lu signatures %lu pass %lu\n", n_msg, n_sig, n_pass);
    dkim_close(lib);
    free(line);
    free(msg);
    free(crlf);
    fclose(lf);
    return 0;
}
