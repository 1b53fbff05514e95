/* inputs.h: reading the verifier's own inputs (AK file, nonce, evidence).
 * Each loader prints one error naming the input and returns -1; the
 * caller maps that to exit 2 (usage or unreadable input). */
#ifndef HV_INPUTS_H
#define HV_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/tpmpub.h"

#define HV_AK_MAX_SIZE 4096

int hv_load_ak(const char *path, struct hg_ak *ak);
/* The AK of HOST as the registry in state dir STATE (NULL: the default,
 * verifier/vstate.h) recorded it at enrollment. */
int hv_host_ak(const char *state, const char *host, struct hg_ak *ak);
/* The nonce for hostgate's own evidence: HG_NONCE_MIN..HG_NONCE_MAX
 * (8..64) bytes of hex. */
int hv_parse_nonce(const char *hex, uint8_t **nonce, size_t *len);
/* MIN..HG_NONCE_MAX bytes (MIN >= 1: an empty nonce is no nonce). */
int hv_parse_nonce_min(const char *hex, size_t min, uint8_t **nonce, size_t *len);
/* Evidence: read up to the cap + 1 so that "too large" reaches the decode
 * check (exit 3) instead of looking like an unreadable file. */
int hv_read_evidence(const char *path, uint8_t **buf, size_t *len);
/* A log for `show` (hostgate's or a firmware log), capped at CAP bytes:
 * 0 read; HV_EXIT_INVALID for a larger file (a log that size is invalid,
 * not unreadable); HV_EXIT_USAGE when it cannot be read. Errors printed. */
int hv_read_log(const char *path, size_t cap, uint8_t **buf, size_t *len);

#endif
