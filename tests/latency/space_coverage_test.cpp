// The shipped search spaces against the published tables: every layer the ProxylessNAS mobile
// space can contain has an entry in the Pixel 1 table, so a search against it never meets a
// missing key (the published code silently answered 200 ms there).
#include <gtest/gtest.h>

#include "core/search_space.h"
#include "latency/op_key.h"
#include "latency/table.h"
#include "tests/latency/shared_data.h"

namespace hwnas::latency {
namespace {

using hwnas::testing::SharedData;

SearchSpace ShippedSpace(const std::string& name) {
  return LoadSearchSpaceFile(std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/" + name + ".yaml");
}

TEST(SpaceCoverageTest, Pixel1TableCoversEveryProxylessMobileLayer) {
  HWNAS_REQUIRE_SHARED_DATA();
  const LatencyTable table =
      ImportProxylessYaml(SharedData("luts/proxylessnas-mobile-pixel1.yaml"), TableInfo{});
  std::vector<std::string> keys;
  for (const LayerSpec& layer : AllCandidateLayers(ShippedSpace("proxyless-mobile")))
    keys.push_back(OpKey(layer));
  EXPECT_EQ(keys.size(), 70u);
  EXPECT_EQ(table.MissingKeys(keys), std::vector<std::string>{});
  // The table's two extra entries are the first block with kernels 5 and 7.
  EXPECT_EQ(table.size(), 72u);
}

TEST(SpaceCoverageTest, WiderProxylessSpaceIsNotCoveredAndSaysWhichKeys) {
  HWNAS_REQUIRE_SHARED_DATA();
  const LatencyTable table =
      ImportProxylessYaml(SharedData("luts/proxylessnas-mobile-pixel1.yaml"), TableInfo{});
  SearchSpace wide = ShippedSpace("proxyless-mobile");
  wide.width_multiplier = 1.4;
  std::vector<std::string> keys;
  for (const LayerSpec& layer : AllCandidateLayers(wide)) keys.push_back(OpKey(layer));
  const auto missing = table.MissingKeys(keys);
  EXPECT_EQ(missing.size(), keys.size());  // every width changes, the classifier input too
  EXPECT_EQ(missing.front(), "Conv-input:224x224x3-output:112x112x48");
}

}  // namespace
}  // namespace hwnas::latency
