/* annotate: 8. REPORT. --annotate OUT: a copy of the archive in which every message gains the
 * Authentication-Results field (ar.h) as its first header line and is otherwise byte for
 * byte the same.
 *
 * What OUT is:
 *   one INPUT that is a file (mbox or one message)  OUT is a file
 *   one INPUT that is a folder (Maildir, folder)    OUT is a folder: every message file at
 *                                                   the same relative path (folders made as
 *                                                   in the input, empty ones included)
 *   several INPUTs                                  OUT is a folder with one entry per INPUT,
 *                                                   named after the INPUT's last path
 *                                                   component (a file or a folder as above);
 *                                                   two INPUTs with the same name: usage error
 * OUT must not exist, nor lie inside an INPUT folder. Standard input ("-") cannot be read
 * twice and is refused (usage error); so is an INPUT that is neither a file nor a folder.
 *
 * Bytes: the original bytes are read again from the input file, never rebuilt from the parsed
 * message: an mbox message is its region [offset, offset + size) of the file (From_ line,
 * ">From " quoting, line ends and the separating blank line untouched), with the field
 * inserted right after the From_ line; a message file is the field, then the file's bytes.
 * The field takes the message's own line end: CRLF when its first line ends in CRLF (the
 * From_ line's end when the message's first line is out of reach), else LF. Files are
 * created with mode 0600, folders 0700 (mail is private).
 *
 * Threads and memory: annot_message is called by the pipeline's writer thread only, in input
 * order, after the message's record was written; one mbox (reader and writer) is open at a
 * time and copying goes through one LIM_READ_CHUNK buffer, so memory is bounded whatever the
 * archive's size. The first write error stops annotating (the rest of the run goes on) and
 * annot_finish reports it. */
#ifndef AUTHSWEEP_ANNOTATE_H
#define AUTHSWEEP_ANNOTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/slice.h"
#include "io/input.h"

enum annot_status {
    ANNOT_OK = 0,
    ANNOT_E_USAGE, /* the request cannot work (stdin, OUT exists, same names, ...) */
    ANNOT_E_IO,    /* OUT could not be made */
};

struct annot;

/* annot_open checks the request and makes OUT (and its folders). On failure *out is NULL and
 * err says why; nothing was created for ANNOT_E_USAGE. */
enum annot_status annot_open(struct annot **out, const char *out_path,
                             const char *const *inputs, size_t n_inputs, char *err,
                             size_t err_len);
/* annot_message writes message m, with header (LF line ends, ending in LF) inserted. */
void annot_message(struct annot *an, const struct input_msg *m, slice header);
/* annot_finish closes what is open. False with the first error in err. *out_messages counts
 * the messages written. */
bool annot_finish(struct annot *an, uint64_t *out_messages, char *err, size_t err_len);
void annot_free(struct annot *an);

#endif
