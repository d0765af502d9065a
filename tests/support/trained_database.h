// A results database holding run 1, a synthetic network trained by the real binary: the source
// run the AMC, HAQ and resume CLI tests compress.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/support/run_command.h"

namespace hwnas::testing {

inline std::string TrainedDatabase(const std::string& name) {
  const std::string db = MakeTempDir(name) + "/h.db";
  const CommandResult r =
      RunHwnas({"--db", db, "-q", "train",
                std::string(HWNAS_SOURCE_DIR) + "/configs/train-synthetic.yaml", "train.epochs=2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return db;
}

}  // namespace hwnas::testing
