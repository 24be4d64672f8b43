// A handle on a network namespace given by path (a bind mount like /run/netns/x, or /proc/PID/ns/net)
// or by pid, plus the identity (nsfs device + inode) that IPAM records to tell a live namespace from a
// gone one. And NetnsEnter: the calling thread inside another namespace for one scope.
#pragma once

#include <sys/types.h>

#include <string>

#include "unique_fd.hpp"

namespace skiff::net {

class NetnsRef {
 public:
  static NetnsRef from_path(const std::string& path);
  static NetnsRef from_pid(pid_t pid);
  // Takes a descriptor already open on a namespace (a test holding an anonymous namespace).
  static NetnsRef from_fd(UniqueFd fd);
  // The calling thread's namespace.
  static NetnsRef current();

  int fd() const noexcept { return fd_.get(); }
  dev_t dev() const noexcept { return dev_; }
  ino_t ino() const noexcept { return ino_; }
  const std::string& path() const noexcept { return path_; }
  pid_t pid() const noexcept { return pid_; }
  bool same_as(const NetnsRef& o) const noexcept { return dev_ == o.dev_ && ino_ == o.ino_; }

 private:
  NetnsRef(UniqueFd fd, std::string path, pid_t pid);
  UniqueFd fd_;
  std::string path_;
  pid_t pid_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// Moves the calling thread into `netns_fd` and back on destruction. Only the calling thread moves
// (setns is per thread). Failing to return would leave the thread doing host work in a container's
// namespace, so that failure terminates the process.
class NetnsEnter {
 public:
  explicit NetnsEnter(int netns_fd);
  ~NetnsEnter();
  NetnsEnter(const NetnsEnter&) = delete;
  NetnsEnter& operator=(const NetnsEnter&) = delete;

 private:
  UniqueFd home_;
};

}  // namespace skiff::net
