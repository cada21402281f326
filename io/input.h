/* input.h: 1. READ + 2. SPLIT. Turns the command line's inputs into a stream of messages.
 *
 * Inputs, any number and mixed: mbox files (mboxo/mboxrd, LF or CRLF), Maildir folders
 * (cur/ and new/, Maildir++ subfolders walked), single message files, folders of message
 * files (walked recursively), and "-" for standard input (one message, or an mbox). A file
 * is an mbox when its first bytes are "From "; otherwise it is one message.
 *
 * Order is deterministic: inputs as given; within a folder, entries in byte-wise sorted
 * name order (so cur/ before new/, and a Maildir's subfolders after its own messages).
 *
 * Memory stays bounded: an mbox is read in chunks (LIM_READ_CHUNK) and never held whole;
 * one message is held at a time, up to opts.max_message_bytes. A larger message yields a
 * record with err = INPUT_E_TOO_BIG (its bytes are skipped, not kept).
 *
 * Reads go through an io backend (io/io.h): io_uring where the kernel allows it, else
 * ordinary reads; input_backend_name() says which one ran.
 *
 * Errors that concern a whole path (missing, unreadable, compressed, not a file or folder)
 * are reported through opts.on_path_error and counted; the other inputs go on. Errors that
 * concern one message (read error in the middle, too big, vanished file) give that message
 * a record with err set. */
#ifndef AUTHSWEEP_INPUT_H
#define AUTHSWEEP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/slice.h"

enum input_err {
    INPUT_OK = 0,
    INPUT_E_TOO_BIG,   /* message larger than max_message_bytes */
    INPUT_E_READ,      /* read failed or file vanished/shrank while being read */
    INPUT__ERR_COUNT
};

enum input_kind {
    INPUT_KIND_MBOX,
    INPUT_KIND_FILE,  /* one message per file (Maildir entry, .eml, folder member) */
    INPUT_KIND_STDIN_MESSAGE,
};

struct input_msg {
    uint8_t *data;        /* heap buffer holding from_line and raw; free with input_msg_free */
    struct input_chunk *chunk; /* or, when data is NULL: the reader's chunk holding them
                                  (shared, counted; input_msg_free lets go of it) */
    slice raw;            /* message bytes: From_ line removed, mboxrd ">From " unquoted */
    slice from_line;      /* mbox From_ line after "From " without EOL; empty if none */
    const char *source;   /* path as given, or the message file's path; lives until input_close */
    uint64_t index;       /* 0-based ordinal within source */
    int64_t offset;       /* byte offset of the From_ line in the mbox, or -1 */
    uint64_t size;        /* bytes this message occupied in the input (even if too big) */
    enum input_kind kind;
    enum input_err err;
    char err_detail[160]; /* NUL-terminated text for err != INPUT_OK */
};

struct input_opts {
    size_t max_message_bytes; /* LIM_MSG_BYTES_DEFAULT if 0 */
    bool force_pread;         /* do not try io_uring */
    bool no_total;            /* skip the stat walk behind input_bytes_total (it is then 0):
                                 it only feeds a progress line, and costs a stat per file */
    /* Called for a path-level error; detail names the path. May be NULL. */
    void (*on_path_error)(void *ctx, const char *path, const char *detail);
    void *ctx;
};

struct input_set;
struct input_chunk;

/* input_open prepares to read paths[0..n_paths) in order. Nothing is read yet. Never NULL. */
struct input_set *input_open(const char *const *paths, size_t n_paths,
                             const struct input_opts *opts);
/* input_next fills *out with the next message and returns true, or returns false at the
 * end of all inputs. The caller owns out->data afterwards. */
bool input_next(struct input_set *s, struct input_msg *out);
/* input_next_nowait is input_next that does not wait for a pipe, socket, fifo or terminal
 * (a live feed between messages): when the next message would need bytes the stream has
 * not delivered yet, it returns false with *would_block set, and a later call goes on from
 * there. Regular files are read as by input_next. */
bool input_next_nowait(struct input_set *s, struct input_msg *out, bool *would_block);
/* input_would_block: true when input_next would now wait for such a stream (its last
 * bytes are used up and no more are ready). Never true for regular files. */
bool input_would_block(const struct input_set *s);
/* input_stop_reading ends reading early (an interrupt, a refused resume, a failed output):
 * it waits for any read still in flight, so that none outlives the thread that started it
 * (the kernel ties an io_uring request to its submitter). input_next must not be called
 * afterwards; input_close still must. */
void input_stop_reading(struct input_set *s);
/* input_path_errors counts the path-level errors so far (exit status 1 if non-zero). */
size_t input_path_errors(const struct input_set *s);
/* input_bytes_read counts the bytes read so far (for progress). */
uint64_t input_bytes_read(const struct input_set *s);
/* input_bytes_total is the sum of the input files' sizes known at open (0 if unknown). */
uint64_t input_bytes_total(const struct input_set *s);
/* input_backend_name: "io_uring" or "read". */
const char *input_backend_name(const struct input_set *s);
void input_close(struct input_set *s);
void input_msg_free(struct input_msg *m);

/* Test hooks (tests/io, tests/fuzz), not for the program: the mbox splitter alone, fed
 * chunks the way the mbox reader feeds it, so tests can pick chunk sizes and compare it
 * with a reference. input_splitter_new starts a stream at offset 0; max_message_bytes is
 * used as given (input_open's default for 0 does not apply, its cap at SIZE_MAX / 4 does);
 * source is put in each message; scalar picks the portable scan over the SIMD one. Never
 * NULL.
 * input_splitter_feed consumes p[*pos..len) (p[0] at offset base) and returns true as
 * soon as a message is complete (*out filled, the caller owns out->data; *pos says how
 * far it read), false when p is used up; the caller feeds the next chunk from *pos = 0.
 * input_splitter_finish ends the stream at end_off: true if a last message was pending. */
struct input_splitter;
struct input_splitter *input_splitter_new(size_t max_message_bytes, const char *source,
                                          bool scalar);
bool input_splitter_feed(struct input_splitter *t, struct input_msg *out, const uint8_t *p,
                         size_t len, size_t *pos, uint64_t base);
bool input_splitter_finish(struct input_splitter *t, struct input_msg *out, uint64_t end_off);
void input_splitter_free(struct input_splitter *t);

#endif
