/*
 * bench_summary.c - the last step of `make bench`: gathers the JSON each
 * benchmark wrote into one summary (bench-results/summary.json) with the
 * machine it ran on, and prints the whole table.
 *
 *   bench-summary --out FILE [--started EPOCH_S] [--command TEXT] PART.json...
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

/* "model name" of the first CPU, or "unknown". */
static void cpu_model(char *out, size_t cap)
{
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");

    snprintf(out, cap, "unknown");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            colon += 2;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(out, cap, "%s", colon);
            break;
        }
    }
    fclose(f);
}

static json_object *machine(void)
{
    json_object *m = json_object_new_object();
    struct utsname u;
    char model[256];

    if (m == NULL)
        return NULL;
    cpu_model(model, sizeof(model));
    json_object_object_add(m, "cpu_model", json_object_new_string(model));
    json_object_object_add(m, "online_cpus", json_object_new_int64(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_object_add(m, "memory_mb", json_object_new_int64(
        (int64_t) sysconf(_SC_PHYS_PAGES) / 1024 * sysconf(_SC_PAGESIZE) / 1024));
    if (uname(&u) == 0) {
        char s[512];
        snprintf(s, sizeof(s), "%s %s %s", u.sysname, u.release, u.machine);
        json_object_object_add(m, "kernel", json_object_new_string(s));
    }
    return m;
}

static void print_row(json_object *r)
{
    json_object *name, *value, *unit, *base, *ratio, *target, *met;

    json_object_object_get_ex(r, "name", &name);
    json_object_object_get_ex(r, "value", &value);
    json_object_object_get_ex(r, "unit", &unit);
    printf("| %-36s | %14.2f %-10s |", json_object_get_string(name),
           json_object_get_double(value), json_object_get_string(unit));
    if (json_object_object_get_ex(r, "baseline", &base)
        && json_object_object_get_ex(r, "ratio", &ratio))
        printf(" %14.2f | %7.3f |", json_object_get_double(base), json_object_get_double(ratio));
    else
        printf(" %14s | %7s |", "", "");
    if (json_object_object_get_ex(r, "target", &target)
        && json_object_object_get_ex(r, "met", &met))
        printf(" %-20s | %-6s |\n", json_object_get_string(target),
               json_object_get_boolean(met) ? "met" : "MISSED");
    else
        printf(" %-20s | %-6s |\n", "", "");
}

int main(int argc, char **argv)
{
    const char *out = NULL, *command = "make bench";
    long long started = 0;
    json_object *sum = json_object_new_object(), *parts = json_object_new_array();
    int missed = 0, rc = 1;

    if (sum == NULL || parts == NULL)
        return 1;
    json_object_object_add(sum, "machine", machine());
    for (int i = 1; i < argc; i++) {
        json_object *part, *rows;
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--started") == 0 && i + 1 < argc) {
            started = strtoll(argv[++i], NULL, 10);
            continue;
        }
        if (strcmp(argv[i], "--command") == 0 && i + 1 < argc) {
            command = argv[++i];
            continue;
        }
        part = json_object_from_file(argv[i]);
        if (part == NULL || !json_object_object_get_ex(part, "rows", &rows)) {
            fprintf(stderr, "bench-summary: %s is missing or not a benchmark result\n", argv[i]);
            json_object_put(part);
            goto cleanup;
        }
        json_object_array_add(parts, part);
    }
    if (out == NULL) {
        fprintf(stderr, "usage: bench-summary --out FILE [--started EPOCH_S] [--command TEXT] "
                        "PART.json...\n");
        goto cleanup;
    }
    json_object_object_add(sum, "command", json_object_new_string(command));
    json_object_object_add(sum, "finished_epoch_s", json_object_new_int64(time(NULL)));
    if (started > 0)
        json_object_object_add(sum, "elapsed_s", json_object_new_int64(time(NULL) - started));
    printf("| %-36s | %25s | %14s | %7s | %-20s | %-6s |\n", "benchmark", "median",
           "baseline", "ratio", "target", "result");
    printf("|%s|%s|%s|%s|%s|%s|\n", "--------------------------------------",
           "---------------------------", "----------------", "---------",
           "----------------------", "--------");
    for (size_t p = 0; p < json_object_array_length(parts); p++) {
        json_object *rows, *met;
        json_object_object_get_ex(json_object_array_get_idx(parts, p), "rows", &rows);
        for (size_t i = 0; i < json_object_array_length(rows); i++) {
            json_object *r = json_object_array_get_idx(rows, i);
            print_row(r);
            if (json_object_object_get_ex(r, "met", &met) && !json_object_get_boolean(met))
                missed++;
        }
    }
    if (started > 0)
        printf("\nmake bench took %lld s; ", (long long) time(NULL) - started);
    printf("%d target(s) missed\n", missed);
    json_object_object_add(sum, "targets_missed", json_object_new_int(missed));
    json_object_object_add(sum, "benchmarks", parts);
    parts = NULL;
    if (json_object_to_file_ext(out, sum, JSON_C_TO_STRING_PRETTY) != 0) {
        fprintf(stderr, "bench-summary: cannot write %s\n", out);
        goto cleanup;
    }
    rc = 0;
cleanup:
    json_object_put(parts);
    json_object_put(sum);
    return rc;
}
