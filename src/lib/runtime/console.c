/* Container terminals over the console socket. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "mounts.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"

int console_socket_connect(const char *path, struct vessel_error *err)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path)
    return vessel_error_set(err, ENAMETOOLONG, "console socket `%s`", path);
  strcpy(addr.sun_path, path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return vessel_error_set(err, errno, "console socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return vessel_error_set(err, errno, "connect to console socket `%s`", path);
  return TAKE_FD(fd);
}

static int send_master(int socket_fd, int master, struct vessel_error *err)
{
  /* runc sends the pty's name as payload; clients only read the fd */
  static const char name[] = "/dev/ptmx";
  if (fdpass_send(socket_fd, name, sizeof name - 1, master) < 0)
    return vessel_error_set(err, errno, "send the terminal to the console socket");
  return 0;
}

static int open_pty(int master, int socket_fd, const struct spec_process *p,
                    struct vessel_error *err)
{
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
    return vessel_error_set(err, errno, "unlock pty");
  /* TIOCGPTPEER: the slave of this very master, no path lookup to fake */
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return vessel_error_set(err, errno, "open pty slave");
  if (p->console_size_set) {
    struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                         .ws_col = (unsigned short)p->console_width};
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (send_master(socket_fd, master, err) < 0) {
    close(slave);
    return -1;
  }
  return slave;
}

int console_setup(int rootfd, int socket_fd, const struct spec_process *p, struct vessel_error *err)
{
  _cleanup_close_ int master = fs_open_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0, err);
  if (master < 0)
    return vessel_error_prefix(err, "terminal: no devpts in the container");
  _cleanup_close_ int slave = open_pty(master, socket_fd, p, err);
  if (slave < 0)
    return -1;
  _cleanup_close_ int console = fs_mkpath_in_root(rootfd, "/dev/console", 0755, true, err);
  if (console < 0)
    return -1;
  _cleanup_close_ int tree =
      open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return vessel_error_set(err, errno, "bind pty on `/dev/console`");
  if (mount_move_to(tree, console, err) < 0)
    return vessel_error_prefix(err, "bind pty on `/dev/console`");
  return TAKE_FD(slave);
}

int console_setup_exec(int socket_fd, const struct spec_process *p, struct vessel_error *err)
{
  _cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return vessel_error_set(err, errno, "terminal: open `/dev/ptmx`");
  return open_pty(master, socket_fd, p, err);
}

int console_become(int tty, struct vessel_error *err)
{
  if (setsid() < 0)
    return vessel_error_set(err, errno, "setsid");
  if (ioctl(tty, TIOCSCTTY, 0) < 0)
    return vessel_error_set(err, errno, "set controlling terminal");
  for (int i = 0; i < 3; i++)
    if (tty != i && dup2(tty, i) < 0)
      return vessel_error_set(err, errno, "dup terminal");
  return 0;
}
