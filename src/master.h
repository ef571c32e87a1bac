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

#endif
