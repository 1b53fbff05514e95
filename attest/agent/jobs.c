/* jobs.c: the agent's workers and their hand-back to the event loop
 * (agent.h).
 *
 * A worker runs its jobs in order, one at a time, and writes each finished
 * job's pointer into the agent's pipe (one write of 8 bytes: atomic, below
 * PIPE_BUF); the loop reads them and replies. The queues are bounded, so
 * the pipe (64 KiB, 8192 pointers) never fills.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "../../lib/httpsd.h"
#include "../../lib/util.h"
#include "agent.h"

void ag_job_free(struct ag_job *j)
{
	if (j == NULL)
		return;
	free(j->body);
	free(j);
}

struct ag_job *ag_job_new(struct agent *ag, struct evhttp_request *req,
			  void (*run)(struct ag_job *j))
{
	struct ag_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		hg_httpsd_reply_error(req, 500, "out of memory");
		return NULL;
	}
	j->ag = ag;
	j->req = req;
	j->run = run;
	j->status = 500;
	return j;
}

static void *worker_main(void *arg)
{
	struct ag_worker *w = arg;
	struct ag_job *j;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		j = w->head;
		w->head = j->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		j->next = NULL;
		j->run(j);
		/* queued counts the job until it is handed back: the pipe
		 * then never holds more than max per worker. */
		if (hg_write_all(w->done_fd, &j, sizeof(j)) < 0) {
			hg_err("agent: %s worker: cannot hand a job back: %s", w->name,
			       strerror(errno));
			ag_job_free(j);
		}
	}
	return NULL;
}

int ag_worker_start(struct ag_worker *w, const char *name, unsigned max,
		    int done_fd)
{
	int e;

	w->name = name;
	w->max = max;
	w->done_fd = done_fd;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((e = pthread_create(&w->th, NULL, worker_main, w)) != 0) {
		hg_err("agent: cannot start the %s worker: %s", name, strerror(e));
		return -1;
	}
	w->started = 1;
	return 0;
}

int ag_worker_submit(struct ag_worker *w, struct ag_job *j)
{
	int ret = -1;

	pthread_mutex_lock(&w->mu);
	if (!w->stop && w->queued < w->max) {
		j->next = NULL;
		j->worker = w;
		if (w->tail != NULL)
			w->tail->next = j;
		else
			w->head = j;
		w->tail = j;
		w->queued++;
		pthread_cond_signal(&w->cv);
		ret = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return ret;
}

void ag_job_submit_or_busy(struct ag_worker *w, struct ag_job *j)
{
	if (ag_worker_submit(w, j) == 0)
		return;
	evhttp_add_header(evhttp_request_get_output_headers(j->req), "Retry-After", "1");
	hg_httpsd_reply_error(j->req, 503, "busy: %u %s requests already waiting",
			      w->max, w->name);
	ag_job_free(j);
}

void ag_worker_stop(struct ag_worker *w)
{
	struct ag_job *j, *next;

	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	w->started = 0;
	for (j = w->head; j != NULL; j = next) {
		next = j->next;
		ag_job_free(j);
	}
	w->head = w->tail = NULL;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

static void reply(struct ag_job *j)
{
	if (j->body != NULL)
		hg_httpsd_reply_bytes(j->req, j->status, j->ctype, j->body, j->len);
	else
		hg_httpsd_reply_error(j->req, j->status, "%s",
				      j->err[0] != '\0' ? j->err : "internal error");
}

void ag_jobs_done_cb(int fd, short what, void *arg)
{
	struct ag_job *j;

	(void)what;
	(void)arg;
	while (read(fd, &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		struct ag_worker *w = j->worker;

		reply(j);
		ag_job_free(j);
		/* The worker counted the job until now: its slot is free. */
		pthread_mutex_lock(&w->mu);
		w->queued--;
		pthread_mutex_unlock(&w->mu);
	}
}

void ag_jobs_drain(int fd)
{
	struct ag_job *j;

	while (read(fd, &j, sizeof(j)) == (ssize_t)sizeof(j))
		ag_job_free(j);
}
