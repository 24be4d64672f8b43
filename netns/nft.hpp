// libnftables owned by RAII. One context is kept per NetworkStore: creating one costs far more than
// running a command in it, and spawning `nft` costs more still.
#pragma once

#include <memory>
#include <string>

struct nft_ctx;

namespace skiff::net {

class NftContext {
 public:
  NftContext();
  // Runs nft commands as one transaction (all or nothing). Throws skiff::Error with nft's message.
  void run(const std::string& commands);
  // Runs and returns nft's output (for listing); throws on failure.
  std::string run_output(const std::string& commands);
  // Listings in nft's JSON (`nft -j`) instead of its text.
  void set_json_output(bool on);

 private:
  struct Free {
    void operator()(nft_ctx* c) const noexcept;
  };
  std::unique_ptr<nft_ctx, Free> ctx_;
};

}  // namespace skiff::net
