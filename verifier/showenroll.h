/* showenroll.h: 'show FILE' for the enrollment messages (lib/enrollmsg.h),
 * so that an operator can look at a request before enrolling it.
 *
 * An unverified dump, as the rest of 'show' is: the EK certificates are
 * described as verifier/showek.h does, without a chain check; public
 * areas are decoded for their key type and Name. A response's secret is
 * shown by length only.
 *
 * Contract: hv_show_enroll() returns -1 (printing nothing) when BUF is
 * none of the three messages, else the exit code (0) after printing to
 * stdout; PATH names the file in the output.
 */
#ifndef HV_SHOWENROLL_H
#define HV_SHOWENROLL_H

#include <stddef.h>
#include <stdint.h>

int hv_show_enroll(const char *path, const uint8_t *buf, size_t len, int json);

#endif
