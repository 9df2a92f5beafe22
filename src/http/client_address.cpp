#include "planfix_flow/http/client_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace planfix_flow::http {

namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Clears the bits of `address` beyond `prefix_bits` (counted within its own family).
IpAddress Masked(IpAddress address, int prefix_bits) {
  const int total = address.v4 ? 32 : 128;
  const std::size_t first = address.v4 ? 12 : 0;
  for (int bit = prefix_bits; bit < total; ++bit) {
    const std::size_t byte = first + static_cast<std::size_t>(bit / 8);
    address.bytes[byte] = static_cast<std::uint8_t>(address.bytes[byte] & ~(0x80u >> (bit % 8)));
  }
  return address;
}

// An X-Forwarded-For entry: an address, or one with a port some proxies append
// ("192.0.2.1:4711", "[2001:db8::1]:4711").
std::optional<IpAddress> ParseForwardedEntry(std::string_view entry) {
  if (auto address = ParseIpAddress(entry)) return address;
  if (entry.size() > 2 && entry.front() == '[') {
    const std::size_t close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = entry.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    auto address = ParseIpAddress(entry.substr(1, close - 1));
    if (address && address->v4) return std::nullopt;
    return address;
  }
  const std::size_t colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    auto address = ParseIpAddress(entry.substr(0, colon));
    if (address && address->v4) return address;
  }
  return std::nullopt;
}

}  // namespace

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton wants a terminated string; no address is longer than this.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, text.data(), text.size());
  IpAddress address;
  if (text.find(':') == std::string_view::npos) {
    if (::inet_pton(AF_INET, buffer, address.bytes.data() + 12) != 1) return std::nullopt;
    address.v4 = true;
    return address;
  }
  if (::inet_pton(AF_INET6, buffer, address.bytes.data()) != 1) return std::nullopt;
  address.v4 = std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), address.bytes.begin());
  if (address.v4) std::fill_n(address.bytes.begin(), 12, std::uint8_t{0});
  return address;
}

std::string ToString(const IpAddress& address) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (address.v4) {
    ::inet_ntop(AF_INET, address.bytes.data() + 12, buffer, sizeof(buffer));
  } else {
    ::inet_ntop(AF_INET6, address.bytes.data(), buffer, sizeof(buffer));
  }
  return buffer;
}

bool IpRange::Contains(const IpAddress& address) const {
  return address.v4 == base.v4 && Masked(address, prefix_bits) == base;
}

core::Result<IpRange> ParseIpRange(std::string_view text) {
  text = Trim(text);
  const std::size_t slash = text.find('/');
  const auto address = ParseIpAddress(text.substr(0, slash));
  if (!address) {
    return core::Fail(
        core::ErrorCode::kInvalidInput,
        fmt::format("\"{}\" is not an IPv4 or IPv6 address, or one with a /prefix", text));
  }
  const int total = address->v4 ? 32 : 128;
  int prefix = total;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
        prefix < 0 || prefix > total) {
      return core::Fail(
          core::ErrorCode::kInvalidInput,
          fmt::format("\"{}\": the prefix must be a number from 0 to {}", text, total));
    }
  }
  IpRange range{Masked(*address, prefix), prefix};
  if (range.base != *address) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("\"{}\" has address bits set beyond the /{} prefix (did you "
                                  "mean {}/{}?)",
                                  text, prefix, ToString(range.base), prefix));
  }
  return range;
}

bool TrustedProxies::Contains(const IpAddress& address) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const IpRange& range) { return range.Contains(address); });
}

bool TrustedProxies::Contains(std::string_view address) const {
  const auto parsed = ParseIpAddress(address);
  return parsed && Contains(*parsed);
}

ClientOrigin OriginOf(std::string_view peer, std::string_view forwarded_for,
                      const TrustedProxies& trusted) {
  ClientOrigin origin{std::string(peer), false};
  if (forwarded_for.empty() || !trusted.Contains(peer)) return origin;
  // From the right: each entry was appended by the hop to its right, which we trust as long
  // as that hop is a trusted proxy.
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const std::size_t comma = rest.rfind(',');
    const std::string_view entry =
        Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (entry.empty()) continue;  // "a, , b": an empty element is no hop
    const auto address = ParseForwardedEntry(entry);
    if (!address) break;  // "unknown" or garbage: nothing left of it can be trusted
    origin.client = ToString(*address);
    origin.via_proxy = true;
    if (!trusted.Contains(*address)) break;
  }
  return origin;
}

std::string ConnectionKey(const IpAddress& address) {
  if (address.v4) return ToString(address);
  return ToString(Masked(address, 64)) + "/64";
}

}  // namespace planfix_flow::http
