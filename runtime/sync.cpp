#include "sync.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace skiff {
namespace {
int g_child_sync_fd = -1;
}

int sync_send(int sock, SyncType type, int err, const char* text, int pass_fd) noexcept {
  SyncMsg m;
  m.type = type;
  m.err = err;
  m.text[0] = 0;
  size_t len = 0;
  if (text) {
    len = strnlen(text, sizeof m.text - 1);
    memcpy(m.text, text, len);
    m.text[len] = 0;
  }
  struct iovec iov = {&m, offsetof(SyncMsg, text) + len + 1};
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  if (pass_fd >= 0) {
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return -errno;
  }
  return 0;
}

int sync_recv(int sock, SyncMsg* m, int* fd_out) noexcept {
  if (fd_out) *fd_out = -1;
  struct iovec iov = {m, sizeof *m};
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof cbuf;
  ssize_t n;
  while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) return -errno;
  }
  if (n == 0) return 0;
  if (static_cast<size_t>(n) < offsetof(SyncMsg, text)) return -EPROTO;
  m->text[sizeof m->text - 1] = 0;
  if (static_cast<size_t>(n) == offsetof(SyncMsg, text)) m->text[0] = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      if (fd_out)
        *fd_out = fd;
      else
        close(fd);
    }
  }
  return 1;
}

void set_child_sync_fd(int fd) noexcept {
  g_child_sync_fd = fd;
}

void child_fail(int err, const char* fmt, ...) noexcept {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (err && static_cast<size_t>(n) < sizeof buf)
    snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ": %s", strerror(err));
  if (g_child_sync_fd >= 0) {
    sync_send(g_child_sync_fd, SyncType::error, err, buf);
  } else {
    // No parent to tell (it already returned): the container's stderr is all there is.
    dprintf(STDERR_FILENO, "skiff-runtime: %s\n", buf);
  }
  _exit(127);
}

}  // namespace skiff
