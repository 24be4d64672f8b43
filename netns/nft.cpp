#include "nft.hpp"

#include <nftables/libnftables.h>

#include "error.hpp"

namespace skiff::net {

void NftContext::Free::operator()(nft_ctx* c) const noexcept {
  nft_ctx_free(c);
}

NftContext::NftContext() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (!ctx_) throw Error(ENOMEM, "create nftables context");
  // Errors and listings come back as strings instead of going to our stdout/stderr.
  if (nft_ctx_buffer_output(ctx_.get()) < 0 || nft_ctx_buffer_error(ctx_.get()) < 0)
    throw Error(ENOMEM, "nftables output buffers");
}

void NftContext::set_json_output(bool on) {
  unsigned flags = nft_ctx_output_get_flags(ctx_.get());
  nft_ctx_output_set_flags(ctx_.get(), on ? flags | NFT_CTX_OUTPUT_JSON : flags & ~NFT_CTX_OUTPUT_JSON);
}

void NftContext::run(const std::string& commands) {
  run_output(commands);
}

std::string NftContext::run_output(const std::string& commands) {
  int rc = nft_run_cmd_from_buffer(ctx_.get(), commands.c_str());
  std::string err = nft_ctx_get_error_buffer(ctx_.get());
  std::string out = nft_ctx_get_output_buffer(ctx_.get());
  if (rc != 0) {
    while (!err.empty() && err.back() == '\n') err.pop_back();
    throw Error("nftables: " + (err.empty() ? std::string("command failed") : err));
  }
  return out;
}

}  // namespace skiff::net
