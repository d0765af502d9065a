#include "core/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "core/errors.h"
#include "tests/support/run_command.h"

namespace hwnas {
namespace {

// Vectors from FIPS 180-4 examples and NIST CAVS.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, PaddingBoundaries) {
  // 55, 56 and 64 bytes straddle the one- and two-block padding cases.
  EXPECT_EQ(Sha256Hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Sha256Hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Sha256Hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256Test, IncrementalUpdatesMatchOneShot) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += static_cast<char>(i * 7);
  for (size_t split : {0, 1, 63, 64, 65, 200, 300}) {
    Sha256 hasher;
    hasher.Update(std::string_view(text).substr(0, split));
    hasher.Update(std::string_view(text).substr(split));
    EXPECT_EQ(hasher.HexDigest(), Sha256Hex(text)) << "split at " << split;
  }
}

TEST(Sha256Test, HashesFilesAndReportsSize) {
  std::string path = testing::MakeTempDir("sha256") + "/file.bin";
  testing::WriteFile(path, "abc");
  uint64_t bytes = 0;
  EXPECT_EQ(Sha256FileHex(path, &bytes),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(bytes, 3u);
  EXPECT_THROW(Sha256FileHex(path + ".missing"), IoError);
}

}  // namespace
}  // namespace hwnas
