#include "search/strategy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/errors.h"
#include "core/strategies.h"

namespace hwnas::search {
namespace {

using ::testing::HasSubstr;

// The config schema, --help and error messages read core/strategies.h; search/ registers the
// implementations. Each side must hold exactly the other's names.
TEST(StrategyRegistryTest, RegistersExactlyTheStrategiesTheConfigAccepts) {
  std::vector<std::string> listed = StrategyNames();
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(RegisteredStrategies(), listed);
  for (const std::string& name : listed) EXPECT_NE(MakeStrategy(name), nullptr) << name;
}

TEST(StrategyRegistryTest, AnUnknownNameListsTheRegisteredOnes) {
  try {
    MakeStrategy("distill");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no strategy 'distill' (registered: amc, evolution, haq, "
                                    "pipeline, proxyless, train)"));
  }
}

TEST(StrategyRegistryTest, EverySearchIsResumableAndTrainingIsNot) {
  for (const std::string& name : StrategyNames())
    EXPECT_EQ(MakeStrategy(name)->resumable(), name != "train") << name;
}

TEST(StrategyListTest, SearchCommandStrategiesAreNamedInOrder) {
  EXPECT_EQ(StrategiesOfCommand("search"), "'proxyless', 'amc', 'haq', 'evolution' or 'pipeline'");
  EXPECT_EQ(StrategiesOfCommand("train"), "'train'");
  ASSERT_NE(FindStrategy("proxyless"), nullptr);
  EXPECT_TRUE(FindStrategy("proxyless")->needs_space);
  ASSERT_NE(FindStrategy("pipeline"), nullptr);
  EXPECT_FALSE(FindStrategy("pipeline")->needs_space);  // only its search stage needs one
  EXPECT_EQ(FindStrategy("distill"), nullptr);
}

}  // namespace
}  // namespace hwnas::search
