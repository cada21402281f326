/* outfile: where the records go, and how an interrupted run is resumed.
 *
 * With -o FILE naming a regular file (or none yet) the records are written to FILE.partial
 * and renamed to FILE only when the run completes, so a reader of FILE never sees a half-written record (or half a run). The
 * run's start time ("now" for --as-of) is kept beside it in FILE.partial.state, so that a
 * resumed run gives the same records an uninterrupted one would.
 *
 * --resume: FILE.partial is checked (a torn last line, from a run killed mid-write, is cut
 * off), its records are counted, and as the inputs are read again each of those records
 * must match the message at its place (source and index); those messages are skipped and
 * the run goes on appending. */
#ifndef AUTHSWEEP_CLI_OUTFILE_H
#define AUTHSWEEP_CLI_OUTFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "io/input.h"

struct outfile {
    FILE *f;               /* where records are written */
    char *final_path;      /* NULL for standard output */
    char *partial_path;
    char *state_path;
    FILE *check;           /* resume: reads the existing records back */
    uint64_t n_existing;   /* resume: records already written */
    int64_t run_started;
    bool already_complete; /* resume: FILE exists and no FILE.partial */
    bool direct;           /* FILE is not a regular file (a device, a FIFO): written as is */
};

/* outfile_open prepares the output (path NULL: stdout). run_started is the new run's
 * start; on resume it is replaced by the interrupted run's. False with a message in err. */
bool outfile_open(struct outfile *o, const char *path, bool resume, int64_t run_started,
                  char *err, size_t err_len);
/* outfile_skip_check is a pipe_control.skip_check: record n of the existing output must be
 * message m's. */
bool outfile_skip_check(void *ctx, uint64_t n, const struct input_msg *m);
/* outfile_finish closes the output; when complete, renames FILE.partial to FILE. */
bool outfile_finish(struct outfile *o, bool complete, char *err, size_t err_len);

#endif
