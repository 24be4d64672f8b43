// ObjectStore: the state dir's lock, loading at start, and every write to disk.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "error.hpp"
#include "file_util.hpp"
#include "store/document_file.hpp"
#include "store/object_store.hpp"

namespace skiff::store {
namespace {

using nlohmann::json;

std::vector<std::string> dir_entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    throw_errno("open directory " + dir);
  }
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool is_dir(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string str(const json& md, const char* field) {
  auto it = md.find(field);
  return it != md.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Disk errors become StoreError(kInternal) with the errno kept: callers and the API say "no space left".
template <typename F>
void disk_write(const std::string& what, F&& f) {
  try {
    f();
  } catch (const StoreError&) {
    throw;
  } catch (const Error& e) {
    throw StoreError(Reason::kInternal, "store: " + what + " failed, nothing was changed: " + e.what(),
                     e.err());
  }
}

}  // namespace

ObjectStore::ObjectStore(StoreOptions options) : opts_(std::move(options)) {
  clock_ = opts_.clock ? opts_.clock : &SystemClock::instance();
  if (!opts_.executor) throw Error("ObjectStore needs an executor");
}

ObjectStore::~ObjectStore() {
  if (status_timer_ && opts_.executor->cancel) opts_.executor->cancel(*status_timer_);
}

std::unique_ptr<ObjectStore> ObjectStore::open(StoreOptions options) {
  std::unique_ptr<ObjectStore> s(new ObjectStore(std::move(options)));
  const std::string& dir = s->opts_.state_dir;
  disk_write("create " + dir, [&] {
    mkdir_all(dir, 0700);
    mkdir_all(dir + "/store/objects", 0700);
    mkdir_all(dir + "/store/status", 0700);
  });
  s->lock_ = FileLock::try_acquire(dir + "/lock");
  if (!s->lock_) {
    std::string pid;
    try {
      pid = read_file(dir + "/supervisor.pid");
      pid.erase(pid.find_last_not_of(" \n") + 1);
    } catch (const Error&) {
    }
    throw StoreError(Reason::kInternal,
                     "another skiff supervise" + (pid.empty() ? "" : " (pid " + pid + ")") +
                         " is using the state dir " + dir + "; stop it first or use --state-dir");
  }
  write_file_atomic(dir + "/supervisor.pid", std::to_string(::getpid()) + "\n", 0644, Durability::kVolatile);
  s->load();
  s->hub_ =
      std::make_unique<WatchHub>(*s->opts_.executor, s->opts_.watch_backlog, s->opts_.watch_history, s->rv_);
  s->ensure_default_namespace();
  return s;
}

void ObjectStore::ensure_default_namespace() {
  if (objects_.count("Namespace//default")) return;
  create({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}});
}

std::string ObjectStore::object_path(const KindInfo& k, const std::string& ns,
                                     const std::string& name) const {
  return opts_.state_dir + "/store/objects/" + std::string(k.plural) + "/" + (k.namespaced ? ns + "/" : "") +
         name + ".json";
}

std::string ObjectStore::status_path(const KindInfo& k, const std::string& ns,
                                     const std::string& name) const {
  return opts_.state_dir + "/store/status/" + std::string(k.plural) + "/" + (k.namespaced ? ns + "/" : "") +
         name + ".json";
}

void ObjectStore::write_object(const KindInfo& k, const json& obj) {
  const json& md = obj["metadata"];
  std::string path = object_path(k, str(md, "namespace"), str(md, "name"));
  disk_write("write " + path, [&] {
    mkdir_all(path.substr(0, path.rfind('/')), 0700);
    write_file_atomic(path, encode_document(obj), 0600, Durability::kDurable);
  });
}

void ObjectStore::write_status(const KindInfo& k, const json& obj) {
  const json& md = obj["metadata"];
  std::string path = status_path(k, str(md, "namespace"), str(md, "name"));
  json doc = {{"resourceVersion", md["resourceVersion"]}, {"status", obj.value("status", json::object())}};
  disk_write("write " + path, [&] {
    mkdir_all(path.substr(0, path.rfind('/')), 0700);
    write_file_atomic(path, encode_document(doc), 0600, Durability::kDurable);
  });
}

void ObjectStore::erase_files(const KindInfo& k, const std::string& ns, const std::string& name) {
  std::string obj = object_path(k, ns, name), st = status_path(k, ns, name);
  disk_write("delete " + obj, [&] {
    if (::unlink(obj.c_str()) < 0 && errno != ENOENT) throw_errno("unlink " + obj);
  });
  // The object file is gone: a status file left by a failure here is removed at the next load.
  if (::unlink(st.c_str()) == 0) fsync_dir(st.substr(0, st.rfind('/')));
  fsync_dir(obj.substr(0, obj.rfind('/')));
}

uint64_t ObjectStore::next_revision() {
  if (rv_ + 1 > rv_ceiling_) {
    uint64_t ceiling = rv_ + opts_.revision_block;
    std::string path = opts_.state_dir + "/store/revision";
    disk_write("write " + path, [&] {
      write_file_atomic(path, encode_document({{"ceiling", ceiling}}), 0600, Durability::kDurable);
    });
    rv_ceiling_ = ceiling;
  }
  return ++rv_;
}

void ObjectStore::load() {
  const std::string root = opts_.state_dir + "/store";
  try {
    rv_ = decode_document(read_file(root + "/revision")).at("ceiling").get<uint64_t>();
  } catch (const Error& e) {
    if (e.err() != ENOENT) quarantine(root + "/revision", e.what());
  } catch (const json::exception& e) {
    quarantine(root + "/revision", std::string("bad revision document: ") + e.what());
  }
  for (bool status : {false, true}) {
    std::string base = root + (status ? "/status" : "/objects");
    for (const auto& plural : dir_entries(base)) {
      const KindInfo* k = nullptr;
      for (const auto& ki : known_kinds())
        if (ki.plural == plural) k = &ki;
      std::string dir = base + "/" + plural;
      if (!k || !is_dir(dir)) {
        problems_.push_back({dir, "not a folder of a kind this supervisor knows", "left alone"});
        continue;
      }
      std::vector<std::string> dirs = {dir};
      if (k->namespaced) {
        dirs.clear();
        for (const auto& ns : dir_entries(dir)) {
          if (is_dir(dir + "/" + ns))
            dirs.push_back(dir + "/" + ns);
          else
            problems_.push_back({dir + "/" + ns, "a file where a namespace folder belongs", "left alone"});
        }
      }
      for (const auto& d : dirs)
        for (const auto& f : dir_entries(d)) load_file(d + "/" + f, *k, status);
    }
  }
  rv_ceiling_ = rv_;  // every revision up to the old ceiling may have been handed out
}

void ObjectStore::load_file(const std::string& path, const KindInfo& k, bool status_file) {
  std::string file = path.substr(path.rfind('/') + 1);
  if (file.find(".tmp.") != std::string::npos) {
    ::unlink(path.c_str());
    problems_.push_back({path, "interrupted write (temp file of a write that never completed)",
                         "removed: the previous version is intact"});
    return;
  }
  if (file.size() < 6 || file.compare(file.size() - 5, 5, ".json") != 0) {
    problems_.push_back({path, "not a store file", "left alone"});
    return;
  }
  std::string name = file.substr(0, file.size() - 5);
  std::string ns;
  if (k.namespaced) {
    std::string dir = path.substr(0, path.rfind('/'));
    ns = dir.substr(dir.rfind('/') + 1);
  }
  json doc;
  try {
    doc = decode_document(read_file(path));
  } catch (const Error& e) {
    quarantine(path, e.what());
    return;
  }
  std::string ky = key(k, ns, name);
  try {
    if (status_file) {
      auto it = objects_.find(ky);
      if (it == objects_.end()) {
        ::unlink(path.c_str());
        problems_.push_back({path, "status of an object that no longer exists", "removed"});
        return;
      }
      json obj = *it->second.obj;
      obj["status"] = doc.at("status");
      uint64_t srv = std::stoull(doc.at("resourceVersion").get<std::string>());
      if (srv > std::stoull(obj["metadata"]["resourceVersion"].get<std::string>()))
        obj["metadata"]["resourceVersion"] = std::to_string(srv);
      rv_ = std::max<uint64_t>(rv_, srv);
      it->second.obj = std::make_shared<const json>(std::move(obj));
      return;
    }
    const json& md = doc.at("metadata");
    if (doc.value("kind", "") != k.kind || str(md, "name") != name || str(md, "namespace") != ns)
      throw Error("its kind, namespace or name does not match where it is stored");
    rv_ = std::max<uint64_t>(rv_, std::stoull(md.at("resourceVersion").get<std::string>()));
    objects_[ky].obj = std::make_shared<const json>(std::move(doc));
  } catch (const std::exception& e) {
    quarantine(path, std::string("not a valid stored object: ") + e.what());
  }
}

void ObjectStore::quarantine(const std::string& path, const std::string& problem) {
  std::string qdir = opts_.state_dir + "/store/quarantine";
  std::string rel = path.substr(opts_.state_dir.size() + 1);
  std::replace(rel.begin(), rel.end(), '/', '_');
  std::string dest =
      qdir + "/" + rel + "." + std::to_string(std::chrono::system_clock::to_time_t(clock_->wall()));
  try {
    mkdir_all(qdir, 0700);
    if (::rename(path.c_str(), dest.c_str()) < 0) throw_errno("rename");
    problems_.push_back({path, problem, "moved to " + dest});
  } catch (const Error& e) {
    problems_.push_back({path, problem, std::string("left in place (could not move it: ") + e.what() + ")"});
  }
}

void ObjectStore::mark_status_dirty(const std::string& ky, Entry& e) {
  auto now = clock_->steady();
  auto due = e.last_status_write == std::chrono::steady_clock::time_point{}
                 ? now
                 : std::max(now, e.last_status_write + opts_.status_write_interval);
  auto it = dirty_.find(ky);
  if (it != dirty_.end()) return;  // already due at its time
  dirty_[ky] = due;
  if (due <= now) {
    flush_due_status();
    return;
  }
  arm_status_timer();
}

void ObjectStore::flush_due_status() {
  auto now = clock_->steady();
  for (auto it = dirty_.begin(); it != dirty_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    auto obj_it = objects_.find(it->first);
    if (obj_it == objects_.end()) {
      it = dirty_.erase(it);
      continue;
    }
    const KindInfo* k = find_kind((*obj_it->second.obj)["kind"].get<std::string>());
    try {
      write_status(*k, *obj_it->second.obj);
      obj_it->second.last_status_write = now;
      it = dirty_.erase(it);
    } catch (const Error& e) {
      if (opts_.on_background_error) opts_.on_background_error(e.what());
      it->second = now + opts_.status_write_interval;  // retried, not lost: the status is still in memory
      ++it;
    }
  }
  arm_status_timer();
}

void ObjectStore::arm_status_timer() {
  if (dirty_.empty()) return;
  auto due = std::min_element(dirty_.begin(), dirty_.end(), [](auto& a, auto& b) {
               return a.second < b.second;
             })->second;
  if (status_timer_ && status_timer_due_ <= due) return;
  if (status_timer_ && opts_.executor->cancel) opts_.executor->cancel(*status_timer_);
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(due - clock_->steady());
  status_timer_due_ = due;
  status_timer_ = opts_.executor->after(std::max(delay, std::chrono::milliseconds(0)),
                                        [this, alive = std::weak_ptr<int>(alive_)] {
                                          if (!alive.lock()) return;
                                          status_timer_.reset();
                                          flush_due_status();
                                        });
}

bool ObjectStore::flush_status() {
  bool ok = true;
  for (auto it = dirty_.begin(); it != dirty_.end();) {
    auto obj_it = objects_.find(it->first);
    if (obj_it != objects_.end()) {
      try {
        write_status(*find_kind((*obj_it->second.obj)["kind"].get<std::string>()), *obj_it->second.obj);
        obj_it->second.last_status_write = clock_->steady();
      } catch (const Error& e) {
        if (opts_.on_background_error) opts_.on_background_error(e.what());
        ok = false;
        ++it;
        continue;
      }
    }
    it = dirty_.erase(it);
  }
  return ok;
}

}  // namespace skiff::store
