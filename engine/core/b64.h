/* b64: RFC 4648 base64 decoding as DKIM needs it (RFC 6376 §2.4: FWS inside base64 is
 * ignored). Strict otherwise: bad characters, bad padding or dangling bits fail. */
#ifndef AUTHSWEEP_B64_H
#define AUTHSWEEP_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/slice.h"

/* b64_decode writes the decoded bytes of `in` (whitespace skipped) into out (room for
 * out_cap bytes) and sets *out_len. False on any syntax error or if out_cap is too small. */
bool b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, slice in);
/* b64_decoded_max is an upper bound on the decoded size of in. */
static inline size_t b64_decoded_max(size_t in_len)
{
    return (in_len / 4 + 1) * 3;
}
/* b64_encode writes the base64 of in to out (room for b64_encoded_len(in.len)+1). */
size_t b64_encode(char *out, slice in);
static inline size_t b64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

#endif
