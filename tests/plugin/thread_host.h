/*
 * thread_host.h - a host table for the tests of the plugin's threads
 * (test_par, test_early_relay): it forwards every service to a mock_host
 * and counts the calls, and those made on any thread but the one that set
 * it up, since aconn.h section 8 wants every host call on the thread the
 * host called the plugin on.
 */
#ifndef THREAD_HOST_H
#define THREAD_HOST_H

#include <aconn/aconn.h>

#include "mock_host.h"

/* Fills *wrap with m's table whose services count their calls, and makes
   the calling thread the one they should run on; counts zeroed. pace is
   counted only when m has one (mock_host_enable_pace before). One wrapped
   mock at a time. */
void thread_host_wrap(aconn_host *wrap, mock_host *m);

/* Zeroes both counts. */
void thread_host_reset(void);

/* Service calls since the last reset. */
int thread_host_calls(void);

/* Of them, those made on another thread. */
int thread_host_off_thread(void);

#endif
