// End-to-end tests of folder datasets with the real binary: `hwnas train` and `hwnas search` on
// real Fashion-MNIST images written as PNG files learn above chance, and bad images stop the run
// with exit code 65, a message naming the file, no database and no cache file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "results/store.h"
#include "tests/support/image_folder_writer.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kConfigs = std::string(HWNAS_SOURCE_DIR) + "/configs/";

class FolderCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(std::string(kFashionMnistDefaultDir) + "/t10k-images-idx3-ubyte.gz")) {
      GTEST_SKIP() << "needs the Debian package dataset-fashion-mnist";
    }
    dir_ = MakeTempDir("folder-cli");
    cache_ = MakeTempDir("folder-cli-cache");
    db_ = MakeTempDir("folder-cli-db") + "/h.db";
  }
  // The 4-class, 16x16x1 tiny configs, reading the folder instead of the synthetic dataset.
  std::vector<std::string> Args(const std::string& command, const std::string& config,
                                std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"--db",
                                     db_,
                                     "-q",
                                     command,
                                     kConfigs + config,
                                     "data.dataset=folder",
                                     "data.path=" + dir_,
                                     "data.image_size=16",
                                     "data.cache_dir=" + cache_};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  double FinalTestAccuracy() const {
    auto store = results::Store::Open(db_, results::Store::OpenMode::kExisting);
    const auto archs = store->Architectures(1);
    return archs.empty() ? 0 : archs.back().record.accuracy.value_or(0);
  }
  std::string dir_, cache_, db_;
};

TEST_F(FolderCliTest, TrainLearnsAFolderOfPngImagesAboveChance) {
  WriteFashionFolder(dir_, {4, 75, 25, "png", false, "test"});
  CommandResult r = RunHwnas(Args("train", "train-synthetic.yaml", {"train.epochs=10"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("decoded 400 images"));
  EXPECT_GT(FinalTestAccuracy(), 0.5);  // 4 classes: chance is 0.25
  EXPECT_FALSE(fs::is_empty(cache_));
}

TEST_F(FolderCliTest, SearchLearnsAFolderOfImagesAboveChance) {
  FashionFolderOptions o{4, 60, 0, "mixed", false, "test"};  // one tree, split 80/20
  WriteFashionFolder(dir_, o);
  CommandResult r = RunHwnas(Args("search", "search-synthetic.yaml",
                                  {"device.name=roofline-example", "train.epochs=1",
                                   "proxyless.retrain_epochs=15", "train.learning_rate=0.05"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(FinalTestAccuracy(), 0.4);
}

TEST_F(FolderCliTest, ABadImageExits65NamesItAndWritesNothing) {
  WriteFashionFolder(dir_, {2, 3, 1, "png", false, "test"});
  const std::string bad = dir_ + "/train/Trouser/broken.jpg";
  WriteFile(bad, "not a JPEG");
  CommandResult r = RunHwnas(Args("train", "train-synthetic.yaml"));
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_THAT(r.err, HasSubstr(bad + ": not an image OpenCV can decode"));
  EXPECT_FALSE(fs::exists(db_));
  EXPECT_TRUE(fs::is_empty(cache_));
}

// Permissions do not stop root, and the suite runs as root in CI: there the binary runs as
// nobody (setpriv), with the test's folders opened up so that only the one file is unreadable.
TEST_F(FolderCliTest, AnUnreadableImageExits65WithTheReason) {
  WriteFashionFolder(dir_, {2, 3, 1, "png", false, "test"});
  const std::string locked = dir_ + "/train/Trouser/locked.png";
  WriteImage(locked, FashionImage(1, false));
  fs::permissions(locked, fs::perms::none);
  std::vector<std::string> args = Args("train", "train-synthetic.yaml");
  CommandResult r;
  if (::getuid() == 0) {
    for (const std::string& d : {fs::path(db_).parent_path().string(), cache_}) {
      fs::permissions(d, fs::perms::all);
    }
    args.insert(args.begin(),
                {"--reuid=nobody", "--regid=nogroup", "--clear-groups", HWNAS_BINARY});
    r = RunProgram("/usr/bin/setpriv", args, {{"HOME", cache_}});
  } else {
    r = RunHwnas(args);
  }
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot read " + locked + ": Permission denied"));
  EXPECT_FALSE(fs::exists(db_));
  EXPECT_TRUE(fs::is_empty(cache_));
}

}  // namespace
}  // namespace hwnas::testing
