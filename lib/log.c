/* SPDX-License-Identifier: Apache-2.0 */
/* log.c - the library logs only through the caller's handler. */
#include <stdio.h>

#include "vigil-private.h"

static vigil_log_handler log_handler;
static void *log_userdata;
static int log_max = VIGIL_LOG_INFO;

VIGIL_EXPORT void
vigil_log_set_handler(vigil_log_handler handler, void *userdata)
{
	log_handler = handler;
	log_userdata = userdata;
}

VIGIL_EXPORT void
vigil_log_set_priority(int max_priority)
{
	log_max = max_priority;
}

void
vigil_log(int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_handler || priority > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_handler(priority, msg, log_userdata);
}
