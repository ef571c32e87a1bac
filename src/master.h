/*
 * The prefork master: owns the listening socket and the worker processes.
 */
#ifndef BUNNYBOOK_MASTER_H
#define BUNNYBOOK_MASTER_H

#include <stdbool.h>

#include "config.h"

/*
 * Open the FastCGI socket, fork the workers and supervise them until
 * SIGTERM or SIGINT.  SIGHUP re-reads the configuration from config_path
 * and replaces the workers gracefully.  Returns the exit status.
 */
int master_run(struct config *cfg, const char *config_path,
    bool path_required);

/*
 * Check that this process can listen on listen, a unix socket path or
 * host:port.  A path needs a directory the process may create files in.
 * A host:port is tested by binding a socket and closing it.  Returns false
 * with errno set when the check fails.
 */
bool master_listen_usable(const char *listen);

#endif
