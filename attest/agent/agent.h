/* agent.h: hostgate-attest agent, the host's HTTPS endpoint for the
 * verifier service (docs/agent.md).
 *
 *   POST /v1/evidence  {"nonce": HEX[, "since": {"boot": HEX, "recnum": N}]}
 *                      -> the evidence bundle (application/cbor), exactly
 *                      as `hostgate-attest quote --nonce` makes it
 *   GET  /v1/domains   the running libvirt domains (read-only connection)
 *   GET  /v1/health    {"status", "version", "tpm", "ak"}
 *
 * Only clients whose certificate chains to the verifier CA are served
 * (lib/httpsd.h holds the TLS and the size, time and connection bounds).
 *
 * Threads: the event loop (HTTP, JSON, replies) and two workers that run
 * the blocking calls, one job at a time each: the TPM worker (quotes and
 * the health probe: TPM use is serialised here, and with measure and the
 * gate by the state directory's tpm.lock inside hg_quote_evidence()) and
 * the libvirt worker (a hung libvirtd must not hold up quotes). A worker
 * hands a finished job back through a pipe; the loop replies. Each queue
 * holds at most agent-max-conns jobs; beyond it a request gets 503.
 */
#ifndef HG_AGENT_H
#define HG_AGENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/evidence.h"
#include "../evquote.h"
#include "../opts.h"

struct evhttp_request;
struct event_base;
struct event;
struct hg_httpsd;

/* 8 bytes of request body per nonce byte is plenty: the largest valid
 * request is well under 1 KiB. */
#define AG_MAX_BODY 4096
#define AG_MAX_HEADERS 8192

struct ag_job;

struct ag_worker {
	const char *name;        /* "TPM", "libvirt": for messages */
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ag_job *head, *tail;
	unsigned queued, max;
	int stop;
	int done_fd;             /* the write end of the agent's pipe */
};

struct agent {
	struct hg_opts o;
	const char *uefi_log;    /* --uefi-log, or NULL: the kernel's */
	const char *virt_uri;    /* --connect */
	uint32_t mask;           /* PCRs quoted: 0-9 and the hostgate PCR */
	struct event_base *base;
	struct hg_httpsd *srv;
	struct ag_worker tpm, virt;
	int pipe_fd[2];
	struct event *pipe_ev;
};

/* A unit of blocking work: RUN on a worker fills status and the reply;
 * the loop then sends it to REQ (if the agent still runs). */
struct ag_job {
	struct ag_job *next;
	struct ag_worker *worker; /* set by ag_worker_submit() */
	struct agent *ag;
	struct evhttp_request *req;
	void (*run)(struct ag_job *j);
	/* input */
	uint8_t nonce[HG_NONCE_MAX];
	size_t nonce_len;
	int has_since;
	struct hg_since since;
	/* output: BODY (malloc) of CTYPE, or ERR as {"error": ...} */
	int status;
	const char *ctype;
	uint8_t *body;
	size_t len;
	char err[512];
};

/* jobs.c */
int ag_worker_start(struct ag_worker *w, const char *name, unsigned max,
		    int done_fd);
/* Queue J; -1 (J untouched) when the queue is full or stopping. */
int ag_worker_submit(struct ag_worker *w, struct ag_job *j);
/* Stop after the job in hand; the queued ones are freed unanswered. */
void ag_worker_stop(struct ag_worker *w);
/* The loop's side of the pipe: reply to each finished job and free it. */
void ag_jobs_done_cb(int fd, short what, void *arg);
/* After the workers stopped: free the finished jobs never answered. */
void ag_jobs_drain(int fd);
void ag_job_free(struct ag_job *j);
/* A job for REQ, or NULL after a 500 reply. */
struct ag_job *ag_job_new(struct agent *ag, struct evhttp_request *req,
			  void (*run)(struct ag_job *j));
/* Queue J on W, or answer 503 (full) and free it. */
void ag_job_submit_or_busy(struct ag_worker *w, struct ag_job *j);

/* evidence.c, domains.c, health.c: the routes. */
void ag_evidence(struct evhttp_request *req, void *arg);
void ag_domains(struct evhttp_request *req, void *arg);
void ag_health(struct evhttp_request *req, void *arg);

/* 1 if REQ's method is one of MASK (EVHTTP_REQ_*); else answers 405 with
 * an Allow header and returns 0. */
int ag_method(struct evhttp_request *req, int mask, const char *allow);

#endif
