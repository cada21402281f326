/* ref_splitter: the previous mbox splitter of io/input.c, the reference the new one is
 * compared against (tests only). Same contract as input_splitter_* in io/input.h. */
#ifndef AUTHSWEEP_TEST_REF_SPLITTER_H
#define AUTHSWEEP_TEST_REF_SPLITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/input.h"

struct ref_splitter;

/* ref_splitter_new starts an mbox stream at offset 0; source is stored in each message.
 * max_message_bytes is used as given (0 means 0 here), capped at SIZE_MAX / 4. Never NULL. */
struct ref_splitter *ref_splitter_new(size_t max_message_bytes, const char *source);
/* ref_splitter_feed consumes p[*pos..len) (p[0] at offset base); true as soon as a message
 * is complete (*out filled, the caller owns out->data), false when p is used up. */
bool ref_splitter_feed(struct ref_splitter *r, struct input_msg *out, const uint8_t *p,
                       size_t len, size_t *pos, uint64_t base);
/* ref_splitter_finish ends the stream at end_off: true if a last message was pending. */
bool ref_splitter_finish(struct ref_splitter *r, struct input_msg *out, uint64_t end_off);
void ref_splitter_free(struct ref_splitter *r);

#endif
