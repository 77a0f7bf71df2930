/* Spare parts of container directories: the upper/, work/, rootfs/ and /etc
 * files of a removed `run --rm` container, the directories empty, wait in
 * containers/.spares/ for the next container, which renames them in rather
 * than making them. On ext4 mounted with `discard` (as / here) each
 * directory removed costs a discard of its block, ~65 us, and each part
 * made an inode; the seven directories a run made and removed were ~0.7 ms
 * of its 7 (measured: the make/mount/remove cycle of a container's
 * directories, 0.76-0.98 ms before, 0.53-0.57 with spares). At most SLOTS
 * sets wait; container prune removes them. */
#pragma once
#include "util/error.h"

/* Moves one set of spares into the fresh container directory dirfd; what
 * is missing there the caller makes. */
void spares_take(int containers_fd, int dirfd);

/* Moves the parts of the removed container id (dirfd, still under that
 * name) that are as made (ours, their mode, no mount on them, directories
 * empty: work/ emptied of the overlay's own first) into the spares; the
 * rest stays for the removal. Only for a directory whose overlay is
 * unmounted and whose processes are gone, under the container's lock: the
 * next container gets them. */
void spares_keep(int containers_fd, const char *id, int dirfd);

/* Removes the spares, no container being made meanwhile (container prune). */
int spares_prune(int containers_fd, struct vessel_error *err);
