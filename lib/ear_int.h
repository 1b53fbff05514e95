/* ear_int.h: the EAR claim labels, shared by the encoder (ear.c) and the
 * decoder (ear_dec.c) and nothing else.
 *
 * draft-ietf-rats-ear-04 "EAR Data Model" (its CDDL and JC<> label table);
 * CWT claims RFC 8392 §3.1.4 (exp), §3.1.6 (iat); EAT (RFC 9711)
 * eat_nonce, eat_profile, submods; AR4SI (draft-ietf-rats-ar4si) for the
 * verifier-id members.
 */
#ifndef HG_EAR_INT_H
#define HG_EAR_INT_H

/* Claim labels (draft-ietf-rats-ear-04 "EAR Data Model"; RFC 8392 §3.1). */
#define L_EXP 4
#define L_IAT 6
#define L_NONCE 10
#define L_PROFILE 265
#define L_SUBMODS 266
#define L_STATUS 1000
#define L_TV 1001
#define L_POLICY_ID 1003
#define L_VERIFIER_ID 1004
/* hostgate's private claim (RFC 8392 §9.1: below -65536 is private use). */
#define L_MEASURED (-70000)
/* ear.verifier-id members (AR4SI verifier-id: developer, build). */
#define L_DEVELOPER 0
#define L_BUILD 1
/* hostgate.measured entry members. */
#define M_KIND 0
#define M_NAME 1
#define M_RECORD 2
#define M_ALG 3
#define M_DIGEST 4

#endif
