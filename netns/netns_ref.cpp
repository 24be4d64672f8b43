#include "netns_ref.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cstdio>
#include <cstdlib>

#include "error.hpp"

namespace skiff::net {

NetnsRef::NetnsRef(UniqueFd fd, std::string path, pid_t pid)
    : fd_(std::move(fd)), path_(std::move(path)), pid_(pid) {
  struct statfs sfs;
  if (::fstatfs(fd_.get(), &sfs) < 0) throw_errno("statfs " + path_);
  // A regular file or a directory would make setns fail later with a puzzling EINVAL.
  if (sfs.f_type != NSFS_MAGIC) throw Error(EINVAL, path_ + " is not a namespace");
  struct stat st;
  if (::fstat(fd_.get(), &st) < 0) throw_errno("stat " + path_);
  dev_ = st.st_dev;
  ino_ = st.st_ino;
}

NetnsRef NetnsRef::from_path(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open network namespace " + path);
  return NetnsRef(std::move(fd), path, 0);
}

NetnsRef NetnsRef::from_pid(pid_t pid) {
  if (pid <= 0) throw Error(EINVAL, "invalid pid " + std::to_string(pid));
  std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open network namespace of pid " + std::to_string(pid));
  return NetnsRef(std::move(fd), path, pid);
}

NetnsRef NetnsRef::from_fd(UniqueFd fd) {
  return NetnsRef(std::move(fd), "", 0);
}

NetnsRef NetnsRef::current() {
  UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open /proc/thread-self/ns/net");
  return NetnsRef(std::move(fd), "", 0);
}

NetnsEnter::NetnsEnter(int netns_fd) {
  home_ = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home_) throw_errno("open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) < 0) throw_errno("setns into network namespace");
}

NetnsEnter::~NetnsEnter() {
  if (::setns(home_.get(), CLONE_NEWNET) < 0) {
    std::perror("skiff: cannot return to the original network namespace");
    std::abort();
  }
}

}  // namespace skiff::net
