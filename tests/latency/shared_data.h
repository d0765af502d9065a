// Where the staged reference data (../shared/data) is, for tests that read published tables.
// Such tests call HWNAS_REQUIRE_SHARED_DATA() first and are skipped when the folder is absent.
#pragma once

#include <filesystem>
#include <string>

namespace hwnas::testing {

inline std::string SharedData(const std::string& relative) {
  return std::string(HWNAS_SHARED_DATA) + "/" + relative;
}

inline bool HasSharedData() { return std::filesystem::is_directory(HWNAS_SHARED_DATA); }

}  // namespace hwnas::testing

#define HWNAS_REQUIRE_SHARED_DATA()                           \
  do {                                                        \
    if (!::hwnas::testing::HasSharedData())                   \
      GTEST_SKIP() << "shared data folder " HWNAS_SHARED_DATA \
                      " is absent; these tests "              \
                      "need the staged latency tables";       \
  } while (0)
