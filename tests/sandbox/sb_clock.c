/* sb_clock.c: wall and monotonic milliseconds and UTC formatting. The
 * sandbox clock is wall time plus a test-controlled offset (sb_now_ms in
 * sb_world.c), so auth-code expiry, processing delays, the daily update
 * budget and file expiry can be exercised without waiting. */
#include "sb.h"

#include <stdio.h>
#include <time.h>

int64_t sb_real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sb_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void to_tm(int64_t ms, struct tm *tm)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);

    if (gmtime_r(&t, tm) == NULL) {
        t = 0;
        gmtime_r(&t, tm);
    }
}

void sb_utc_day(int64_t ms, char *buf, size_t len)
{
    struct tm tm;

    to_tm(ms, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

void sb_utc_time(int64_t ms, char *buf, size_t len)
{
    struct tm tm;

    to_tm(ms, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}
