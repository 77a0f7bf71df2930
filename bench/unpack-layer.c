/* unpack-layer: the engine's layer unpacking alone, for bench/engine.sh:
 * unpacks TARBALL (plain, gzip or zstd) into DIR (which must not exist)
 * exactly as the store does, without the store's final syncfs.
 * Usage: unpack-layer TARBALL DIR */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "image/image.h"

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: unpack-layer TARBALL DIR\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  struct vessel_error err = {0};
  if (image_unpack_layer(fd, argv[2], false, &err) < 0) {
    fprintf(stderr, "unpack-layer: %s\n", err.msg);
    return 1;
  }
  close(fd);
  return 0;
}
