#include "conntrack.hpp"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>

#include <memory>

#include "error.hpp"

namespace skiff::net {

namespace {

struct HandleCloser {
  void operator()(nfct_handle* h) const noexcept { nfct_close(h); }
};
struct CtFree {
  void operator()(nf_conntrack* c) const noexcept { nfct_destroy(c); }
};
struct DumpFilterFree {
  void operator()(nfct_filter_dump* f) const noexcept { nfct_filter_dump_destroy(f); }
};
using Handle = std::unique_ptr<nfct_handle, HandleCloser>;
using Ct = std::unique_ptr<nf_conntrack, CtFree>;

Handle open_handle() {
  Handle h(nfct_open(CONNTRACK, 0));
  if (!h) throw_errno("open conntrack netlink socket");
  return h;
}

bool matches(const nf_conntrack* ct, const UdpConntrackFilter& f) {
  if (ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST)) != f.orig_dport) return false;
  const Ipv4Addr dst{ntohl(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST))};
  bool to_us = false;
  for (const auto& a : f.orig_dst) to_us = to_us || a == dst;
  if (!to_us) return false;
  const bool dnat = (nfct_get_attr_u32(ct, ATTR_STATUS) & IPS_DST_NAT) != 0;
  if (dnat != f.dnat) return false;
  if (!dnat) return true;
  const Ipv4Addr endpoint{ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC))};
  for (const auto& k : f.keep)
    if (k == endpoint) return false;
  return true;
}

struct DumpState {
  const std::vector<UdpConntrackFilter>* filters;
  std::vector<Ct> doomed;
};

int on_entry(enum nf_conntrack_msg_type, struct nf_conntrack* ct, void* data) {
  auto* st = static_cast<DumpState*>(data);
  if (nfct_get_attr_u8(ct, ATTR_L4PROTO) != IPPROTO_UDP) return NFCT_CB_CONTINUE;
  for (const auto& f : *st->filters) {
    if (!matches(ct, f)) continue;
    st->doomed.emplace_back(nfct_clone(ct));
    break;
  }
  return NFCT_CB_CONTINUE;
}

}  // namespace

int flush_udp_conntrack(const std::vector<UdpConntrackFilter>& filters) {
  if (filters.empty()) return 0;
  DumpState st{&filters, {}};
  {
    Handle dump = open_handle();
    nfct_callback_register(dump.get(), NFCT_T_ALL, on_entry, &st);
    std::unique_ptr<nfct_filter_dump, DumpFilterFree> f(nfct_filter_dump_create());
    if (!f) throw Error(ENOMEM, "conntrack dump filter");
    nfct_filter_dump_set_attr_u8(f.get(), NFCT_FILTER_DUMP_L3NUM, AF_INET);
    if (nfct_query(dump.get(), NFCT_Q_DUMP_FILTER, f.get()) < 0) throw_errno("dump conntrack table");
  }
  // Deleted on a second socket: the first one's dump has ended, but a fresh one keeps replies apart.
  Handle del = open_handle();
  int n = 0;
  for (auto& ct : st.doomed) {
    if (!ct) throw Error(ENOMEM, "copy conntrack entry");
    if (nfct_query(del.get(), NFCT_Q_DESTROY, ct.get()) == 0)
      ++n;
    else if (errno != ENOENT)  // gone meanwhile (expired, or its flow ended): what we wanted
      throw_errno("delete conntrack entry");
  }
  return n;
}

}  // namespace skiff::net
