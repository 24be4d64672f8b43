#include "registry_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <thread>

#include "file_util.hpp"

namespace skiff::image::test {

std::string fixture_rootfs() {
  return SKIFF_FIXTURE_ROOTFS;
}

std::string registry_unavailable_reason() {
  if (::geteuid() != 0) return "needs root (umoci unpack of the fixture, overlay mounts)";
  for (const char* t : {"docker-registry", "skopeo", "umoci", "openssl", "htpasswd"})
    if (find_tool(t).empty()) return std::string(t) + " is not installed (scripts/packages.txt)";
  if (::access((fixture_rootfs() + "/bin/busybox").c_str(), X_OK) != 0)
    return "fixture rootfs not built at " + fixture_rootfs();
  return {};
}

int free_loopback_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

namespace {

bool port_open(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

void must(const std::string& cmd) {
  std::string out;
  if (run(cmd, &out) != 0) throw std::runtime_error(cmd + " failed: " + out);
}

}  // namespace

Registry::Registry(RegistryConfig c) : cfg_(std::move(c)) {
  int port = free_loopback_port();
  host_ = "127.0.0.1:" + std::to_string(port);
  std::string d = dir_.path();
  std::string yml =
      "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      d +
      "/storage\n  delete:\n    enabled: true\n"
      "http:\n  addr: " +
      host_ + "\n  secret: skiff-test-secret\n";
  if (cfg_.tls) {
    must("cd " + d +
         " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=skiff-test-ca "
         "-keyout ca.key -out ca.crt && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
         "-keyout server.key -out server.csr && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
         "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
         "-extfile san.ext -out server.crt");
    yml += "  tls:\n    certificate: " + d + "/server.crt\n    key: " + d + "/server.key\n";
  }
  if (!cfg_.htpasswd_user.empty()) {
    must("htpasswd -Bbc " + d + "/htpasswd " + cfg_.htpasswd_user + " " + cfg_.htpasswd_password);
    yml += "auth:\n  htpasswd:\n    realm: skiff-test\n    path: " + d + "/htpasswd\n";
  } else if (!cfg_.token_realm.empty()) {
    yml += "auth:\n  token:\n    realm: " + cfg_.token_realm +
           "\n    service: skiff-registry\n    issuer: skiff-test\n    rootcertbundle: " + cfg_.token_cert +
           "\n";
  }
  write_text(d + "/config.yml", yml);
  std::string bin = find_tool("docker-registry");
  std::string logf = d + "/registry.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(logf.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    std::string cfg = d + "/config.yml";
    ::execl(bin.c_str(), bin.c_str(), "serve", cfg.c_str(), nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (port_open(port)) return;
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("docker-registry exited: " + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("docker-registry did not listen on " + host_ + ": " + log());
}

Registry::~Registry() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string Registry::log() const {
  try {
    return skiff::read_file(dir_ / "registry.log");
  } catch (...) {
    return {};
  }
}

std::string Registry::push(const std::string& layout, const std::string& tag, const std::string& repo_tag,
                           bool zstd) {
  std::string policy = dir_ / "policy.json";
  write_text(policy, R"({"default":[{"type":"insecureAcceptAnything"}]})");
  std::string cmd = "skopeo --policy " + policy + " copy --quiet";
  if (cfg_.tls) {
    std::string certs = dir_ / "certs";
    run("mkdir -p " + certs + " && cp " + ca_file() + " " + certs + "/ca.crt");
    cmd += " --dest-cert-dir " + certs;
  } else {
    cmd += " --dest-tls-verify=false";
  }
  if (!cfg_.htpasswd_user.empty())
    cmd += " --dest-creds " + cfg_.htpasswd_user + ":" + cfg_.htpasswd_password;
  if (zstd) cmd += " --dest-compress-format zstd --dest-compress";
  cmd += " oci:" + layout + ":" + tag + " docker://" + host_ + "/" + repo_tag;
  std::string out;
  return run(cmd, &out) == 0 ? std::string() : (out.empty() ? "skopeo failed" : out);
}

namespace {

std::string b64url(std::string s) {
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::string url_decode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += in[i] == '+' ? ' ' : in[i];
    }
  }
  return out;
}

}  // namespace

TokenIssuer::TokenIssuer(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {
  must("cd " + dir_.path() +
       " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=skiff-token -keyout token.key "
       "-out token.crt 2>/dev/null");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  ::listen(listen_fd_, 16);
  thread_ = std::thread([this] { serve(); });
}

TokenIssuer::~TokenIssuer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  ::close(listen_fd_);
}

std::string TokenIssuer::token_for(const std::string& scope) {
  std::string der;
  run("openssl x509 -in " + cert_file() + " -outform DER | base64 -w0", &der);
  std::string header = R"({"alg":"RS256","typ":"JWT","x5c":[")" + der + R"("]})";
  // scope: repository:NAME:ACTIONS
  std::string access = "[]";
  auto first = scope.find(':'), last = scope.rfind(':');
  if (first != std::string::npos && last > first) {
    std::string actions, name = scope.substr(first + 1, last - first - 1);
    for (const auto& act : {std::string("pull"), std::string("push"), std::string("delete")})
      if (scope.substr(last + 1).find(act) != std::string::npos)
        actions += (actions.empty() ? "\"" : ",\"") + act + "\"";
    access = R"([{"type":"repository","name":")" + name + R"(","actions":[)" + actions + "]}]";
  }
  long now = static_cast<long>(::time(nullptr));
  std::string claims = R"({"iss":"skiff-test","sub":")" + user_ + R"(","aud":"skiff-registry","exp":)" +
                       std::to_string(now + 600) + R"(,"nbf":)" + std::to_string(now - 60) + R"(,"iat":)" +
                       std::to_string(now) + R"(,"jti":")" + std::to_string(issued_ + 1) + R"(","access":)" +
                       access + "}";
  std::string h64, c64, sig;
  write_text(dir_ / "h.json", header);
  write_text(dir_ / "c.json", claims);
  run("base64 -w0 " + dir_ / "h.json", &h64);
  run("base64 -w0 " + dir_ / "c.json", &c64);
  std::string input = b64url(h64) + "." + b64url(c64);
  write_text(dir_ / "input", input);
  run("openssl dgst -sha256 -sign " + dir_ / "token.key" + " " + dir_ / "input" + " | base64 -w0", &sig);
  ++issued_;
  return input + "." + b64url(sig);
}

void TokenIssuer::serve() {
  for (;;) {
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (stop_) return;
      continue;
    }
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    std::string scope;
    auto sp = req.find("scope=");
    if (sp != std::string::npos) {
      auto end = req.find_first_of("& ", sp);
      scope = url_decode(req.substr(sp + 6, end - sp - 6));
    }
    std::string expect = "Authorization: Basic ";
    std::string creds;
    auto ap = req.find(expect);
    if (ap == std::string::npos) ap = req.find("authorization: Basic ");
    if (ap != std::string::npos) {
      auto end = req.find("\r\n", ap);
      std::string b64 = req.substr(ap + expect.size(), end - ap - expect.size());
      write_text(dir_ / "creds.b64", b64);
      run("base64 -d " + dir_ / "creds.b64", &creds);
    }
    std::string resp;
    if (std::getenv("SKIFF_TEST_DEBUG_TOKEN"))
      std::fprintf(stderr, "token request: %s\ncreds: [%s]\n", req.c_str(), creds.c_str());
    // skopeo 1.9 sent no credentials to this plain-HTTP token realm when pushing the fixture, so
    // push scopes are granted anonymously; pull-only scopes (what the code under test asks for) need
    // the password.
    bool push_scope = scope.find("push") != std::string::npos;
    if (creds != user_ + ":" + password_ && !push_scope) {
      resp = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    } else {
      std::string body = R"({"token":")" + token_for(scope) + R"("})";
      resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }
    (void)!::write(c, resp.data(), resp.size());
    ::close(c);
  }
}

std::string build_fixture_layout(const std::string& layout, const std::string& tag,
                                 const std::string& scratch) {
  std::string img = layout + ":" + tag;
  std::string b = scratch + "/bundle";
  std::string cmds =
      "set -e; umoci init --layout " + layout + "; umoci new --image " + img + "; umoci unpack --image " +
      img + " " + b + "; cp -a " + fixture_rootfs() + "/. " + b + "/rootfs/" + "; mkdir -p " + b +
      "/rootfs/opt/data && echo old-a > " + b + "/rootfs/opt/data/a && echo old-b > " + b +
      "/rootfs/opt/data/b" + "; umoci repack --image " + img + " " + b + "; rm -rf " + b +
      // layer 2: a new file and a hard link to it
      "; mkdir -p " + scratch + "/l2/etc && echo skiff-layer-two > " + scratch + "/l2/etc/skiff-test" +
      " && ln " + scratch + "/l2/etc/skiff-test " + scratch + "/l2/etc/skiff-test-link" +
      "; umoci insert --image " + img + " " + scratch + "/l2/etc/skiff-test /etc/skiff-test" +
      // layer 3: a deletion (whiteout)
      "; umoci insert --image " + img + " --whiteout /etc/hostname" +
      // layer 4: an opaque directory replacing /opt/data
      "; mkdir -p " + scratch + "/l4 && echo new-c > " + scratch + "/l4/c" + "; umoci insert --image " + img +
      " --opaque " + scratch + "/l4 /opt/data" + "; umoci config --image " + img +
      " --config.cmd /bin/sh --config.cmd -c --config.cmd 'echo hello-from-image'" +
      " --config.env SKIFF_IMAGE_ENV=from-image --config.env PATH=/usr/local/bin:/usr/bin:/bin" +
      " --config.workingdir /opt --config.user nobody";
  std::string out;
  if (run(cmds, &out) != 0) return "building the OCI layout failed: " + out;
  return {};
}

}  // namespace skiff::image::test
