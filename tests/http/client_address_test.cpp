#include "planfix_flow/http/client_address.h"

#include <gtest/gtest.h>

namespace planfix_flow::http {
namespace {

TrustedProxies Trusted(std::initializer_list<const char*> texts) {
  std::vector<IpRange> ranges;
  for (const char* text : texts) ranges.push_back(ParseIpRange(text).value());
  return TrustedProxies(std::move(ranges));
}

TEST(IpAddress, ParsesBothFamiliesAndTreatsAnIpv4MappedAddressAsIpv4) {
  EXPECT_EQ(ToString(*ParseIpAddress("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(ToString(*ParseIpAddress("2001:DB8:0::1")), "2001:db8::1");
  const auto mapped = ParseIpAddress("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->v4);
  EXPECT_EQ(*mapped, *ParseIpAddress("192.0.2.1"));
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "0x7f.0.0.1", "192.0.2.1:80",
                          "[2001:db8::1]", "fe80::1%eth0", "localhost", " 192.0.2.1"}) {
    EXPECT_FALSE(ParseIpAddress(bad)) << bad;
  }
}

TEST(IpRange, ContainsTheAddressesUnderItsPrefixOfItsOwnFamilyOnly) {
  const IpRange private10 = ParseIpRange("10.0.0.0/8").value();
  EXPECT_TRUE(private10.Contains(*ParseIpAddress("10.255.3.4")));
  EXPECT_FALSE(private10.Contains(*ParseIpAddress("11.0.0.1")));
  EXPECT_FALSE(private10.Contains(*ParseIpAddress("::a00:1")));  // 10.0.0.1's bits, IPv6
  const IpRange one = ParseIpRange("203.0.113.9").value();
  EXPECT_TRUE(one.Contains(*ParseIpAddress("203.0.113.9")));
  EXPECT_FALSE(one.Contains(*ParseIpAddress("203.0.113.8")));
  const IpRange v6 = ParseIpRange("2001:db8::/32").value();
  EXPECT_TRUE(v6.Contains(*ParseIpAddress("2001:db8:ffff::1")));
  EXPECT_FALSE(v6.Contains(*ParseIpAddress("2001:db9::1")));
  EXPECT_TRUE(ParseIpRange("0.0.0.0/0").value().Contains(*ParseIpAddress("198.51.100.1")));
}

TEST(IpRange, RefusesWhatIsNoRangeNamingTheProblem) {
  const auto not_address = ParseIpRange("proxy.local");
  ASSERT_FALSE(not_address);
  EXPECT_NE(not_address.error().message.find("not an IPv4 or IPv6 address"), std::string::npos);
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x", "10.0.0.0/-1"}) {
    const auto range = ParseIpRange(bad);
    ASSERT_FALSE(range) << bad;
    EXPECT_NE(range.error().message.find("prefix must be a number"), std::string::npos) << bad;
  }
  const auto host_bits = ParseIpRange("10.0.0.1/8");
  ASSERT_FALSE(host_bits);
  EXPECT_NE(host_bits.error().message.find("did you mean 10.0.0.0/8"), std::string::npos)
      << host_bits.error().message;
}

TEST(ClientOrigin, AnUntrustedPeersForwardedForIsIgnored) {
  const auto origin = OriginOf("198.51.100.7", "203.0.113.66", Trusted({"127.0.0.1"}));
  EXPECT_EQ(origin.client, "198.51.100.7");
  EXPECT_FALSE(origin.via_proxy);
}

TEST(ClientOrigin, ATrustedPeerNamesTheRightmostAddressThatIsNotATrustedProxy) {
  const TrustedProxies trusted = Trusted({"127.0.0.1", "10.0.0.0/8"});
  // The client wrote "1.1.1.1" itself; the edge proxy 10.0.0.5 appended the real address.
  const auto origin = OriginOf("127.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.5", trusted);
  EXPECT_EQ(origin.client, "203.0.113.9");
  EXPECT_TRUE(origin.via_proxy);
  // Several headers arrive joined with commas, in order.
  EXPECT_EQ(OriginOf("127.0.0.1", "1.1.1.1,203.0.113.9,10.0.0.5", trusted).client, "203.0.113.9");
  // Only trusted hops: the leftmost is where the request began.
  EXPECT_EQ(OriginOf("127.0.0.1", "10.0.0.9, 10.0.0.5", trusted).client, "10.0.0.9");
  // No header, or an empty one: the peer.
  EXPECT_EQ(OriginOf("127.0.0.1", "", trusted).client, "127.0.0.1");
  EXPECT_FALSE(OriginOf("127.0.0.1", " , ", trusted).via_proxy);
}

TEST(ClientOrigin, GarbageEndsTheWalkAtTheLastHopBelievedAndPortsAreDropped) {
  const TrustedProxies trusted = Trusted({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(OriginOf("127.0.0.1", "203.0.113.9, unknown, 10.0.0.5", trusted).client, "10.0.0.5");
  EXPECT_EQ(OriginOf("127.0.0.1", "203.0.113.9, <script>", trusted).client, "127.0.0.1");
  EXPECT_EQ(OriginOf("127.0.0.1", "203.0.113.9:4711", trusted).client, "203.0.113.9");
  EXPECT_EQ(OriginOf("127.0.0.1", "[2001:db8::7]:4711", trusted).client, "2001:db8::7");
  EXPECT_EQ(OriginOf("127.0.0.1", "2001:db8::7", trusted).client, "2001:db8::7");
}

TEST(ConnectionKey, IsTheAddressForIpv4AndTheSlash64ForIpv6) {
  EXPECT_EQ(ConnectionKey(*ParseIpAddress("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(ConnectionKey(*ParseIpAddress("::ffff:192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(ConnectionKey(*ParseIpAddress("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(ConnectionKey(*ParseIpAddress("2001:db8:1:2:bbbb::9")),
            ConnectionKey(*ParseIpAddress("2001:db8:1:2:aaaa::1")));
  EXPECT_NE(ConnectionKey(*ParseIpAddress("2001:db8:1:3::1")),
            ConnectionKey(*ParseIpAddress("2001:db8:1:2::1")));
}

}  // namespace
}  // namespace planfix_flow::http
