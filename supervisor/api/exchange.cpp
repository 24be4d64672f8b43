// Exchange: how a handler answers (whole responses, chunked streams, upgrades).
#include "api/connection.hpp"

namespace skiff::api {
namespace {

std::string head(int status, const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  for (const auto& [k, v] : headers) h += k + ": " + v + "\r\n";
  return h;
}

}  // namespace

bool Exchange::open() const {
  auto c = conn_.lock();
  return c && !c->closed() && !stream_ended_;
}

void Exchange::respond(int status, std::string body, const std::string& content_type,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  if (responded_) return;
  responded_ = true;
  auto c = conn_.lock();
  if (!c || c->closed()) return;
  auto all = headers;
  if (!body.empty() || status >= 200) all.emplace_back("Content-Type", content_type);
  all.emplace_back("Content-Length", std::to_string(body.size()));
  if (!req_.keep_alive) all.emplace_back("Connection", "close");
  std::string bytes = head(status, all) + "\r\n";
  if (req_.method != "HEAD") bytes += body;
  c->send(*this, std::move(bytes), true, req_.keep_alive);
}

void Exchange::respond_json(int status, const nlohmann::json& body) {
  respond(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void Exchange::respond_status(int code, const std::string& reason, const std::string& message) {
  respond_json(code, {{"kind", "Status"},
                      {"apiVersion", "v1"},
                      {"metadata", nlohmann::json::object()},
                      {"status", "Failure"},
                      {"message", message},
                      {"reason", reason},
                      {"code", code}});
}

void Exchange::start_stream(int status, const std::string& content_type, std::string overflow_chunk) {
  if (responded_) return;
  responded_ = streaming_ = true;
  overflow_chunk_ = std::move(overflow_chunk);
  auto c = conn_.lock();
  if (!c || c->closed()) return;
  c->send(*this,
          head(status, {{"Content-Type", content_type},
                        {"Transfer-Encoding", "chunked"},
                        {"Cache-Control", "no-cache"}}) +
              "\r\n",
          false, req_.keep_alive);
}

bool Exchange::write(std::string_view chunk) {
  if (!streaming_ || stream_ended_) return false;
  auto c = conn_.lock();
  if (!c || c->closed()) return false;
  if (chunk.empty()) return true;  // an empty chunk would end the stream
  return c->stream_write(*this, chunk);
}

void Exchange::end_stream() {
  if (!streaming_ || stream_ended_) return;
  stream_ended_ = true;
  auto c = conn_.lock();
  if (c && !c->closed()) c->send(*this, "0\r\n\r\n", true, req_.keep_alive);
}

void Exchange::upgrade(const std::string& protocol, std::function<void(UniqueFd, std::string)> take) {
  if (responded_) return;
  responded_ = true;
  auto c = conn_.lock();
  if (!c || c->closed()) return;
  c->begin_upgrade(std::move(take));
  c->send(*this, head(101, {{"Connection", "Upgrade"}, {"Upgrade", protocol}}) + "\r\n", true, false);
}

}  // namespace skiff::api
