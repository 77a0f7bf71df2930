/* Internals shared by the image archive files: tar entries written with
 * libarchive and layer content hashed through any compression. */
#pragma once
#include <archive.h>
#include <archive_entry.h>

#include "image-internal.h"

#define ARCHIVE_BLOCK (1 << 20)
#define ARCHIVE_MAX_TOTAL (64ULL << 30) /* bytes of one archive, and of one layer */
#define ARCHIVE_MAX_ENTRIES 100000
#define ARCHIVE_MAX_IMAGES 1000

/* A pax tar writer on fd, or NULL with err. */
struct archive *tar_writer_new(int fd, struct vessel_error *err);
/* One directory entry (name ends without '/'). */
int tar_add_dir(struct archive *a, const char *name, struct vessel_error *err);
int tar_add_buf(struct archive *a, const char *name, const void *buf, size_t len,
                struct vessel_error *err);
/* A regular entry of size bytes read from fd at its offset. */
int tar_add_fd(struct archive *a, const char *name, int fd, unsigned long long size,
               struct vessel_error *err);

/* Reads a layer (uncompressed, gzip, zstd...) from fd to its end: fills the
 * digest of the uncompressed stream and its size. With out, the stream is
 * also written to out as the entry name (size must then be known: pass it
 * in *size). */
int layer_uncompressed(int fd, char diff_id[static DIGEST_LEN + 1], unsigned long long *size,
                       struct archive *out, const char *name, struct vessel_error *err);
