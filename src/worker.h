/*
 * A worker process: accepts one FastCGI request at a time on the shared
 * listening socket and serves it synchronously.
 */
#ifndef BUNNYBOOK_WORKER_H
#define BUNNYBOOK_WORKER_H

#include "config.h"

/*
 * Serve requests until SIGTERM.  ready_fd receives one byte once the
 * worker is about to accept (then it is closed).  Returns the process exit
 * status; the caller exits with it.
 */
int worker_run(const struct config *cfg, int listen_fd, int ready_fd);

/*
 * End the worker process with status.  Built with AddressSanitizer, it
 * first checks for leaks, because LeakSanitizer checks at exit() and a
 * worker leaves with _exit().
 */
_Noreturn void worker_exit(int status);

/* The configuration of the running worker, for handlers. */
const struct config *worker_config(void);

#endif
