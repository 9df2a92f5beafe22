// Client addresses: IP addresses and ranges (the trusted proxies), the key the server's
// per-address connection cap counts by, and the real client of a request that came through
// trusted proxies (X-Forwarded-For). Plain values and pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/result.h"

namespace planfix_flow::http {

// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a dual-stack
// socket reports for an IPv4 client) is the IPv4 address.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the last 4 bytes, the rest zero
  bool v4 = false;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"; nullopt for anything else (zone ids,
// ports and brackets included).
std::optional<IpAddress> ParseIpAddress(std::string_view text);
std::string ToString(const IpAddress& address);

// An address with a prefix length: "10.0.0.0/8", "2001:db8::/32"; a bare address is the
// range of that address alone.
struct IpRange {
  IpAddress base;  // with the bits beyond the prefix cleared
  int prefix_bits = 0;

  bool Contains(const IpAddress& address) const;
};

// kInvalidInput naming what is wrong: not an address, a prefix beyond 32 (IPv4) or 128
// (IPv6), or address bits set beyond the prefix ("10.0.0.1/8" is a typo for one of two
// things, so it is refused rather than guessed).
core::Result<IpRange> ParseIpRange(std::string_view text);

// The proxies whose X-Forwarded-For the server believes.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  explicit TrustedProxies(std::vector<IpRange> ranges) : ranges_(std::move(ranges)) {}

  bool Contains(const IpAddress& address) const;
  bool Contains(std::string_view address) const;  // false for what is not an address
  bool empty() const { return ranges_.empty(); }

 private:
  std::vector<IpRange> ranges_;
};

// Who sent a request. `peer` is the TCP peer's address; `forwarded_for` every X-Forwarded-For
// header of the request, joined with commas in the order received. Only a trusted peer's
// header counts: from its right end (the hop nearest to us) the addresses of trusted proxies
// are skipped, and the first other one is the client. What stands left of it was written by
// the client itself and proves nothing. An entry that is no address ends the walk at the hop
// to its right. Without a usable header, the client is the peer.
struct ClientOrigin {
  std::string client;      // the address to log and to account the request to
  bool via_proxy = false;  // `client` came from X-Forwarded-For of the trusted `peer`
};
ClientOrigin OriginOf(std::string_view peer, std::string_view forwarded_for,
                      const TrustedProxies& trusted);

// What the per-address connection cap counts by: an IPv4 address itself, an IPv6 address's
// /64 (one subscriber usually holds a whole /64, so per-address counting would let one client
// open connections from 2^64 addresses).
std::string ConnectionKey(const IpAddress& address);

}  // namespace planfix_flow::http
