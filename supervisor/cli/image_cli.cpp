// Image and container commands of `skiff`: pull, images, rmi, image prune|inspect|ls, run, rm.
// `skiff run` links the runtime library (never shells out to skiff-runtime) and keeps the same state
// root as skiff-runtime, so `skiff-runtime list` sees skiff's containers.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "archive_io.hpp"
#include "bundle_builder.hpp"
#include "cli_commands.hpp"
#include "container.hpp"
#include "container_log.hpp"
#include "container_rootfs.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "layout_import.hpp"
#include "puller.hpp"
#include "reference_index.hpp"
#include "rootless_userns.hpp"
#include "run_flag_values.hpp"
#include "state.hpp"
#include "store_gc.hpp"
#include "store_locations.hpp"
#include "unique_fd.hpp"

namespace skiff::cli {

namespace img = skiff::image;

namespace {

img::StorePaths store() {
  return image_store();
}

std::string human_size(uint64_t b) {
  char buf[32];
  if (b >= 1000000000)
    std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1000000)
    std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
  return buf;
}

img::Image pull(const std::string& ref_text, const std::string& platform, bool quiet) {
  auto ref = img::Reference::parse(ref_text);
  img::PullOptions o;
  if (!platform.empty()) o.platform = img::Platform::parse(platform);
  img::PullProgress progress(!quiet && img::PullProgress::stderr_is_tty());
  o.progress = &progress;
  auto t0 = std::chrono::steady_clock::now();
  img::PullStats stats;
  auto image = img::pull_image(store(), ref, o, &stats);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char line[256];
  std::snprintf(line, sizeof line, "%s: %zu layers downloaded (%s), %zu extracted in %.2f s",
                image.ref.c_str(), stats.layers_downloaded,
                human_size(static_cast<uint64_t>(stats.bytes_downloaded)).c_str(), stats.layers_extracted,
                secs);
  progress.finish(line);
  return image;
}

std::string random_id() {
  unsigned char b[6];
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::read(fd, b, sizeof b) != static_cast<ssize_t>(sizeof b))
    throw Error(errno, "read /dev/urandom");
  ::close(fd);
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char c : b) {
    id += hex[c >> 4];
    id += hex[c & 15];
  }
  return id;
}

// Docker's --security-opt forms: "key=value" (or the older "key:value"), and a bare
// "no-new-privileges".
void apply_security_opt(img::RunFlags& flags, const std::string& opt) {
  size_t sep = opt.find_first_of("=:");
  std::string key = opt.substr(0, sep);
  std::string value = sep == std::string::npos ? "" : opt.substr(sep + 1);
  if (key == "no-new-privileges" && (value.empty() || value == "true" || value == "false")) {
    flags.no_new_privileges = value != "false";
  } else if (key == "seccomp" && !value.empty()) {
    flags.seccomp = value;
  } else {
    throw Error("--security-opt " + opt +
                ": expected seccomp=FILE|unconfined or no-new-privileges[=true|false]");
  }
}

// `run -d --rm`, in the log keeper after the output has ended: waits for the container (the same one:
// its init's start time) to stop, then removes it and its rootfs.
void remove_when_stopped(const img::StorePaths& paths, const std::string& id, unsigned long long start_time) {
  skiff::Runtime rt(runtime_root());
  pid_t pid;
  {
    auto lock = rt.store().open(id);  // throws once it is gone (skiff rm): nothing to do then
    auto st = rt.store().load(lock);
    if (st.pid_start_time != start_time || st.bundle != paths.container(id)) return;
    pid = st.pid;
  }
  // Its output may end long before it does (a daemon closing stdout): sleep on a pidfd until it exits.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd && nlohmann::json::parse(rt.state_json(id)).value("status", "") != "stopped") {
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
  }
  for (int i = 0; i < 200; ++i) {
    auto lock = rt.store().open(id);
    if (rt.store().load(lock).pid_start_time != start_time) return;
    lock = skiff::StateStore::Locked{};
    if (nlohmann::json::parse(rt.state_json(id)).value("status", "") == "stopped") {
      rt.remove(id, /*force=*/false);
      img::remove_container_rootfs(paths, id);
      return;
    }
    ::usleep(50 * 1000);
  }
}

struct RunArgs {
  img::RunFlags flags;
  std::string image, name, platform;
  bool rm = false, detach = false, interactive = false;
  std::vector<std::string> cmd;
  LogLimits log_limits;
};

// Docker's --log-opt max-size=SIZE and max-file=N (the only two that mean anything here).
void apply_log_opt(LogLimits& l, const std::string& opt) {
  size_t eq = opt.find('=');
  std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
  if (key == "max-size" && !value.empty()) {
    int64_t n = img::parse_size("log-opt max-size", value);
    if (n <= 0) throw Error("--log-opt " + opt + ": the size must be positive");
    l.max_size = static_cast<uint64_t>(n);
  } else if (key == "max-file" && !value.empty() && value.size() < 4 &&
             value.find_first_not_of("0123456789") == std::string::npos && std::stoi(value) > 0) {
    l.max_files = static_cast<unsigned>(std::stoi(value));
  } else {
    throw Error("--log-opt " + opt + ": expected max-size=SIZE or max-file=N (1-999)");
  }
}

// While a container is started, the runtime hands our own stdio to its init: for a detached container
// stdin is /dev/null and stdout/stderr the log pipe; in the foreground stdout and stderr are the log
// keeper's pipes (it copies them on to the terminal). A negative fd leaves that one as it is. Restored
// when this goes out of scope.
class RedirectedStdio {
 public:
  RedirectedStdio(int in_fd, int out_fd, int err_fd) {
    for (int fd = 0; fd < 3; ++fd) {
      saved_[fd].reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
      if (!saved_[fd]) throw Error(errno, "save stdio");
    }
    std::fflush(stdout);
    std::fflush(stderr);
    // Our own messages meanwhile (the runtime's warnings: no cgroups when rootless, ...) are not the
    // container's output: the stderr stream keeps writing where fd 2 went before.
    if (err_fd >= 0) {
      int fd = ::fcntl(saved_[2].get(), F_DUPFD_CLOEXEC, 3);
      own_stderr_ = fd < 0 ? nullptr : ::fdopen(fd, "w");
      if (!own_stderr_ && fd >= 0) ::close(fd);
      if (own_stderr_) {
        std::setvbuf(own_stderr_, nullptr, _IONBF, 0);
        container_stderr_ = stderr;
        stderr = own_stderr_;
      }
    }
    const int to[3] = {in_fd, out_fd, err_fd};
    for (int fd = 0; fd < 3; ++fd)
      if (to[fd] >= 0 && ::dup2(to[fd], fd) < 0) {
        int e = errno;
        restore();  // no destructor runs for a constructor that throws
        throw Error(e, "redirect stdio to the log");
      }
  }
  ~RedirectedStdio() { restore(); }
  RedirectedStdio(const RedirectedStdio&) = delete;
  RedirectedStdio& operator=(const RedirectedStdio&) = delete;

 private:
  void restore() {
    std::fflush(stdout);
    std::fflush(stderr);
    if (own_stderr_) {
      stderr = container_stderr_;
      std::fclose(own_stderr_);
    }
    for (int fd = 0; fd < 3; ++fd)
      if (saved_[fd]) ::dup2(saved_[fd].get(), fd);
    own_stderr_ = nullptr;
    for (auto& fd : saved_) fd.reset();
  }

  UniqueFd saved_[3];
  FILE* own_stderr_ = nullptr;        // our stderr stream while fd 2 is the container's
  FILE* container_stderr_ = nullptr;  // the usual stderr stream (on fd 2), put back afterwards
};

int run_container(RunArgs& a) {
  if (a.detach && a.flags.tty) throw Error("-t with -d is not supported (there is no console to attach to)");
  std::string id = a.name.empty() ? random_id() : a.name;
  skiff::validate_container_id(id);
  // Rootless: everything from here (pull, rootfs, the container) happens in a user namespace of our own;
  // entered first, while we have one thread (a pull starts more).
  if (::geteuid() != 0) enter_rootless_user_namespace();
  auto paths = store();
  skiff::Runtime rt(runtime_root());
  img::ContainerBundle bundle;
  auto t0 = std::chrono::steady_clock::now();
  {
    // The image's layers must not be pruned between lookup and the container's record.
    auto image = img::find_local_image(paths, a.image);
    if (!image) image = pull(a.image, a.platform, false);
    auto writing = img::hold_store_for_writing(paths);
    img::BlobStore blobs(paths);
    img::LayerStore ls(paths, blobs);
    ls.unpack(image->manifest, image->config);  // no-op when the layers are there (they are after a pull)
    bundle =
        img::create_container_rootfs(paths, id, {image->ref, image->manifest_desc.digest, image->chain_ids});
    try {
      a.flags.cmd = a.cmd;
      auto spec = img::build_bundle_config(image->config, a.flags, bundle.rootfs, image->ref,
                                           img::StorePaths::rootless());
      img::write_bundle_file(bundle.dir + "/config.json", spec.dump(2) + "\n");
    } catch (...) {
      img::remove_container_rootfs(paths, id);
      throw;
    }
  }
  if (std::getenv("SKIFF_TIMING"))
    std::fprintf(stderr, "skiff: rootfs ready in %.2f ms\n",
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  skiff::CreateOptions co;
  co.id = id;
  co.bundle = bundle.dir;
  int status;
  LogKeeper keeper;
  try {
    if (a.detach) {
      // The log keeper outlives us; the pipe's write end lives on only in the container. With --rm it
      // also removes the container once its output has ended and it has stopped.
      std::function<void(unsigned long long)> remover;
      if (a.rm)
        remover = [id, paths](unsigned long long start_time) { remove_when_stopped(paths, id, start_time); };
      keeper = start_log_keeper(bundle.dir, a.log_limits, remover);
      UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
      if (!null) throw Error(errno, "open /dev/null");
      RedirectedStdio stdio(null.get(), keeper.output.get(), keeper.output.get());
      status = rt.run(co, /*detach=*/true, /*keep=*/true);
    } else if (!a.rm) {
      // A kept foreground container's output is kept too (skiff logs), as the keeper copies it on to
      // our stdout and stderr. With -t, the runtime copies the terminal's output to our stdout.
      LogEcho echo;
      keeper = start_log_keeper(bundle.dir, a.log_limits, nullptr, &echo);
      {
        RedirectedStdio stdio(-1, keeper.output.get(), a.flags.tty ? -1 : keeper.error_output.get());
        keeper = LogKeeper{};  // the container's stdio (and our own meanwhile) are the pipes' last writers
        status = rt.run(co, /*detach=*/false, /*keep=*/true);
      }
      // Back at the shell only once everything the container wrote is on the terminal.
      wait_log_keeper(bundle.dir);
    } else {
      status = rt.run(co, /*detach=*/false, /*keep=*/false);
    }
  } catch (...) {
    img::remove_container_rootfs(paths, id);
    throw;
  }
  if (a.detach) {
    // The container runs: from here on a failure must not remove it (skiff rm does, if need be).
    keeper.output.reset();  // only the container writes the log now
    if (a.rm) {
      auto lock = rt.store().open(id);
      unsigned long long start_time = rt.store().load(lock).pid_start_time;
      if (::write(keeper.confirm.get(), &start_time, sizeof start_time) != sizeof start_time)
        throw Error(errno, "hand " + id + " to its log keeper for --rm (it runs; skiff rm removes it)");
    }
    std::printf("%s\n", id.c_str());
    return 0;
  }
  if (a.rm) img::remove_container_rootfs(paths, id);
  return status;
}

}  // namespace

void register_image_commands(CLI::App& app, ExitCode& exit_code) {
  // skiff pull
  auto* pull_cmd = app.add_subcommand("pull", "Pull an image from a registry into the store");
  auto pull_ref = std::make_shared<std::string>();
  auto pull_platform = std::make_shared<std::string>();
  auto pull_quiet = std::make_shared<bool>(false);
  pull_cmd->add_option("image", *pull_ref, "Image reference (busybox, host:port/repo:tag, repo@sha256:...)")
      ->required();
  pull_cmd->add_option("--platform", *pull_platform, "os/arch[/variant], default the host's");
  pull_cmd->add_flag("-q,--quiet", *pull_quiet, "No progress display");
  pull_cmd->callback([=, &exit_code] {
    auto image = pull(*pull_ref, *pull_platform, *pull_quiet);
    std::printf("%s\n", image.manifest_desc.digest.str().c_str());
    exit_code.value = 0;
  });

  // skiff images / skiff image ls
  auto list_images = [] {
    auto paths = store();
    img::BlobStore blobs(paths);
    auto refs = img::ReferenceIndex(paths).list();
    // The reference column is as wide as the longest reference, so every row lines up with the header.
    int width = 9;  // "REFERENCE"
    for (const auto& r : refs) width = std::max(width, static_cast<int>(r.ref.size()));
    std::printf("%-*s  %-12s  %10s\n", width, "REFERENCE", "IMAGE ID", "SIZE");
    for (const auto& r : refs) {
      uint64_t size = 0;
      try {
        auto m = img::parse_manifest(blobs.read(r.manifest.digest), r.ref);
        for (const auto& l : m.layers) size += static_cast<uint64_t>(l.size);
      } catch (const std::exception&) {
      }
      std::printf("%-*s  %-12s  %10s\n", width, r.ref.c_str(),
                  std::string(r.manifest.digest.hex().substr(0, 12)).c_str(), human_size(size).c_str());
    }
  };
  app.add_subcommand("images", "List the images in the store")->callback(list_images);
  auto* image_cmd = app.add_subcommand("image", "Manage images");
  image_cmd->require_subcommand(1);
  image_cmd->add_subcommand("ls", "List the images in the store")->callback(list_images);
  image_cmd->add_subcommand("prune", "Remove manifests, blobs and layers that no reference or container uses")
      ->callback([] {
        auto r = img::prune_store(store());
        std::printf("removed %zu blobs (%s) and %zu layers\n", r.blobs, human_size(r.bytes).c_str(),
                    r.layers);
      });
  auto* inspect = image_cmd->add_subcommand("inspect", "Print an image's config");
  auto inspect_ref = std::make_shared<std::string>();
  inspect->add_option("image", *inspect_ref)->required();
  inspect->callback([=, &exit_code] {
    auto image = img::find_local_image(store(), *inspect_ref);
    if (!image) throw Error("image " + *inspect_ref + " is not in the store");
    nlohmann::json j{
        {"ref", image->ref}, {"manifest", image->manifest_desc.digest.str()}, {"config", image->config.raw}};
    std::printf("%s\n", j.dump(2).c_str());
    exit_code.value = 0;
  });

  auto* load = image_cmd->add_subcommand(
      "load", "Load an image from an OCI layout directory, an oci-archive or a docker save tar");
  auto load_dir = std::make_shared<std::string>();
  auto load_opts = std::make_shared<img::LoadOptions>();
  load->add_option("-i,--input", *load_dir, "OCI layout directory, oci-archive or docker save tar")
      ->required();
  load->add_option("--ref", load_opts->layout_ref, "Which image of the layout (its ref name)");
  load->add_option("--name", load_opts->name, "Reference to store it under");
  load->callback([=, &exit_code] {
    auto t0 = std::chrono::steady_clock::now();
    struct stat st {};
    if (::stat(load_dir->c_str(), &st) != 0) throw Error(errno, "image load " + *load_dir);
    std::vector<img::Image> images;
    if (S_ISDIR(st.st_mode))
      images.push_back(img::load_oci_layout(store(), *load_dir, *load_opts));
    else
      images = img::load_image_archive(store(), *load_dir, *load_opts);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& image : images)
      std::printf("loaded %s (%s) in %.3f s\n", image.ref.c_str(), image.manifest_desc.digest.str().c_str(),
                  secs);
    exit_code.value = 0;
  });

  auto* save = image_cmd->add_subcommand("save", "Write an image of the store to an oci-archive file");
  auto save_ref = std::make_shared<std::string>();
  auto save_out = std::make_shared<std::string>();
  save->add_option("-o,--output", *save_out, "The archive to write")->required();
  save->add_option("image", *save_ref, "Image reference or id")->required();
  save->callback([=, &exit_code] {
    auto image = img::find_local_image(store(), *save_ref);
    if (!image) throw Error("image " + *save_ref + " is not in the store");
    img::save_oci_archive(store(), *image, *save_out);
    exit_code.value = 0;
  });

  // skiff rmi
  auto* rmi = app.add_subcommand("rmi", "Remove image references (then `skiff image prune` frees the space)");
  auto rmi_refs = std::make_shared<std::vector<std::string>>();
  rmi->add_option("image", *rmi_refs)->required();
  rmi->callback([=, &exit_code] {
    img::ReferenceIndex index(store());
    for (const auto& r : *rmi_refs) {
      std::string canon = img::Reference::parse(r).str();
      if (!index.remove(canon)) {
        std::fprintf(stderr, "skiff: rmi %s: no such image\n", r.c_str());
        exit_code.value = 1;
      } else {
        std::printf("untagged %s\n", canon.c_str());
      }
    }
  });

  // skiff run
  auto* run = app.add_subcommand("run", "Run a command in a new container from an image");
  auto ra = std::make_shared<RunArgs>();
  run->add_flag("--rm", ra->rm, "Remove the container when it exits");
  run->add_option("--name", ra->name, "Container name (id)");
  run->add_flag("-d,--detach", ra->detach, "Run in the background and print the id");
  run->add_flag("-i,--interactive", ra->interactive, "Keep stdin open (always the case here)");
  run->add_flag("-t,--tty", ra->flags.tty, "Allocate a terminal");
  run->add_option("-e,--env", ra->flags.env, "KEY=VALUE, or KEY to pass ours")
      ->take_all()
      ->allow_extra_args(false);
  run->add_option("-w,--workdir", ra->flags.workdir, "Working directory in the container");
  run->add_option("-u,--user", ra->flags.user, "user|uid[:group|gid]");
  auto entrypoint = std::make_shared<std::string>();
  auto* entrypoint_opt = run->add_option("--entrypoint", *entrypoint, "Replace the image's entrypoint");
  run->add_option("-v,--volume", ra->flags.volumes, "/HOST:/CONTAINER[:ro]")
      ->take_all()
      ->allow_extra_args(false);
  run->add_option("--tmpfs", ra->flags.tmpfs, "Mount a tmpfs at this path")
      ->take_all()
      ->allow_extra_args(false);
  run->add_flag("--read-only", ra->flags.read_only, "Read-only root file system");
  run->add_option("--hostname", ra->flags.hostname, "Container host name");
  run->add_option("--network", ra->flags.network, "none (default) or host");
  run->add_option("--cap-add", ra->flags.cap_add)->take_all()->allow_extra_args(false);
  run->add_option("--cap-drop", ra->flags.cap_drop)->take_all()->allow_extra_args(false);
  run->add_option("--env-file", ra->flags.env_files, "Read KEY=VALUE lines from a file (before -e)")
      ->take_all()
      ->allow_extra_args(false);
  run->add_option("-m,--memory", ra->flags.resources.memory, "Memory limit (64m, 1g)");
  run->add_option("--cpus", ra->flags.resources.cpus, "CPU time limit in CPUs (0.5)");
  run->add_option("--pids-limit", ra->flags.resources.pids_limit,
                  "Maximum number of processes (-1: unlimited)");
  auto log_opts = std::make_shared<std::vector<std::string>>();
  run->add_option("--log-opt", *log_opts, "Without --rm: max-size=SIZE (default 10m), max-file=N (default 2)")
      ->take_all()
      ->allow_extra_args(false);
  run->add_option("--platform", ra->platform, "os/arch[/variant] when pulling");
  auto security_opts = std::make_shared<std::vector<std::string>>();
  run->add_option("--security-opt", *security_opts, "seccomp=FILE|unconfined, no-new-privileges[=true|false]")
      ->take_all()
      ->allow_extra_args(false);
  run->add_option("image", ra->image, "Image reference or id")->required();
  // Everything after IMAGE is the container's command (replacing the image's Cmd), flags included.
  run->prefix_command();
  run->callback([=, &exit_code] {
    for (const auto& s : *security_opts) apply_security_opt(ra->flags, s);
    for (const auto& o : *log_opts) apply_log_opt(ra->log_limits, o);
    if (entrypoint_opt->count() > 0) ra->flags.entrypoint = std::vector<std::string>{*entrypoint};
    // prefix_command leaves the command words in remaining().
    auto rest = run->remaining();
    ra->cmd.insert(ra->cmd.end(), rest.begin(), rest.end());
    exit_code.value = run_container(*ra);
  });

  // skiff rm
  auto* rm = app.add_subcommand("rm", "Remove containers made by skiff run");
  auto rm_ids = std::make_shared<std::vector<std::string>>();
  auto rm_force = std::make_shared<bool>(false);
  rm->add_flag("-f,--force", *rm_force, "Kill it first if it runs");
  rm->add_option("id", *rm_ids)->required();
  rm->callback([=, &exit_code] {
    auto paths = store();
    std::vector<std::string> stopped;  // the runtime is done with these
    {
      skiff::Runtime rt(runtime_root());
      for (const auto& id : *rm_ids) {
        try {
          // A container the runtime no longer knows (a --rm run, a crash) has only its bundle left.
          auto ids = rt.store().list_ids();
          if (std::find(ids.begin(), ids.end(), id) != ids.end()) rt.remove(id, *rm_force);
          stopped.push_back(id);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "skiff: rm %s: %s\n", id.c_str(), e.what());
          exit_code.value = 1;
        }
      }
    }
    // Rootless: what the container's users wrote belongs to our subordinate ids, which only uid 0 of a
    // user namespace mapping them may remove. (The runtime's part came first: from here we could not
    // signal the container, whose user namespace is another one.)
    if (::geteuid() != 0 && !stopped.empty()) enter_rootless_user_namespace();
    for (const auto& id : stopped) {
      try {
        img::remove_container_rootfs(paths, id);
        std::printf("%s\n", id.c_str());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "skiff: rm %s: %s\n", id.c_str(), e.what());
        exit_code.value = 1;
      }
    }
  });
}

SKIFF_CLI_COMMANDS(register_image_commands);

}  // namespace skiff::cli
