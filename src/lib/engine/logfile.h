/* The json-file log of a container, as docker writes it: one JSON object a
 * line, {"log":"...","stream":"stdout","time":"RFC 3339 nano"}, in
 * <id>-json.log rotated to <id>-json.log.1 .. .N-1 by size. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/logwriter.h"

struct logfile;

/* Opens (appends to) dirfd/name; max_size 0 = never rotated, max_file < 2
 * truncates in place when full. dirfd must stay open while it is used. */
struct logfile *logfile_open(int dirfd, const char *name, long long max_size, int max_file,
                             struct vessel_error *err);
void logfile_close(struct logfile *l);
/* The writer inside: its entries (logwriter_write, logstream_feed). */
struct logwriter *logfile_writer(struct logfile *l);

/* The name of a container's log: <id>-json.log (out holds 80 bytes). */
void logfile_name(const char *id, char out[80]);

/* Reads dirfd/name and its rotated files, oldest first, entries filtered by
 * o (tail, since); with follow, then waits for more until alive(data) is
 * false, across rotation. fn returning < 0 stops the read with that. */
int logfile_read(int dirfd, const char *name, const struct engine_logs_opts *o,
                 bool (*alive)(int dirfd), int (*fn)(const struct engine_log_line *l, void *data),
                 void *data, struct vessel_error *err);

/* One line of a log (without its '\n') decoded in place: 0, or -1 when it
 * is no log entry. */
int logfile_parse_line(char *line, size_t len, struct engine_log_line *out);
